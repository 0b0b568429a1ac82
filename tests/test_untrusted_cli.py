"""Untrusted model and run folders through every command that opens one: generate, export, list, fine-tune
and resume refuse pickles that would run code (the payload never runs) and tampered meta.json, each with one
clear error line naming the file."""

from __future__ import annotations

import torch
from test_checkpoints import save
from test_checkpoints_untrusted import Payload, reseal, rewrite_meta

from melodygan_desktop import checkpoints
from melodygan_desktop.cli import main


def pickled_weights_model(folder, marker):
    """A model folder whose generator.safetensors is a torch pickle carrying ``Payload``, hash resealed."""
    model = save(folder, 1)
    torch.save({"weight": Payload(marker)}, model / "generator.safetensors")
    reseal(model)
    return model


def test_generate_export_and_fine_tune_refuse_a_pickled_model(genre_folder, tmp_path, capsys):
    marker = tmp_path / "pwned"
    model = pickled_weights_model(tmp_path / "evil", marker)
    commands = [
        ["generate", "--genre", "ambient", "--model", str(model), "-o", str(tmp_path / "x.wav")],
        ["export", str(model), str(tmp_path / "models" / "evil")],
        ["train", str(genre_folder), "--from", str(model), "--run-dir", str(tmp_path / "run")],
    ]
    for command in commands:
        code = main(command)
        err = capsys.readouterr().err
        assert code == 1, command
        assert "pickle" in err and "refused" in err and "generator.safetensors" in err, err
        assert "Traceback" not in err
    assert not marker.exists()
    assert not (tmp_path / "x.wav").exists() and not (tmp_path / "models").exists()
    assert not (tmp_path / "run").exists()


def test_resume_refuses_a_training_state_that_would_run_code(genre_folder, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", str(genre_folder), "--run-dir", str(run), "--preset", "melodygan-v3",
                 "--steps", "1", "--batch-size", "2", "--clip-seconds", "2", "--threads", "1",
                 "--device", "cpu"]) == 0
    marker = tmp_path / "pwned"
    step = checkpoints.latest_checkpoint(run)
    torch.save({"step": 1, "generator": Payload(marker)}, step / "training.pt")
    capsys.readouterr()
    code = main(["train", "--resume", str(run), "--steps", "2", "--threads", "1", "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 1 and "refused" in err and str(step / "training.pt") in err and "Traceback" not in err
    assert not marker.exists()
    assert checkpoints.load_generator(run).meta.step == 1  # the inference weights stay usable


def test_list_skips_tampered_models_and_never_runs_their_code(tmp_path, capsys, _isolated_home):
    marker = tmp_path / "pwned"
    models = _isolated_home / "models"
    good = checkpoints.export_checkpoint(save(tmp_path / "run", 1), models / "good")
    pickled_weights_model(models / "pickled", marker)
    wrong_types = checkpoints.export_checkpoint(save(tmp_path / "other", 2), models / "wrong-types")
    rewrite_meta(wrong_types, genres="ambient")
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert good.name in out and "wrong-types" not in out
    assert not marker.exists()


def test_generate_names_the_problem_in_a_tampered_meta(tmp_path, capsys):
    model = save(tmp_path / "run", 1)
    problems = {
        "format_version": (99, "newer MELodyGAN"),
        "step": ("ten", "expected an integer"),
        "sha256": ("0" * 64, "sha256 mismatch"),
    }
    for key, (value, message) in problems.items():
        original = (model / "meta.json").read_text()
        rewrite_meta(model, **{key: value})
        code = main(["generate", "--genre", "ambient", "--model", str(model), "-o", str(tmp_path / "x.wav")])
        err = capsys.readouterr().err
        assert code == 1 and message in err and str(model) in err and "Traceback" not in err
        (model / "meta.json").write_text(original)
