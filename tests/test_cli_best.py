"""``melodygan train`` scores checkpoints on held-out clips; ``export`` takes the best, ``--latest`` the
newest."""

from __future__ import annotations

import json

from music_folders import write_genre_folder

from melodygan_desktop import checkpoints
from melodygan_desktop.cli import main

TRAIN_ARGS = ["--preset", "melodygan-cond", "--steps", "3", "--batch-size", "2", "--clip-seconds", "2",
              "--threads", "1", "--checkpoint-every", "1", "--keep-last", "3", "--device", "cpu",
              "--val-fraction", "0.5"]


def exported_step(folder) -> int:
    return json.loads((folder / "meta.json").read_text())["step"]


def test_export_takes_the_best_checkpoint_unless_latest(tmp_path, _isolated_home, capsys):
    music = write_genre_folder(tmp_path / "music", tracks=4)
    run = tmp_path / "run"
    assert main(["train", str(music), "--run-dir", str(run), *TRAIN_ARGS]) == 0
    out = capsys.readouterr()
    assert "best checkpoint: scored on" in out.out and "held-out FD" in out.err
    assert (run / "best.txt").exists()
    (run / "best.txt").write_text("step_00000002\n1.5\n")  # whatever the scores were: step 2 is the best

    assert main(["export", str(run), str(tmp_path / "best-model")]) == 0
    assert "from the best checkpoint step_00000002, held-out FD 1.5" in capsys.readouterr().out
    assert exported_step(tmp_path / "best-model") == 2

    assert main(["export", str(run), str(tmp_path / "newest"), "--latest"]) == 0
    assert "from the newest checkpoint step_00000003" in capsys.readouterr().out
    assert exported_step(tmp_path / "newest") == 3

    assert main(["export", str(run / "step_00000001"), str(tmp_path / "one")]) == 0  # a step folder as is
    assert exported_step(tmp_path / "one") == 1


def test_no_best_skips_scoring(tmp_path, _isolated_home, capsys):
    music = write_genre_folder(tmp_path / "music", tracks=4)
    run = tmp_path / "run"
    assert main(["train", str(music), "--run-dir", str(run), *TRAIN_ARGS, "--no-best"]) == 0
    assert "held-out FD" not in capsys.readouterr().err
    assert not (run / "best.txt").exists()
    assert checkpoints.best_checkpoint(run) == run / "step_00000003"
    assert main(["export", str(run), str(tmp_path / "model")]) == 0
    assert "newest checkpoint step_00000003 (no best.txt" in capsys.readouterr().out
