"""The same training command under torchrun with two CPU processes (gloo): only rank 0 writes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from melodygan_desktop import checkpoints


@pytest.mark.timeout(300)
def test_two_process_torchrun(genre_folder, tmp_path):
    torchrun = shutil.which("torchrun", path=os.path.dirname(sys.executable)) or shutil.which("torchrun")
    if torchrun is None:
        pytest.skip("torchrun not installed")
    run = tmp_path / "run"
    command = [
        torchrun, "--standalone", "--nproc_per_node=2", "-m", "melodygan_desktop.cli", "train",
        str(genre_folder), "--preset", "melodygan-v3", "--steps", "2", "--batch-size", "2",
        "--clip-seconds", "2", "--threads", "1", "--device", "cpu", "--checkpoint-every", "2",
        "--log-every", "1", "--run-dir", str(run), "--cache-dir", str(tmp_path / "cache"),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=280)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == [1, 2]  # rank 0 only, no duplicates
    assert result.stdout.count("completed at step 2") == 1
    model = checkpoints.load_generator(run)
    assert model.meta.step == 2 and model.meta.genres == ("jazz", "rock")
