"""The bad-input matrix: each broken file is skipped with its name and reason; good files are still used."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from datahelpers import TINY_MEL, tone, write_wav

from melodygan_desktop.data.prepared import NoUsableAudioError, prepare_dataset


def build_matrix(folder: Path) -> dict[str, tuple[str, ...]]:
    """Write one file of each bad kind into ``folder/bad``; returns file name -> accepted reason words."""
    bad = folder / "bad"
    bad.mkdir(parents=True)
    expect: dict[str, tuple[str, ...]] = {}
    (bad / "zero.wav").write_bytes(b"")
    expect["zero.wav"] = ("empty",)
    write_wav(bad / "truncated.wav", tone(2.0))
    with open(bad / "truncated.wav", "r+b") as handle:
        handle.truncate(20)
    expect["truncated.wav"] = ("decode", "short", "truncated", "corrupt")
    (bad / "random.wav").write_bytes(np.random.default_rng(0).bytes(4096))
    expect["random.wav"] = ("decode", "corrupt")
    (bad / "text.mp3").write_text("This is not an MP3 file.\n" * 40)
    expect["text.mp3"] = ("decode", "corrupt", "not audio")
    (bad / "dir.wav").mkdir()
    expect["dir.wav"] = ("folder",)
    write_wav(bad / "short.wav", tone(0.2))
    expect["short.wav"] = ("too short",)
    write_wav(bad / "silence.wav", np.zeros(24000, np.float32))
    expect["silence.wav"] = ("silent",)
    write_wav(bad / "dc.wav", np.full(24000, 0.4, np.float32))
    expect["dc.wav"] = ("silent",)
    nan = tone(2.0)
    nan[100] = np.nan
    nan[200] = np.inf
    write_wav(bad / "nan.wav", nan, subtype="FLOAT")
    expect["nan.wav"] = ("nan", "infinite", "non-finite")
    (bad / "loop.wav").symlink_to(bad / "loop.wav")
    expect["loop.wav"] = ("symlink loop",)
    return expect


def write_good_variants(folder: Path) -> list[str]:
    """Unusual but valid files: every one must give clips."""
    good = folder / "good"
    rng = np.random.default_rng(1)
    write_wav(good / "plain.wav", tone(2.3))
    write_wav(good / "noise_clipped.wav", np.clip(rng.standard_normal(20000) * 4, -1, 1).astype(np.float32))
    write_wav(good / "eight_k.flac", tone(1.5), sample_rate=8000)
    six = np.stack([tone(1.3, 96000, 300.0 + 50 * c) for c in range(6)], axis=1)
    write_wav(good / "hires_6ch.wav", six, sample_rate=96000, subtype="PCM_24")
    write_wav(good / ("ünïcødé_♫_" + "x" * 150 + ".wav"), tone(1.2))
    sf.write(os.fsencode(good) + b"/latin1_\xe9t\xe9.wav", tone(1.2), 8000)  # not valid UTF-8
    return sorted(os.listdir(good))


def test_bad_files_are_skipped_with_reasons_and_good_files_used(tmp_path):
    expect = build_matrix(tmp_path / "data")
    good = write_good_variants(tmp_path / "data")
    prepared = prepare_dataset(tmp_path / "data", TINY_MEL, cache_dir=tmp_path / "cache", val_fraction=0.0)
    reasons = {Path(path).name: reason for path, reason in prepared.summary.skipped}
    for name, words in expect.items():
        assert name in reasons, f"{name} was not reported"
        assert any(word in reasons[name].lower() for word in words), (name, reasons[name])
    # A name that is not valid UTF-8 is used when the reader can open it, otherwise reported: never fatal.
    odd = [name for name in good if name.startswith("latin1_")]
    unexpected = [(p, r) for p, r in prepared.summary.skipped if Path(p).parent.name != "bad"]
    assert [Path(p).name for p, _ in unexpected] in ([], odd), unexpected
    assert prepared.summary.tracks == len(good) - len(unexpected)
    assert len(good) == 6
    assert prepared.genres == ("good",)


def test_bad_files_stay_skipped_on_a_cached_second_run(tmp_path):
    expect = build_matrix(tmp_path / "data")
    write_wav(tmp_path / "data" / "good" / "a.wav", tone(1.1))
    first = prepare_dataset(tmp_path / "data", TINY_MEL, cache_dir=tmp_path / "cache")
    second = prepare_dataset(tmp_path / "data", TINY_MEL, cache_dir=tmp_path / "cache")
    assert sorted(first.summary.skipped) == sorted(second.summary.skipped)
    assert len(first.summary.skipped) == len(expect)
    assert second.summary.cache_hits >= 4  # the good file plus the content-based refusals


def test_unexpected_reader_errors_skip_the_file(tmp_path, monkeypatch):
    write_wav(tmp_path / "data" / "a.wav", tone(1.1))
    write_wav(tmp_path / "data" / "b.wav", tone(1.1))
    from melodygan_desktop.audio import io as audio_io

    real = audio_io.iter_audio_blocks

    def flaky(path, *args, **kwargs):
        if Path(path).name == "b.wav":
            raise TypeError("reader bug")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(audio_io, "iter_audio_blocks", flaky)
    prepared = prepare_dataset(tmp_path / "data", TINY_MEL, cache_dir=tmp_path / "cache")
    assert prepared.summary.tracks == 1
    assert "reader bug" in dict(prepared.summary.skipped)[str(tmp_path / "data" / "b.wav")]


def test_folder_without_audio_is_a_clear_error(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "readme.txt").write_text("no music here")
    with pytest.raises(NoUsableAudioError) as caught:
        prepare_dataset(tmp_path / "docs", TINY_MEL, cache_dir=tmp_path / "cache")
    assert str(tmp_path / "docs") in str(caught.value)
    assert "no audio files found" in str(caught.value)


def test_folder_of_only_bad_files_lists_every_reason(tmp_path):
    expect = build_matrix(tmp_path / "data")
    with pytest.raises(NoUsableAudioError) as caught:
        prepare_dataset(tmp_path / "data", TINY_MEL, cache_dir=tmp_path / "cache")
    message = str(caught.value)
    assert "none of the" in message
    for name in expect:
        assert name in message
    assert len(caught.value.skipped) == len(expect)


def test_empty_folder_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoUsableAudioError, match="no audio files found"):
        prepare_dataset(tmp_path / "empty", TINY_MEL, cache_dir=tmp_path / "cache")
