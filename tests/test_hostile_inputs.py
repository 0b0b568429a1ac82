"""Hostile files and arguments, through the real command line: the app never deletes or overwrites what it
did not make and never hangs on a named pipe or an absurd number (memory and terminal text:
``test_hostile_sizes_and_text.py``).

Every case uses the real mechanism: real symlinks, real FIFOs, a real WAV whose header says 1 Hz, real
escape bytes in file and folder names, ``melodygan_desktop.cli.main``.
"""

from __future__ import annotations

import json
import os
import time

import pytest
from hostile_helpers import TINY_TRAIN, deadline, untouched, user_files
from test_checkpoints import save

from melodygan_desktop import checkpoints, paths
from melodygan_desktop.checkpoints import CheckpointError
from melodygan_desktop.cli import main

# 1. Never delete or overwrite what the app did not make ----------------------------------------------------


def test_export_force_never_replaces_a_folder_of_the_users_files(tmp_path, capsys):
    save(tmp_path / "run", 2)
    documents = user_files(tmp_path / "Documents")
    assert main(["export", str(tmp_path / "run"), str(documents), "--force"]) == 1
    err = capsys.readouterr().err
    assert "not a model folder this app made" in err and "Traceback" not in err
    assert untouched(documents)
    # a symlink to the user's folder is not replaced (nor followed) either
    (tmp_path / "link").symlink_to(documents, target_is_directory=True)
    assert main(["export", str(tmp_path / "run"), str(tmp_path / "link"), "--force"]) == 1
    assert (tmp_path / "link").is_symlink() and untouched(documents)
    # an export the app made is replaced with --force, as before
    model = tmp_path / "models" / "mine"
    assert main(["export", str(tmp_path / "run"), str(model)]) == 0
    save(tmp_path / "run", 4)
    assert main(["export", str(tmp_path / "run"), str(model), "--force"]) == 0
    assert checkpoints.load_generator(model).meta.step == 4
    assert sorted(p.name for p in model.parent.iterdir()) == ["mine"]  # no temporary folder left


NOT_NAMES = ["../keep", "/abs/dir", "a/b", "..", ".", ".hidden", "x.tmp", "t\x1b[2J", " ", ""]


