"""Bar-aligned loops for a DAW: cut a take to whole bars at a tempo, smooth the seam, and write a WAV whose
``smpl`` chunk marks one forward loop over the whole file (the tempo goes into the file's tags).

The tempo is given here; estimating it from the audio is the evaluation layer's job
(``melodygan_desktop.evaluation.tempo``), called by the CLI and the app's services.
"""

from __future__ import annotations

import os
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from melodygan_desktop.audio.writing import AudioWriteError, remove_quietly, write_audio

#: Tempo bounds (BPM) and the most bars / beats per bar a loop may have.
MIN_BPM = 20.0
MAX_BPM = 320.0
MAX_BARS = 256
MAX_BEATS_PER_BAR = 16
#: Length of the equal-power crossfade at the loop seam, seconds.
CROSSFADE_SECONDS = 0.01

_SMPL_HEADER = struct.Struct("<9I")  # manufacturer .. sampler data (36 bytes)
_SMPL_LOOP = struct.Struct("<6I")  # cue id, type, start, end, fraction, play count (24 bytes)
_FORWARD_LOOP = 0
_MIDDLE_C = 60


@dataclass(frozen=True)
class LoopSpec:
    """``bars`` bars of ``beats_per_bar`` beats at ``bpm``, starting ``start_seconds`` into the take."""

    bpm: float
    bars: int
    beats_per_bar: int = 4
    start_seconds: float = 0.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.bpm) and MIN_BPM <= self.bpm <= MAX_BPM):
            raise ValueError(f"the tempo must be {MIN_BPM:g} to {MAX_BPM:g} BPM, got {self.bpm}")
        if not 1 <= self.bars <= MAX_BARS:
            raise ValueError(f"bars must be 1 to {MAX_BARS}, got {self.bars}")
        if not 1 <= self.beats_per_bar <= MAX_BEATS_PER_BAR:
            raise ValueError(f"beats per bar must be 1 to {MAX_BEATS_PER_BAR}, got {self.beats_per_bar}")
        if not (np.isfinite(self.start_seconds) and self.start_seconds >= 0):
            raise ValueError(f"the start must be a time >= 0 s, got {self.start_seconds}")

    @property
    def seconds(self) -> float:
        return self.bars * self.beats_per_bar * 60.0 / self.bpm

    def frames(self, sample_rate: int) -> int:
        return int(round(self.seconds * sample_rate))


def bar_seconds(bpm: float, beats_per_bar: int = 4) -> float:
    return beats_per_bar * 60.0 / bpm


def whole_bars(seconds: float, bpm: float, beats_per_bar: int = 4) -> int:
    """How many whole bars fit into ``seconds`` (0 when not one)."""
    return max(0, int(np.floor(seconds / bar_seconds(bpm, beats_per_bar) + 1e-9)))


