"""Bar-aligned loops: a click track cut to whole bars, the seam crossfade, and the smpl chunk read back."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import soundfile

from melodygan_desktop.audio.io import read_metadata
from melodygan_desktop.audio.loops import (
    LoopSpec,
    append_chunk,
    cut_loop,
    read_loop_points,
    riff_chunks,
    whole_bars,
    write_loop_wav,
)
from melodygan_desktop.evaluation.tempo import estimate_tempo

SR = 22050


def click_track(bpm: float, seconds: float, offset: float = 0.0, sr: int = SR) -> np.ndarray:
    """1 kHz clicks of 20 ms decaying in 4 ms, one per beat from ``offset`` seconds."""
    audio = np.zeros(int(seconds * sr), dtype=np.float32)
    n = int(0.02 * sr)
    burst = np.sin(2 * np.pi * 1000 * np.arange(n) / sr) * np.exp(-np.arange(n) / (0.004 * sr))
    beat = offset
    while beat * sr + n < audio.size:
        start = int(round(beat * sr))
        audio[start : start + n] += 0.8 * burst
        beat += 60.0 / bpm
    return audio


def test_a_120_bpm_click_track_makes_a_4_bar_loop_of_exactly_8_seconds(tmp_path):
    audio = click_track(120.0, 12.0)
    estimate = estimate_tempo(audio, SR)
    assert estimate is not None and estimate.bpm == 120.0
    assert estimate.first_beat_seconds < 0.03  # the click at 0 s, stepped back to from the first tracked beat
    spec = LoopSpec(estimate.bpm, bars=4, start_seconds=estimate.first_beat_seconds)
    path = write_loop_wav(tmp_path / "loop.wav", audio, SR, spec, metadata={"seed": "7"})

    written, rate = soundfile.read(path, dtype="float32")
    assert rate == SR and written.shape[0] == 8 * SR  # exactly 8.0 s
    assert read_loop_points(path) == [(0, written.shape[0] - 1)]
    body = riff_chunks(path)["smpl"]
    header = struct.unpack_from("<9I", body)
    assert header[2] == round(1e9 / SR) and header[7] == 1  # sample period (ns), one loop
    cue, kind, start, end, fraction, plays = struct.unpack_from("<6I", body, 36)
    assert (kind, start, end, plays) == (0, 0, 8 * SR - 1, 0)  # forward, whole file, endless
    assert int.from_bytes(path.read_bytes()[4:8], "little") == path.stat().st_size - 8  # RIFF size fixed
    tags = read_metadata(path)
    assert tags["bpm"] == "120" and tags["loop_bars"] == "4" and tags["beats_per_bar"] == "4"
    assert tags["seed"] == "7"
    assert not [p for p in tmp_path.iterdir() if p.name != "loop.wav"]  # no temporary file left


def test_the_tempo_estimate_finds_other_tempi_and_the_first_beat():
    estimate = estimate_tempo(click_track(100.0, 12.0, offset=0.3), SR)
    assert estimate is not None and abs(estimate.bpm - 100.0) <= 1.0
    assert abs(estimate.first_beat_seconds - 0.3) < 0.03
    assert estimate_tempo(np.zeros(SR * 4, dtype=np.float32), SR) is None
    assert estimate_tempo(np.zeros(100, dtype=np.float32), SR) is None


def test_loop_length_bars_and_seam():
    spec = LoopSpec(90.0, bars=3, beats_per_bar=3)
    assert spec.seconds == pytest.approx(6.0) and spec.frames(SR) == 6 * SR
    assert whole_bars(8.0, 120.0) == 4 and whole_bars(7.99, 120.0) == 3 and whole_bars(1.0, 120.0) == 0
    ramp = np.linspace(-0.5, 0.5, 10 * SR, dtype=np.float32)
    loop = cut_loop(ramp, SR, LoopSpec(120.0, 2, start_seconds=1.0))
    assert loop.shape == (4 * SR,)
    # the audio after the loop's end fades into its head: the wrap end -> start continues the ramp
    assert abs(float(loop[0]) - float(ramp[5 * SR])) < 0.01  # not ramp[SR] = -0.4: no click
    assert np.array_equal(loop[SR:], ramp[2 * SR : 5 * SR])
    # nothing after the end: the audio before the start fades into the tail
    tail = cut_loop(ramp, SR, LoopSpec(120.0, 4, start_seconds=2.0))
    assert abs(float(tail[-1]) - float(ramp[2 * SR - 1])) < 0.01
    stereo = cut_loop(np.stack([ramp, -ramp], axis=1), SR, LoopSpec(120.0, 1))
    assert stereo.shape == (2 * SR, 2)


def test_refusals():
    with pytest.raises(ValueError, match="need 8.00 s"):
        cut_loop(np.zeros(5 * SR, dtype=np.float32), SR, LoopSpec(120.0, 4))
    for bad in ({"bpm": 10.0, "bars": 1}, {"bpm": 120.0, "bars": 0}, {"bpm": float("nan"), "bars": 1},
                {"bpm": 120.0, "bars": 1, "beats_per_bar": 0},
                {"bpm": 120.0, "bars": 1, "start_seconds": -1}):
        with pytest.raises(ValueError):
            LoopSpec(**bad)
    with pytest.raises(ValueError, match=".wav"):
        write_loop_wav("x.flac", np.zeros(SR, dtype=np.float32), SR, LoopSpec(120.0, 1))


def test_append_chunk_pads_odd_files_and_refuses_non_riff(tmp_path):
    path = tmp_path / "odd.wav"
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 8000, 1, 8)  # PCM, mono, 8 kHz, 8-bit
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", 3) + b"\x80" * 3
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    assert path.stat().st_size % 2 == 1  # the data chunk ends on an odd offset, without its pad byte
    append_chunk(path, b"test" + struct.pack("<I", 2) + b"ab")
    assert riff_chunks(path)["test"] == b"ab" and riff_chunks(path)["data"] == b"\x80" * 3
    assert int.from_bytes(path.read_bytes()[4:8], "little") == path.stat().st_size - 8
    other = tmp_path / "x.flac"
    other.write_bytes(b"fLaC" + bytes(40))
    with pytest.raises(ValueError, match="RIFF"):
        append_chunk(other, b"test\0\0\0\0")