@pytest.mark.parametrize("name", NOT_NAMES)
def test_export_names_are_names_never_paths(tmp_path, capsys, name):
    save(tmp_path / "run", 2)
    keep = user_files(paths.user_data_dir() / "keep")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["export", str(tmp_path / "run"), "--name", name, "--force"]) == 1
    err = capsys.readouterr().err
    assert "is not a model name" in err and "Traceback" not in err and "\x1b" not in err
    assert untouched(keep) and not os.path.exists("/abs/dir")
    assert not paths.user_models_dir().exists() or not any(paths.user_models_dir().iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_the_default_export_folder_is_a_checked_name_too(tmp_path, capsys):
    run = tmp_path / "run-\x1b[2J"
    save(run, 2)
    assert main(["export", str(run)]) == 1
    assert "is not a model name" in capsys.readouterr().err
    assert main(["export", str(run), "--name", "fine"]) == 0
    assert checkpoints.load_generator(paths.user_models_dir() / "fine").meta.step == 2


def test_a_lock_file_planted_as_a_symlink_is_never_written_through(genre_folder, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", str(genre_folder), "--run-dir", str(run), "--steps", "2", *TINY_TRAIN]) == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (run / ".lock").unlink()
    (run / ".lock").symlink_to(victim)
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--steps", "4", "--threads", "1", "--device", "cpu"]) == 1
    err = capsys.readouterr().err
    assert "lock file is a symbolic link" in err and "Traceback" not in err
    assert victim.read_text() == "precious"


def test_run_folder_files_planted_as_symlinks_are_replaced_not_written_through(genre_folder, tmp_path):
    run = tmp_path / "run"
    assert main(["train", str(genre_folder), "--run-dir", str(run), "--steps", "2", *TINY_TRAIN]) == 0
    victims = {}
    for name in ("skipped.json", "latest.txt"):
        victims[name] = tmp_path / f"victim-{name}"
        victims[name].write_text("precious")
        (run / name).unlink()
        (run / name).symlink_to(victims[name])
    assert main(["train", "--resume", str(run), "--steps", "4", "--threads", "1", "--device", "cpu"]) == 0
    assert all(victim.read_text() == "precious" for victim in victims.values())
    assert not (run / "latest.txt").is_symlink() and (run / "latest.txt").read_text() == "step_00000004\n"


def test_save_never_clears_a_folder_it_did_not_make(tmp_path):
    save(tmp_path / "run", 2)
    planted = user_files(tmp_path / "run" / "step_00000004.tmp")  # a user's folder under a temporary name
    with pytest.raises(CheckpointError, match="could not write checkpoint"):
        save(tmp_path / "run", 4)
    assert untouched(planted) and checkpoints.load_generator(tmp_path / "run").meta.step == 2


def test_codec_training_refuses_an_output_folder_of_the_users_files(tmp_path, capsys):
    documents = user_files(tmp_path / "Documents")
    (documents / "meta.json").write_text('{"mine": true}')
    with deadline(20):
        code = main(["codec", "train", str(tmp_path), "-o", str(documents), "--steps", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "refusing to replace" in err and "not a folder this app made" in err
    assert untouched(documents) and json.loads((documents / "meta.json").read_text()) == {"mine": True}


# 2. Hangs: only regular files are opened, every number has bounds ----------------------------------------


@pytest.mark.parametrize("member", ["meta.json", "generator.safetensors"])
def test_a_named_pipe_in_a_model_folder_is_refused_at_once(tmp_path, capsys, member):
    save(tmp_path / "run", 2)
    model = checkpoints.latest_checkpoint(tmp_path / "run")
    (model / member).unlink()
    os.mkfifo(model / member)
    with deadline(20):
        code = main(["generate", "--model", str(model), "--genre", "ambient", "-o", str(tmp_path / "t.wav")])
    err = capsys.readouterr().err
    assert code == 1 and "named pipe" in err and "Traceback" not in err


def test_named_pipes_in_a_run_folder_are_refused_at_once(genre_folder, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", str(genre_folder), "--run-dir", str(run), "--steps", "2", *TINY_TRAIN]) == 0
    step = checkpoints.latest_checkpoint(run)
    (step / "training.pt").unlink()
    os.mkfifo(step / "training.pt")
    with deadline(30):
        assert main(["train", "--resume", str(run), "--steps", "4", "--threads", "1", "--device", "cpu"]) == 1
    assert "named pipe" in capsys.readouterr().err
    (run / "config.json").unlink()
    os.mkfifo(run / "config.json")
    with deadline(30):
        assert main(["train", "--resume", str(run), "--steps", "4", "--threads", "1", "--device", "cpu"]) != 0
    assert "named pipe" in capsys.readouterr().err
    with deadline(30):
        assert main(["export", str(run), str(tmp_path / "out"), "--card", str(run / "config.json")]) == 2
    assert "named pipe" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "bound"),
    [
        (["generate", "--genre", "jazz", "-o", "x.wav", "--threads", "100000"], "--threads: must be 0 to"),
        (["train", "DATA", "--batch-size", "1000000000"], "--batch-size: must be 1 to 1024"),
        (["train", "DATA", "--steps", "0"], "--steps: must be 1 to 100000000, got 0"),
        (["train", "DATA", "--threads", "-1"], "--threads: must be 0 to"),
        (["train", "DATA", "--clip-seconds", "1e4"], "--clip-seconds: must be from 0.5 to 60"),
        (["train", "DATA", "--lr-g", "inf"], "--lr-g: must be above 0 to 1"),
        (["train", "DATA", "--checkpoint-every", "0"], "--checkpoint-every: must be 1 to"),
        (["train", "DATA", "--keep-last", "0"], "--keep-last: must be 1 to"),
        (["train", "DATA", "--max-minutes", "nan"], "--max-minutes: must be above 0"),
        (["train", "DATA", "--val-fraction", "1"], "--val-fraction: must be from 0 to 0.9"),
        (["train", "DATA", "--seed", "-5"], "--seed: must be 0 to"),
        (["generate", "--genre", "jazz", "-o", "x.wav", "--seconds", "1e9"], "--seconds: must be from 1 to"),
        (["prepare", "DATA", "--max-clips", "0"], "--max-clips: must be 1 to"),
        (["codec", "train", "DATA", "-o", "c", "--latent-dim", "100000"], "--latent-dim: must be 4 to 512"),
        (["codec", "train", "DATA", "-o", "c", "--width", "1"], "--width: must be 16 to 1024"),
        (["codec", "train", "DATA", "-o", "c", "--steps", "0"], "--steps: must be 1 to"),
    ],
)
def test_numbers_outside_their_bounds_are_refused_with_the_bound(capsys, argv, bound):
    started = time.monotonic()
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and bound in err, err
    assert "Traceback" not in err and time.monotonic() - started < 5


def test_the_thread_bound_is_four_per_core(capsys):
    from melodygan_desktop.threads import available_cores

    top = 4 * available_cores()
    with pytest.raises(SystemExit):
        main(["train", "DATA", "--threads", str(top + 1)])
    assert f"must be 0 to {top}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("genre", "problem"),
    [("jazz:1e39,rock:1", "must be a number from 0 to 1e+06"), ("jazz:nan,rock:1", "must be a number"),
     ("jazz:inf", "must be a number"), (":1,rock:1", "a genre name is missing"),
     ("jazz:0,rock:0", "all zero"),
     ("jazz:1,jazz:2", "named twice"), ("jazz:-1", "must be a number")],
)
def test_genre_weights_must_be_finite_and_bounded(tmp_path, capsys, genre, problem):
    assert main(["generate", "--genre", genre, "-o", str(tmp_path / "t.wav")]) == 2
    assert problem in capsys.readouterr().err
    assert not (tmp_path / "t.wav").exists()


@pytest.mark.parametrize("argv, option", [
    (["evaluate", "m", "--per-genre", "1000000000"], "--per-genre"),
    (["evaluate", "m", "--threads", "100000"], "--threads"),
    (["classifier", "train", "c", "-o", "o", "--batch-size", "0"], "--batch-size"),
    (["classifier", "train", "c", "-o", "o", "--learning-rate", "nan"], "--learning-rate"),
    (["judge", "train", "c", "-o", "o", "--epochs", "0"], "--epochs"),
    (["judge", "train", "c", "-o", "o", "--dropout", "1"], "--dropout"),
    (["corpus", "build", "d", "--jobs", "100000"], "--jobs"),
    (["corpus", "build", "d", "--song-seconds", "1e9"], "--song-seconds"),
])
def test_lab_commands_refuse_numbers_out_of_bounds(argv, option, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert option in err and "must be" in err
