"""Hostile files and arguments, continued: nothing is allocated from a header's or a meta.json's claims, and
a file's control characters never reach the terminal. Real mechanisms: a real WAV whose header says 1 Hz,
real escape bytes in file and folder names, ``melodygan_desktop.cli.main``.
"""

from __future__ import annotations

import json
import struct
import time
import tracemalloc

import numpy as np
import pytest
import soundfile as sf
from hostile_helpers import ESC_CLEAR, ESC_TITLE, TINY_TRAIN, deadline
from test_checkpoints import save
from test_checkpoints_untrusted import reseal, rewrite_meta

from melodygan_desktop import checkpoints, paths
from melodygan_desktop.checkpoints import CheckpointError
from melodygan_desktop.cli import main
from melodygan_desktop.config import ConfigError, MelConfig
from melodygan_desktop.data.prepared import prepare_dataset
from melodygan_desktop.paths import display_text

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
     {"noise_from": 10**9}, {"noise_from": True},
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
