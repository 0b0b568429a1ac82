"""Audio files in and out: any format soundfile decodes -> mono float32 at a target rate (whole or streamed
in blocks); wav / flac / ogg written atomically with the generation settings in the file's tags.

Non-finite samples (NaN / inf, possible in float files) raise ``AudioReadError`` by default, because they
mark a corrupt file; pass ``on_non_finite="zero"`` to replace them with silence instead.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import soundfile as sf

from melodygan_desktop.audio.resample import resample_blocks
from melodygan_desktop.audio.writing import WAV_COMMENT_LIMIT, WRITABLE_FORMATS, AudioWriteError, write_audio

#: Extensions offered in file dialogs and scanned in data folders (everything libsndfile 1.1+ decodes).
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(
    {".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif", ".aifc", ".au", ".snd",
     ".caf", ".w64", ".rf64"}
)
NonFinitePolicy = Literal["error", "zero"]
#: Sample rates a file may have (Hz). Below 8 kHz is not music the models can learn from, and a header
#: claiming 1 Hz would make a 6-s file read as 73 hours; above 768 kHz no real recording exists.
MIN_FILE_RATE = 8_000
MAX_FILE_RATE = 768_000



class AudioReadError(Exception):
    """A file could not be read as audio; ``path`` and ``reason`` say which and why."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"cannot read audio file {os.fspath(path)!r}: {reason}")
        self.path = Path(path)
        self.reason = reason


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says; ``duration_seconds = frames / sample_rate``."""

    path: Path
    duration_seconds: float
    sample_rate: int
    channels: int
    format: str
    subtype: str
    frames: int


def _open(path: str | os.PathLike[str]) -> sf.SoundFile:
    """Open ``path`` for reading, turning every failure into an ``AudioReadError`` with a plain reason."""
    path = Path(path)
    try:
        status = path.stat()
    except FileNotFoundError:
        raise AudioReadError(path, "file not found") from None
    except OSError as exc:
        reason = "symbolic link loop" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
        raise AudioReadError(path, reason) from None
    if stat.S_ISDIR(status.st_mode):
        raise AudioReadError(path, "is a directory, not an audio file")
    if not stat.S_ISREG(status.st_mode):  # a pipe would block the reader forever
        raise AudioReadError(path, "not a regular file (a pipe, socket or device)")
    if status.st_size == 0:
        raise AudioReadError(path, "empty file (0 bytes)")
    try:
        with open(path, "rb"):
            pass
    except PermissionError:
        raise AudioReadError(path, "permission denied") from None
    except OSError as exc:
        raise AudioReadError(path, exc.strerror or str(exc)) from None
    try:
        # POSIX file names are bytes: passing them as such also opens names that are not valid UTF-8.
        sound_file = sf.SoundFile(os.fsencode(path) if os.name == "posix" else str(path))
    except (sf.SoundFileError, RuntimeError, ValueError, TypeError) as exc:
        detail = str(exc).split(": ", 1)[-1].rstrip(".")
        if "does not exist or is not a regular file" in detail:  # what libsndfile says of undecodable MP3
            detail = "no decodable audio frames"
        reason = f"not a readable audio file (unknown format or corrupt: {detail})"
        raise AudioReadError(path, reason) from None
    if sound_file.samplerate <= 0 or sound_file.channels <= 0:
        sound_file.close()
        raise AudioReadError(path, "invalid header (no sample rate or channels)")
    if sound_file.samplerate < MIN_FILE_RATE:
        rate = sound_file.samplerate
        sound_file.close()
        raise AudioReadError(path, f"sample rate {rate} Hz is below {MIN_FILE_RATE // 1000} kHz")
    if sound_file.samplerate > MAX_FILE_RATE:
        rate = sound_file.samplerate
        sound_file.close()
        raise AudioReadError(path, f"sample rate {rate} Hz is above {MAX_FILE_RATE // 1000} kHz")
    if sound_file.channels > 256:
        channels = sound_file.channels
        sound_file.close()
        raise AudioReadError(path, f"invalid header ({channels} channels)")
    return sound_file


def audio_info(path: str | os.PathLike[str]) -> AudioInfo:
    """Header facts of ``path`` without decoding the audio. Raises ``AudioReadError``."""
    with _open(path) as sound_file:
        return AudioInfo(
            path=Path(path),
            duration_seconds=sound_file.frames / sound_file.samplerate,
            sample_rate=sound_file.samplerate,
            channels=sound_file.channels,
            format=sound_file.format,
            subtype=sound_file.subtype,
            frames=sound_file.frames,
        )


def _mono_blocks(
    sound_file: sf.SoundFile, path: Path, frames: int, block_frames: int, on_non_finite: NonFinitePolicy
) -> Iterator[np.ndarray]:
    """Up to ``frames`` frames from the current position as mono float32 blocks of exactly ``block_frames``
    (the last may be shorter): channels averaged, non-finite samples handled per ``on_non_finite``.

    Frames are decoded into one reused buffer, so a long file costs no more memory than a short one.
    """
    channels = sound_file.channels
    buffer = np.empty((min(block_frames, frames), channels), dtype=np.float32)
    remaining = frames
    pending: list[np.ndarray] = []
    pending_frames = 0
    while remaining > 0:
        want = min(block_frames - pending_frames, remaining, buffer.shape[0])
        try:
            data = sound_file.read(want, dtype="float32", always_2d=True, out=buffer[:want])
        except (sf.SoundFileError, RuntimeError) as exc:
            position = sound_file.tell() / sound_file.samplerate if sound_file.seekable() else 0.0
            raise AudioReadError(path, f"decoding failed near {position:.1f} s ({exc})") from None
        if data.shape[0] == 0:  # header promised more than the file holds (truncated): stop cleanly
            break
        mono = _mix_down(data)
        if not np.isfinite(mono).all():
            if on_non_finite != "zero":
                raise AudioReadError(path, "contains NaN or infinite samples")
            np.nan_to_num(mono, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        pending.append(mono)
        pending_frames += mono.shape[0]
        remaining -= mono.shape[0]
        if pending_frames == block_frames:
            yield pending[0] if len(pending) == 1 else np.concatenate(pending)
            pending, pending_frames = [], 0
    if pending_frames:
        yield np.concatenate(pending)


def _mix_down(frames: np.ndarray) -> np.ndarray:
    """(n, channels) -> a new mono (n,) array, the channel average (column sums: ~10x cheaper than
    ``mean(axis=1)`` over interleaved frames)."""
    mono = frames[:, 0].copy()
    for channel in range(1, frames.shape[1]):
        mono += frames[:, channel]
    if frames.shape[1] > 1:
        mono *= np.float32(1.0 / frames.shape[1])
    return mono


def iter_audio_blocks(
    path: str | os.PathLike[str],
    sample_rate: int | None,
    block_seconds: float = 30.0,
    *,
    start_seconds: float = 0.0,
    max_seconds: float | None = None,
    on_non_finite: NonFinitePolicy = "error",
) -> Iterator[np.ndarray]:
    """Stream ``path`` as mono float32 blocks of about ``block_seconds`` at ``sample_rate`` (None = the file's
    own rate). Memory stays flat for files of any length; the blocks join seamlessly (the resampler streams
    across them), so ``np.concatenate(list(...))`` equals ``read_audio``. Raises ``AudioReadError``.
    """
    if block_seconds <= 0:
        raise ValueError(f"block_seconds must be positive, got {block_seconds}")
    if sample_rate is not None and sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    path = Path(path)
    with _open(path) as sound_file:
        file_rate = sound_file.samplerate
        if sound_file.frames <= 0:
            raise AudioReadError(path, "contains no audio samples")
        start = max(0, int(round(start_seconds * file_rate)))
        available = max(0, sound_file.frames - start)
        frames = available if max_seconds is None else min(available, int(round(max_seconds * file_rate)))
        if frames <= 0:
            return
        if start:
            sound_file.seek(start)
        target = sample_rate or file_rate
        block_frames = max(1, int(round(block_seconds * file_rate)))
        blocks = _mono_blocks(sound_file, path, frames, block_frames, on_non_finite)
        if target == file_rate:
            yield from blocks
        else:
            yield from resample_blocks(blocks, file_rate, target)


def read_audio(
    path: str | os.PathLike[str],
    sample_rate: int | None,
    *,
    start_seconds: float = 0.0,
    max_seconds: float | None = None,
    on_non_finite: NonFinitePolicy = "error",
) -> np.ndarray:
    """Decode ``path`` to mono float32 ``(samples,)`` in about [-1, 1] at ``sample_rate`` (None = native).

    Channels are averaged; resampling is libsoxr's "HQ" (``audio.resample``). ``start_seconds``
    and ``max_seconds`` select a span (an empty array when it starts past the end). Raises ``AudioReadError``.
    """
    # Decoded block by block, so a many-channel file never sits in memory as a whole multi-channel copy.
    blocks = list(iter_audio_blocks(path, sample_rate, 10.0, start_seconds=start_seconds,
                                    max_seconds=max_seconds, on_non_finite=on_non_finite))
    if not blocks:
        return np.zeros(0, dtype=np.float32)
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The settings ``write_audio`` stored in ``path`` (the JSON object in its ``comment`` tag).

    For files from elsewhere, whose comment is not a JSON object, returns the non-empty text tags
    (``title``, ``artist``, ``comment``...) instead. Raises ``AudioReadError``.
    """
    with _open(path) as sound_file:
        tags = {name: value for name, value in sound_file.copy_metadata().items() if value}
    try:
        decoded = json.loads(tags.get("comment", ""))
    except ValueError:
        decoded = None
    return decoded if isinstance(decoded, dict) else tags


__all__ = [
    "MAX_FILE_RATE",
    "MIN_FILE_RATE",
    "SUPPORTED_EXTENSIONS",
    "WAV_COMMENT_LIMIT",
    "WRITABLE_FORMATS",
    "AudioInfo",
    "AudioReadError",
    "AudioWriteError",
    "audio_info",
    "iter_audio_blocks",
    "read_audio",
    "read_metadata",
    "write_audio",
]
