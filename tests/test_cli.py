"""The command line end to end: train, export, list, generate, prepare, and one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile

from melodygan_desktop.cli import main

TRAIN_ARGS = ["--preset", "melodygan-cond", "--steps", "2", "--batch-size", "2", "--clip-seconds", "2",
              "--threads", "1", "--checkpoint-every", "2", "--device", "cpu"]


@pytest.fixture
def exported_model(genre_folder, tmp_path, _isolated_home):
    run = tmp_path / "run"
    assert main(["train", str(genre_folder), "--run-dir", str(run), *TRAIN_ARGS]) == 0
    assert main(["export", str(run), "--name", "my-model"]) == 0
    return _isolated_home / "models" / "my-model"


def test_train_export_list_generate(exported_model, tmp_path, capsys):
    assert (exported_model / "generator.safetensors").exists() and (exported_model / "meta.json").exists()
    assert not (exported_model / "training.pt").exists()
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "my-model" in listing and "jazz, rock" in listing and "techno-wgan-gp" in listing

    out = tmp_path / "take.flac"
    assert main(["generate", "--genre", "jazz:0.5,rock:0.5", "--seconds", "4", "--seed", "7",
                 "--model", "my-model", "-o", str(out), "--threads", "1"]) == 0
    audio, rate = soundfile.read(out)
    assert rate == 22050 and abs(len(audio) / rate - 4.0) < 0.05 and np.abs(audio).max() > 0
    assert "seed 7" in capsys.readouterr().out

    assert main(["generate", "--genre", "rock", "--seconds", "2", "-o", str(out)]) == 2  # no silent overwrite
    assert "exists" in capsys.readouterr().err


def test_a_registered_mel_to_audio_method_reaches_list_and_generate(exported_model, tmp_path, capsys):
    from melodygan_desktop.audio import inversion

    calls = []

    def silence(mel_unit, mel, **kwargs):
        calls.append(mel_unit.shape)
        samples = mel.samples_for_frames(mel_unit.shape[-1])
        return np.zeros((mel_unit.shape[0], samples), dtype=np.float32)

    inversion.register_inverter("test-silence", silence)
    try:
        assert main(["list"]) == 0
        assert "test-silence" in capsys.readouterr().out
        out = tmp_path / "quiet.wav"
        assert main(["generate", "--genre", "rock", "--seconds", "2", "--model", "my-model",
                     "--method", "test-silence", "-o", str(out), "--threads", "1"]) == 0
        assert calls and np.abs(soundfile.read(out)[0]).max() == 0
    finally:
        inversion.unregister_inverter("test-silence")
    gone = ["generate", "--genre", "rock", "--method", "test-silence", "-o", str(tmp_path / "x.wav")]
    assert main(gone) == 2
    assert "unknown method 'test-silence'" in capsys.readouterr().err


def test_generate_a_bar_aligned_loop(exported_model, tmp_path, capsys, monkeypatch):
    from melodygan_desktop.audio.io import read_metadata
    from melodygan_desktop.audio.loops import read_loop_points
    from melodygan_desktop.evaluation import tempo

    out = tmp_path / "loop.wav"
    # a given tempo: the take is generated as long as 2 bars need (4 s) plus a second, cut to exactly 4 s
    assert main(["generate", "--genre", "rock", "--model", "my-model", "--seed", "3", "--threads", "1",
                 "--loop-bars", "2", "--bpm", "120", "-o", str(out)]) == 0
    audio, rate = soundfile.read(out)
    assert len(audio) == 4 * rate and read_loop_points(out) == [(0, len(audio) - 1)]
    tags = read_metadata(out)
    assert tags["bpm"] == "120" and tags["loop_bars"] == "2" and tags["seed"] == "3"
    assert "loop of 2 bar(s) at 120 BPM (given)" in capsys.readouterr().out

    # an estimated tempo and first beat (the estimate is the tracker's: stubbed here to known values)
    monkeypatch.setattr(tempo, "estimate_tempo", lambda audio, rate: tempo.TempoEstimate(90.0, 0.5, 12))
    assert main(["generate", "--genre", "rock", "--model", "my-model", "--seconds", "8", "--threads", "1",
                 "--loop-bars", "1", "--beats-per-bar", "3", "-o", str(out), "--force"]) == 0
    audio, rate = soundfile.read(out)
    assert len(audio) == 2 * rate and read_loop_points(out) == [(0, 2 * rate - 1)]  # 3 beats at 90 BPM
    assert read_metadata(out)["loop_start_seconds"] == "0.500"
    assert "at 90 BPM (estimated), 2.00 s from 0.50 s" in capsys.readouterr().out

    too_long = ["generate", "--genre", "rock", "--model", "my-model", "--seconds", "3", "--threads", "1",
                "--loop-bars", "2", "-o", str(out), "--force"]
    assert main(too_long) == 2
    assert "pass a longer --seconds" in capsys.readouterr().err
    monkeypatch.setattr(tempo, "estimate_tempo", lambda audio, rate: None)
    assert main([*too_long[:-3], "--seconds", "10", "-o", str(out), "--force"]) == 2
    assert "pass --bpm" in capsys.readouterr().err

    base = ["generate", "--genre", "rock", "--model", "my-model"]
    assert main([*base, "--loop-bars", "2", "-o", str(tmp_path / "x.flac")]) == 2
    assert "WAV files only" in capsys.readouterr().err
    assert main([*base, "--bpm", "120", "-o", str(tmp_path / "x.wav")]) == 2
    assert "--loop-bars" in capsys.readouterr().err
    for bad in (["--loop-bars", "0"], ["--loop-bars", "257"], ["--loop-bars", "2", "--bpm", "500"],
                ["--loop-bars", "2", "--bpm", "nan"], ["--loop-bars", "2", "--beats-per-bar", "17"]):
        with pytest.raises(SystemExit) as exit_info:
            main([*base, *bad, "-o", str(tmp_path / "x.wav")])
        assert exit_info.value.code == 2
        assert "must be" in capsys.readouterr().err
    assert not (tmp_path / "x.wav").exists() and not (tmp_path / "x.flac").exists()


def test_unknown_genre_is_one_line_error(exported_model, tmp_path, capsys):
    code = main(["generate", "--genre", "polka", "--model", "my-model", "-o", str(tmp_path / "x.wav")])
    err = capsys.readouterr().err
    assert code != 0 and "polka" in err and "jazz" in err and "Traceback" not in err


def test_missing_folder_and_bad_checkpoint(tmp_path, capsys):
    assert main(["train", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err
    bad = tmp_path / "bad_model"
    bad.mkdir()
    (bad / "meta.json").write_text("{not json")
    (bad / "generator.safetensors").write_bytes(b"junk")
    code = main(["generate", "--genre", "rock", "--model", str(bad), "-o", str(tmp_path / "x.wav")])
    err = capsys.readouterr().err
    assert code == 1 and "meta.json" in err


def test_prepare_reports_bad_files(genre_folder, tmp_path, capsys):
    (genre_folder / "rock" / "broken.wav").write_bytes(b"RIFF\x00\x00")
    args = ["prepare", str(genre_folder), "--clip-seconds", "2", "--cache-dir", str(tmp_path / "c")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "4 tracks" in out and "broken.wav" in out


def test_prepare_warms_the_cache_train_reads(genre_folder, tmp_path, monkeypatch, capsys):
    """Without --cache-dir both use the user cache: train (its run anywhere) decodes nothing prepare did."""
    from melodygan_desktop.training import loop
    from melodygan_desktop.training.events import Started

    events = []
    real_train = loop.train

    def recording_train(*args, **kwargs):
        for event in real_train(*args, **kwargs):
            events.append(event)
            yield event

    monkeypatch.setattr(loop, "train", recording_train)
    assert main(["prepare", str(genre_folder), "--preset", "melodygan-cond", "--clip-seconds", "2"]) == 0
    assert "(0 from the cache)" in capsys.readouterr().out
    assert main(["train", str(genre_folder), "--run-dir", str(tmp_path / "runs" / "run"), *TRAIN_ARGS]) == 0
    data = next(event for event in events if isinstance(event, Started)).data
    assert data.tracks > 0 and data.cache_hits == data.tracks + len(data.skipped)
    assert f"({data.cache_hits} from the cache)" in capsys.readouterr().out


def test_a_new_run_takes_the_core_cadence_for_its_steps_unless_given(genre_folder, tmp_path):
    from melodygan_desktop.config import cadence_for

    run = tmp_path / "run"
    assert main(["train", str(genre_folder), "--run-dir", str(run), *TRAIN_ARGS]) == 0  # --checkpoint-every 2
    stored = json.loads((run / "config.json").read_text())["train"]
    assert stored["checkpoint_every"] == 2
    assert {name: stored[name] for name in ("log_every", "preview_every")} == {
        name: cadence_for(2)[name] for name in ("log_every", "preview_every")
    }


def test_resume_continues_step_count(genre_folder, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", str(genre_folder), "--run-dir", str(run), *TRAIN_ARGS]) == 0
    assert main(["train", "--resume", str(run), "--steps", "4", "--threads", "1", "--device", "cpu"]) == 0
    assert "resuming" in capsys.readouterr().out
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps[-1] == 4 and (run / "step_00000004").is_dir()


def test_resume_takes_new_cadences_and_keeps_the_stored_ones_otherwise(genre_folder, tmp_path):
    run = tmp_path / "run"
    assert main(["train", str(genre_folder), "--run-dir", str(run), *TRAIN_ARGS, "--log-every", "2"]) == 0
    resume = ["train", "--resume", str(run), "--threads", "1", "--device", "cpu"]
    assert main([*resume, "--steps", "5", "--checkpoint-every", "1"]) == 0
    assert (run / "step_00000003").is_dir()  # a checkpoint every step now (the run was started with 2)
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == [2, 4, 5]  # the stored log cadence of 2 holds (and the last step is always logged)


def test_export_marks_genre_kinds(exported_model, tmp_path, capsys):
    run = exported_model  # an exported model is also a valid export source
    kinds = '{"jazz": "arranged", "rock": "recorded"}'
    target = tmp_path / "marked"
    assert main(["export", str(run), str(target), "--name", "marked", "--genre-kinds", kinds]) == 0
    from melodygan_desktop.checkpoints import find_models

    (info,) = find_models([tmp_path / "marked"])
    assert info.genre_kinds == {"jazz": "arranged", "rock": "recorded"}
    assert main(["export", str(run), str(tmp_path / "bad"), "--genre-kinds", "[1]"]) == 2


def test_train_time_budget(genre_folder, tmp_path, capsys):
    run = tmp_path / "run"
    args = [*TRAIN_ARGS[:2], "--steps", "1000", *TRAIN_ARGS[4:], "--max-minutes", "0.0001"]
    args += ["--budget-clock", "cpu"]
    assert main(["train", str(genre_folder), "--run-dir", str(run), *args]) == 0
    out = capsys.readouterr().out
    assert "time budget reached (0.0001 min of CPU time)" in out
    stored = json.loads((run / "config.json").read_text())["train"]
    assert stored["max_minutes"] == 0.0001 and stored["budget_clock"] == "cpu"
    resume = ["--resume", str(run), "--threads", "1", "--device", "cpu", "--max-minutes", "0.0002"]
    assert main(["train", *resume]) == 0
    assert "time budget reached (0.0002 min" in capsys.readouterr().out


def test_every_model_argument_takes_the_id_the_display_name_or_a_path(tmp_path, _isolated_home, capsys):
    from melodygan_desktop import paths

    bundled = paths.bundled_checkpoints_dir() / "melodygan-cond-open13"
    folder = _isolated_home / "models" / "my-id"
    assert main(["export", str(bundled), str(folder), "--name", "My display name"]) == 0
    assert main(["list"]) == 0
    assert "my-id (My display name)" in capsys.readouterr().out  # list shows the id

    out = tmp_path / "take.wav"
    for spec in ("my-id", "My display name", "MY-ID", str(folder)):
        assert main(["generate", "--genre", "jazz", "--seconds", "2", "--seed", "1", "--model", spec,
                     "-o", str(out), "--force", "--threads", "1"]) == 0, spec
        assert "model My display name" in capsys.readouterr().out
    # the bundled model by the id its card and the README use
    assert main(["generate", "--genre", "jazz", "--seconds", "2", "--model", "melodygan-cond-open13",
                 "-o", str(out), "--force", "--threads", "1"]) == 0
    from music_folders import write_genre_folder

    long_tracks = write_genre_folder(tmp_path / "long", genres=("jazz",), tracks=1, seconds=11.0)
    assert main(["train", str(long_tracks), "--run-dir", str(tmp_path / "tuned"), "--from", "my-id",
                 "--steps", "1", "--batch-size", "1", "--threads", "1", "--device", "cpu"]) == 0
    config = json.loads((tmp_path / "tuned" / "config.json").read_text())
    assert config["train"]["init_from"] == str(folder)
    capsys.readouterr()
    assert main(["generate", "--genre", "jazz", "--model", "nope", "-o", str(out), "--force"]) == 2
    err = capsys.readouterr().err
    assert "'nope'" in err and "melodygan-cond-open13" in err and "my-id (My display name)" in err


def test_fine_tuning_takes_the_models_preset_unless_told(exported_model, genre_folder, tmp_path, capsys):
    """``--from`` a model of another family starts that family's run only when asked (a cond model can start
    a groove run); without ``--preset`` a run from a model trains that model's own preset."""
    args = TRAIN_ARGS[2:]  # without --preset
    groove = tmp_path / "groove"
    assert main(["train", str(genre_folder), "--run-dir", str(groove), "--from", str(exported_model),
                 "--preset", "melodygan-groove", *args]) == 0
    assert json.loads((groove / "config.json").read_text())["train"]["preset"] == "melodygan-groove"
    again = tmp_path / "again"
    assert main(["train", str(genre_folder), "--run-dir", str(again), "--from", str(groove), *args]) == 0
    assert json.loads((again / "config.json").read_text())["train"]["preset"] == "melodygan-groove"
    assert main(["train", str(genre_folder), "--run-dir", str(tmp_path / "no"), "--from", str(groove),
                 "--preset", "melodygan-cond", *args]) == 1  # a groove model cannot start a cond run
    assert "cannot initialise a melodygan-cond run; choose preset melodygan-groove" in capsys.readouterr().err


def test_match_model_prefers_the_id_then_the_display_name(tmp_path):
    from types import SimpleNamespace

    from melodygan_desktop.cli.models import match_model, model_id

    root = tmp_path / "models"
    first = SimpleNamespace(path=root / "alpha", name="beta")
    second = SimpleNamespace(path=root / "beta", name="Gamma")
    models = [first, second]
    assert model_id(second, [root]) == "beta"
    assert match_model("beta", models, [root]) is second  # an id wins over another model's display name
    assert match_model("gamma", models, [root]) is second
    assert match_model("alpha/", models, [root]) is first
    assert match_model("delta", models, [root]) is None
