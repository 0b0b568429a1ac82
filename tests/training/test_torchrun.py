"""The same training command under torchrun with two CPU processes (gloo): only rank 0 writes, and only
rank 0 scores checkpoints (the others take its figure)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from music_folders import write_genre_folder

from melodygan_desktop import checkpoints


@pytest.mark.timeout(300)
def test_two_process_torchrun(tmp_path):
    torchrun = shutil.which("torchrun", path=os.path.dirname(sys.executable)) or shutil.which("torchrun")
    if torchrun is None:
        pytest.skip("torchrun not installed")
    genre_folder = write_genre_folder(tmp_path / "music", tracks=4)
    run = tmp_path / "run"
    command = [
        torchrun, "--standalone", "--nproc_per_node=2", "-m", "melodygan_desktop.cli", "train",
        str(genre_folder), "--preset", "melodygan-v3", "--steps", "2", "--batch-size", "2",
        "--clip-seconds", "2", "--threads", "1", "--device", "cpu", "--checkpoint-every", "2",
        "--log-every", "1", "--run-dir", str(run), "--cache-dir", str(tmp_path / "cache"),
        "--val-fraction", "0.5",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=280)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows if "d/loss" in row] == [1, 2]  # rank 0 only, no duplicates
    scores = [row["val_fd"] for row in rows if "val_fd" in row]
    assert len(scores) == 1 and scores[0] >= 0  # scored once
    assert result.stdout.count("completed at step 2") == 1
    assert result.stdout.count("best checkpoint: scored on") == 1
    best = (run / "best.txt").read_text().split()
    assert best[0] == "step_00000002" and float(best[1]) == pytest.approx(scores[0])
    model = checkpoints.load_generator(run)
    assert model.meta.step == 2 and model.meta.genres == ("jazz", "rock")
