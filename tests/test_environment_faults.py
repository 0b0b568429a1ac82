"""Faults around the app, seen through the command line: divergence, a missing CUDA device, a full disk or a
read-only folder while checkpointing, exporting or writing a take. Each ends in one clear error line and a
non-zero exit code, and the files written before stay intact and usable."""

from __future__ import annotations

import errno
import os

import pytest
import soundfile as sf
import torch
from loop_faults import nan_from_step
from test_checkpoints import save

from melodygan_desktop import checkpoints
from melodygan_desktop.checkpoints import store
from melodygan_desktop.cli import main

TRAIN = ["--preset", "melodygan-v3", "--batch-size", "2", "--clip-seconds", "2", "--threads", "1",
         "--device", "cpu", "--checkpoint-every", "2", "--log-every", "1", "--preview-every", "1000"]
FAULTS = [(errno.ENOSPC, "No space left"), (errno.EROFS, "Read-only")]


def failing_on(real, fragment: str, error_number: int):
    """``real`` writer that raises ``OSError(error_number)`` for destinations containing ``fragment``."""
    def writer(obj, destination, *args, **kwargs):
        if fragment in str(destination):
            raise OSError(error_number, os.strerror(error_number))
        return real(obj, destination, *args, **kwargs)
    return writer


def test_divergence_stops_the_cli_with_a_message_and_keeps_the_last_checkpoint(
    genre_folder, tmp_path, capsys, monkeypatch
):
    nan_from_step(monkeypatch, 2)  # the third step blows up
    run = tmp_path / "run"
    code = main(["train", str(genre_folder), "--run-dir", str(run), "--steps", "6", *TRAIN])
    captured = capsys.readouterr()
    out = captured.out
    assert code == 1
    assert "training stopped: training diverged at a non-finite g/adv" in captured.err
    assert f"the last good checkpoint is kept: {run / 'step_00000002'}" in out
    assert checkpoints.load_generator(run).meta.step == 2


def test_cuda_requested_without_cuda_is_one_clear_error(genre_folder, tmp_path, capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    code = main(["train", str(genre_folder), "--run-dir", str(tmp_path / "run"), "--steps", "2",
                 "--preset", "melodygan-v3", "--clip-seconds", "2", "--device", "cuda"])
    err = capsys.readouterr().err
    assert code == 1 and "CUDA was requested" in err and "choose 'cpu' or 'auto'" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("writer", "fault"), [("weights", FAULTS[0]), ("resume state", FAULTS[1])])
def test_full_disk_or_read_only_folder_while_checkpointing(genre_folder, tmp_path, capsys, monkeypatch,
                                                           writer, fault):
    error_number, words = fault
    owner, name = (store, "save_file") if writer == "weights" else (torch, "save")
    real = getattr(owner, name)
    monkeypatch.setattr(owner, name, failing_on(real, "step_00000004", error_number))
    run = tmp_path / "run"
    code = main(["train", str(genre_folder), "--run-dir", str(run), "--steps", "4", *TRAIN])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert f"could not write checkpoint {run / 'step_00000004'}: {words}" in err
    assert [p.name for p in checkpoints.list_checkpoints(run)] == ["step_00000002"]
    assert not [p.name for p in run.iterdir() if p.name.endswith(".tmp")]
    assert checkpoints.load_generator(run).meta.step == checkpoints.load_training_state(run)["step"] == 2

    monkeypatch.setattr(owner, name, real)  # space freed: the run resumes from the intact checkpoint
    assert main(["train", "--resume", str(run), "--steps", "4", "--threads", "1", "--device", "cpu"]) == 0
    assert "from step 2" in capsys.readouterr().out
    assert checkpoints.load_generator(run).meta.step == 4


@pytest.mark.parametrize(("error_number", "words"), FAULTS)
def test_full_disk_or_read_only_folder_while_exporting(tmp_path, capsys, monkeypatch, error_number, words):
    run = tmp_path / "run"
    save(run, 1)
    installed = tmp_path / "models" / "mine"
    assert main(["export", str(run), str(installed)]) == 0
    before = {p.name: p.read_bytes() for p in installed.iterdir()}
    save(run, 2, seed=5)
    def failing_copy(source, destination, *args, **kwargs):
        raise OSError(error_number, os.strerror(error_number))

    monkeypatch.setattr("shutil.copyfile", failing_copy)
    for destination, extra in ((tmp_path / "models" / "new", []), (installed, ["--force"])):
        code = main(["export", str(run), str(destination), *extra])
        err = capsys.readouterr().err
        assert code == 1 and f"could not export to {destination}: {words}" in err and "Traceback" not in err
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["mine"]  # nothing half-written
    assert {p.name: p.read_bytes() for p in installed.iterdir()} == before
    assert checkpoints.load_generator(installed).meta.step == 1


@pytest.mark.parametrize(("error_number", "words"), [(errno.ENOSPC, "disk full"), (errno.EROFS, "read-only")])
def test_full_disk_or_read_only_folder_while_writing_a_take(tmp_path, capsys, monkeypatch, error_number,
                                                            words):
    model = save(tmp_path / "run", 1)
    take = tmp_path / "takes" / "take.wav"
    take.parent.mkdir()
    command = ["generate", "--genre", "ambient", "--model", str(model), "--seconds", "1", "--seed", "1",
               "--method", "fast-griffin-lim", "--threads", "1", "-o", str(take)]
    assert main(command) == 0
    before = take.read_bytes()

    def failing_write(self, data):
        raise OSError(error_number, os.strerror(error_number))

    monkeypatch.setattr(sf.SoundFile, "write", failing_write)
    code = main([*command, "--force"])
    err = capsys.readouterr().err
    assert code == 1 and words in err and str(take) in err and "Traceback" not in err
    assert take.read_bytes() == before and os.listdir(take.parent) == ["take.wav"]