def cut_loop(
    audio: np.ndarray, sample_rate: int, spec: LoopSpec, crossfade_seconds: float = CROSSFADE_SECONDS
) -> np.ndarray:
    """``audio`` (samples,) or (samples, channels) cut to exactly ``spec.frames(sample_rate)`` samples from
    ``spec.start_seconds``, with an equal-power crossfade at the seam: the audio just after the loop's end
    fades into the loop's first samples (so the wrap from end to start continues the music), or, with
    nothing after the end, the audio just before the start fades into the loop's last samples; with
    neither, short fades in and out. ``ValueError`` when the take is shorter than the loop."""
    samples = np.asarray(audio, dtype=np.float32)
    if samples.ndim not in (1, 2) or sample_rate <= 0:
        raise ValueError(f"expected (samples,) or (samples, channels) audio, got {samples.shape}")
    start = int(round(spec.start_seconds * sample_rate))
    length = spec.frames(sample_rate)
    end = start + length
    if end > samples.shape[0]:
        have = max(0.0, samples.shape[0] / sample_rate - spec.start_seconds)
        raise ValueError(
            f"{spec.bars} bar(s) at {spec.bpm:g} BPM need {spec.seconds:.2f} s "
            f"from {spec.start_seconds:.2f} s; "
            f"the take has {have:.2f} s there"
        )
    loop = samples[start:end].copy()
    n = min(int(round(crossfade_seconds * sample_rate)), length // 2)
    if n <= 0:
        return loop
    t = (np.arange(n, dtype=np.float32) + 0.5) / n
    fade_in, fade_out = np.sin(0.5 * np.pi * t), np.cos(0.5 * np.pi * t)
    if loop.ndim == 2:
        fade_in, fade_out = fade_in[:, None], fade_out[:, None]
    if end + n <= samples.shape[0]:
        loop[:n] = loop[:n] * fade_in + samples[end : end + n] * fade_out
    elif start >= n:
        loop[-n:] = loop[-n:] * fade_out + samples[start - n : start] * fade_in
    else:
        loop[:n] *= fade_in
        loop[-n:] *= fade_out
    return loop


def smpl_chunk(sample_rate: int, loop_start: int, loop_end: int) -> bytes:
    """A RIFF ``smpl`` chunk with one forward loop from ``loop_start`` to ``loop_end`` (inclusive, in sample
    frames), played endlessly; unity note middle C."""
    period_ns = int(round(1e9 / sample_rate))
    header = _SMPL_HEADER.pack(0, 0, period_ns, _MIDDLE_C, 0, 0, 0, 1, 0)
    body = header + _SMPL_LOOP.pack(0, _FORWARD_LOOP, loop_start, loop_end, 0, 0)
    return b"smpl" + struct.pack("<I", len(body)) + body


def append_chunk(path: str | os.PathLike[str], chunk: bytes) -> None:
    """Append a complete chunk (id, size, body) to the RIFF/WAVE file at ``path`` and fix the RIFF size
    (a pad byte first when the file ends on an odd offset)."""
    with open(path, "r+b") as handle:
        head = handle.read(12)
        if len(head) != 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ValueError(f"{os.fspath(path)} is not a RIFF/WAVE file")
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        if size % 2:
            handle.write(b"\0")
            size += 1
        if len(chunk) % 2:
            chunk += b"\0"
        if size + len(chunk) - 8 > 0xFFFFFFFF:
            raise ValueError(f"{os.fspath(path)} would exceed the 4 GB a RIFF file can hold")
        handle.write(chunk)
        handle.seek(4)
        handle.write(struct.pack("<I", size + len(chunk) - 8))
        handle.flush()
        os.fsync(handle.fileno())


def riff_chunks(path: str | os.PathLike[str]) -> dict[str, bytes]:
    """The top-level chunks of a RIFF/WAVE file, id -> body (the first of each id)."""
    data = Path(path).read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{os.fspath(path)} is not a RIFF/WAVE file")
    chunks: dict[str, bytes] = {}
    offset = 12
    while offset + 8 <= len(data):
        name = data[offset : offset + 4].decode("latin-1")
        (size,) = struct.unpack_from("<I", data, offset + 4)
        chunks.setdefault(name, data[offset + 8 : offset + 8 + size])
        offset += 8 + size + (size % 2)
    return chunks


def read_loop_points(path: str | os.PathLike[str]) -> list[tuple[int, int]]:
    """``(start, end)`` sample frames of each loop in the file's ``smpl`` chunk; [] without one."""
    body = riff_chunks(path).get("smpl")
    if body is None or len(body) < _SMPL_HEADER.size:
        return []
    count = _SMPL_HEADER.unpack_from(body)[7]
    loops = []
    for index in range(count):
        offset = _SMPL_HEADER.size + index * _SMPL_LOOP.size
        if offset + _SMPL_LOOP.size > len(body):
            break
        _, _, start, end, _, _ = _SMPL_LOOP.unpack_from(body, offset)
        loops.append((start, end))
    return loops


def write_loop_wav(
    path: str | os.PathLike[str],
    audio: np.ndarray,
    sample_rate: int,
    spec: LoopSpec,
    *,
    metadata: dict[str, Any] | None = None,
    subtype: str | None = None,
) -> Path:
    """Cut ``audio`` to ``spec`` (``cut_loop``) and write it to the WAV file ``path`` with a ``smpl`` loop
    over every frame and the tempo, bars and beats per bar in the tags beside ``metadata``. Written under a
    temporary name and renamed, so a failure leaves any previous file untouched. Returns the path."""
    path = Path(path)
    if path.suffix.lower() != ".wav":
        raise ValueError(f"cannot write {path}: loop points need a .wav file")
    loop = cut_loop(audio, sample_rate, spec)
    tags = dict(metadata or {})
    tags.update({
        "bpm": f"{spec.bpm:g}",
        "loop_bars": str(spec.bars),
        "beats_per_bar": str(spec.beats_per_bar),
        "loop_start_seconds": f"{spec.start_seconds:.3f}",
    })
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.wav")
    try:
        write_audio(temporary, loop, sample_rate, metadata=tags, subtype=subtype)
        append_chunk(temporary, smpl_chunk(sample_rate, 0, loop.shape[0] - 1))
        os.replace(temporary, path)
    except OSError as exc:
        remove_quietly(temporary)
        if isinstance(exc, AudioWriteError):
            raise AudioWriteError(path, exc.reason) from exc
        raise AudioWriteError(path, exc.strerror or str(exc)) from exc
    except BaseException:
        remove_quietly(temporary)
        raise
    return path


__all__ = [
    "CROSSFADE_SECONDS",
    "MAX_BARS",
    "MAX_BEATS_PER_BAR",
    "MAX_BPM",
    "MIN_BPM",
    "LoopSpec",
    "append_chunk",
    "bar_seconds",
    "cut_loop",
    "read_loop_points",
    "riff_chunks",
    "smpl_chunk",
    "whole_bars",
    "write_loop_wav",
]
