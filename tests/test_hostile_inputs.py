"""Hostile files and arguments, through the real command line: the app never deletes or overwrites what it
did not make, never hangs on a named pipe or an absurd number, never allocates from a header's or a
meta.json's claims, and never prints a file's control characters to the terminal.

Every case uses the real mechanism: real symlinks, real FIFOs, a real WAV whose header says 1 Hz, real
escape bytes in file and folder names, ``melodygan_desktop.cli.main``.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import time
import tracemalloc
from contextlib import contextmanager

import numpy as np
import pytest
import soundfile as sf
from test_checkpoints import save
from test_checkpoints_untrusted import reseal, rewrite_meta

from melodygan_desktop import checkpoints, paths
from melodygan_desktop.checkpoints import CheckpointError
from melodygan_desktop.cli import main
from melodygan_desktop.config import ConfigError, MelConfig
from melodygan_desktop.data.prepared import prepare_dataset
from melodygan_desktop.paths import display_text

TINY_TRAIN = ["--preset", "melodygan-v3", "--batch-size", "2", "--clip-seconds", "2", "--threads", "1",
              "--device", "cpu", "--checkpoint-every", "2", "--log-every", "1", "--preview-every", "1000"]
ESC_TITLE = "\x1b]0;pwned\x07"
ESC_CLEAR = "\x1b[2J"


@contextmanager
def deadline(seconds: int):
    """Fail (instead of hanging the suite) when the body runs longer than ``seconds``."""
    def expired(_signum, _frame):
        raise AssertionError(f"still running after {seconds} s: it hangs")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def user_files(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "thesis.txt").write_text("years of work")
    (folder / "photos").mkdir()
    (folder / "photos" / "cat.jpg").write_bytes(b"\xff\xd8 cat")
    return folder


def untouched(folder) -> bool:
    return (folder / "thesis.txt").read_text() == "years of work" and (folder / "photos" / "cat.jpg").exists()


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


# 3. Memory: nothing is allocated from a header's or a meta.json's claims ----------------------------------


def one_hz_wav(path, seconds=6.0):
    """A real 44.1-kHz WAV whose header is then edited to claim 1 Hz (6 s of audio read as 73 hours)."""
    t = np.arange(int(44100 * seconds)) / 44100
    sf.write(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 44100, subtype="PCM_16")
    header = bytearray(path.read_bytes())
    assert header[12:16] == b"fmt " and struct.unpack("<I", header[24:28]) == (44100,)
    header[24:28] = struct.pack("<I", 1)  # sample rate
    header[28:32] = struct.pack("<I", 2)  # byte rate
    path.write_bytes(bytes(header))
    assert sf.info(str(path)).samplerate == 1
    return path


def test_a_wav_whose_header_says_1_hz_is_skipped_with_that_reason(tmp_path, capsys):
    data = tmp_path / "data" / "rock"
    data.mkdir(parents=True)
    one_hz_wav(data / "one_hz.wav")
    t = np.arange(3 * 8000) / 8000
    sf.write(data / "good.wav", (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), 8000)
    mel = MelConfig(sample_rate=8000, n_fft=256, hop_length=128, n_mels=32, clip_seconds=1.0)
    started = time.monotonic()
    tracemalloc.start()
    try:
        prepared = prepare_dataset(tmp_path / "data", mel, cache_dir=tmp_path / "cache", val_fraction=0.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 30 and peak < 50e6
    assert prepared.summary.tracks == 1 and prepared.summary.clips == 3
    assert dict(prepared.summary.skipped) == {str(data / "one_hz.wav"): "sample rate 1 Hz is below 8 kHz"}
    with deadline(30):
        assert main(["prepare", str(tmp_path / "data"), "--cache-dir", str(tmp_path / "cache2")]) == 1
    assert "sample rate 1 Hz is below 8 kHz" in capsys.readouterr().err


def test_a_file_shorter_than_its_header_says_is_reported_as_what_was_decoded(tmp_path, monkeypatch):
    """The header claims 12 s, the decoder stops after 3 s (as libsndfile does on some damaged MP3s): the
    reason names both lengths instead of "too short: 12.00 s, one clip needs 10 s"."""
    from melodygan_desktop.audio import io as audio_io
    from melodygan_desktop.data.clips import UnusableFileError, file_to_mels, make_front_end

    path = tmp_path / "claims_12_s.wav"
    t = np.arange(12 * 8000) / 8000
    sf.write(path, (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), 8000)
    real = audio_io.iter_audio_blocks

    def stops_after_3_s(*args, **kwargs):
        return real(*args, **{**kwargs, "max_seconds": 3.0})

    monkeypatch.setattr(audio_io, "iter_audio_blocks", stops_after_3_s)
    mel = MelConfig(sample_rate=8000, n_fft=256, hop_length=128, n_mels=32, clip_seconds=10.0)
    with pytest.raises(UnusableFileError) as error:
        file_to_mels(path, mel, make_front_end(mel))
    assert error.value.reason == (
        "too short: only 3.00 s of audio could be decoded (the header claims 12.00 s: truncated?), "
        "one clip needs 10 s"
    )


@pytest.mark.parametrize(
    ("mel_change", "field"),
    [({"n_fft": 10**9}, "n_fft"), ({"sample_rate": 2**40}, "sample_rate"),
     ({"clip_seconds": 1e4}, "clip_seconds"),
     ({"n_mels": 100000}, "n_mels"), ({"hop_length": 1, "clip_seconds": 60.0}, "mel values")],
)
def test_meta_json_numbers_are_range_checked_before_anything_is_built(tmp_path, capsys, mel_change, field):
    save(tmp_path / "run", 2)
    model = checkpoints.latest_checkpoint(tmp_path / "run")
    mel = json.loads((model / "meta.json").read_text())["mel"]
    rewrite_meta(model, mel={**mel, **mel_change})
    reseal(model)
    started = time.monotonic()
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match=field):
            checkpoints.load_generator(model)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20e6 and time.monotonic() - started < 5
    assert main(["generate", "--model", str(model), "--genre", "ambient", "-o", str(tmp_path / "t.wav")]) == 1
    err = capsys.readouterr().err
    assert field in err and "Traceback" not in err


@pytest.mark.parametrize(
    "architecture",
    [{"codec": {"n_mels": 128, "latent_dim": 64, "width": 10**9, "blocks": 2}},
     {"sequence": {"latent_dim": 64, "z_dim": 64, "embed_dim": 128, "width": 256, "critic_width": 2**40}},
     {"codec": {"n_mels": 128, "latent_dim": 64.5, "width": 256, "blocks": 2}},
     {"evil": {}}],
)
def test_meta_json_architecture_is_range_checked(tmp_path, architecture):
    save(tmp_path / "run", 2)
    model = checkpoints.latest_checkpoint(tmp_path / "run")
    rewrite_meta(model, architecture=architecture)
    reseal(model)
    with pytest.raises(CheckpointError, match="architecture"):
        checkpoints.read_meta(model)


def test_mel_and_train_settings_have_stated_ranges():
    MelConfig(sample_rate=8000, n_fft=256, hop_length=64, n_mels=32, clip_seconds=1.0)  # tests' tiny one
    for bad, field in [({"sample_rate": 7999}, "sample_rate"), ({"sample_rate": 192001}, "sample_rate"),
                       ({"n_fft": 16385}, "n_fft"), ({"n_mels": 513}, "n_mels"),
                       ({"clip_seconds": 60.01}, "clip_seconds"), ({"db_floor": -1e9}, "db_floor")]:
        with pytest.raises(ConfigError, match=field):
            MelConfig(**bad)
    from melodygan_desktop.config import TrainConfig

    for bad, field in [({"batch_size": 10**9}, "batch_size"), ({"steps": 0}, "steps"),
                       ({"lr_g": 5.0}, "lr_g"),
                       ({"threads": 10**6}, "threads"), ({"preview_count": 10**6}, "preview_count")]:
        with pytest.raises(ConfigError, match=field):
            TrainConfig(data_dir="x", **bad)


def test_a_run_folder_config_with_absurd_numbers_is_refused(genre_folder, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", str(genre_folder), "--run-dir", str(run), "--steps", "2", *TINY_TRAIN]) == 0
    config = json.loads((run / "config.json").read_text())
    config["train"]["mel"]["clip_seconds"] = 1e4
    (run / "config.json").write_text(json.dumps(config))
    capsys.readouterr()
    with deadline(30):
        assert main(["train", "--resume", str(run), "--steps", "4", "--threads", "1", "--device", "cpu"]) == 1
    err = capsys.readouterr().err
    assert "clip_seconds must be above 0 and at most 60 s" in err and "Traceback" not in err


# 5. Text from files is shown with control characters escaped ----------------------------------------------


def test_display_text_escapes_control_characters():
    assert display_text(f"a{ESC_CLEAR}b{ESC_TITLE}") == "a\\x1b[2Jb\\x1b]0;pwned\\x07"
    assert display_text("x\u202eevil\ny\x9b") == "x\\u202eevil\\x0ay\\x9b"
    assert display_text("one\ntwo\x1b", keep_newlines=True) == "one\ntwo\\x1b"
    assert display_text("caf\udce9") == "caf\ufffd"
    assert display_text("plain: jazz, rock & Ünïcödé 音楽") == "plain: jazz, rock & Ünïcödé 音楽"


def test_escape_bytes_in_file_and_folder_names_never_reach_the_terminal(tmp_path, capsys):
    t = np.arange(3 * 8000) / 8000
    audio = (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    data = tmp_path / "data"
    (data / f"ro{ESC_CLEAR}ck").mkdir(parents=True)
    (data / "jazz").mkdir()
    sf.write(data / f"ro{ESC_CLEAR}ck" / f"song{ESC_TITLE}.wav", audio, 8000)
    sf.write(data / "jazz" / "a.wav", audio, 8000)
    (data / "jazz" / f"bad{ESC_TITLE}.wav").write_bytes(b"")
    mel = MelConfig(sample_rate=8000, n_fft=256, hop_length=128, n_mels=32, clip_seconds=1.0)
    prepared = prepare_dataset(data, mel, cache_dir=tmp_path / "cache")
    assert set(prepared.genres) == {"jazz", "ro\\x1b[2Jck"}  # the label itself is printable text
    assert main(["prepare", str(data), "--clip-seconds", "1", "--cache-dir", str(tmp_path / "cache2")]) == 0
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "ro\\x1b[2Jck" in out and "bad\\x1b]0;pwned\\x07.wav: empty file" in out


def test_a_genre_with_escape_sequences_in_meta_json_is_refused_and_never_printed(tmp_path, capsys):
    save(tmp_path / "run", 2)
    model = paths.user_models_dir() / "m"
    checkpoints.export_checkpoint(tmp_path / "run", model)
    rewrite_meta(model, genres=[f"ambient{ESC_TITLE}", "techno"])
    reseal(model)
    with pytest.raises(CheckpointError, match="not a plain name"):
        checkpoints.read_meta(model)
    assert main(["list"]) == 0
    assert main(["generate", "--model", str(model), "--genre", "techno", "-o", str(tmp_path / "t.wav")]) == 1
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "ambient\\x1b]0;pwned\\x07" in err


def test_error_messages_naming_hostile_paths_are_escaped(tmp_path, capsys):
    missing = tmp_path / f"no{ESC_CLEAR}such"
    assert main(["export", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "no\\x1b[2Jsuch" in err


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
