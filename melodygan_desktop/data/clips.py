"""One audio file -> its training clips as log-mels: stream-decode, cut, drop silence, mel transform.

Memory stays bounded for any file length: audio arrives in blocks from ``iter_audio_blocks`` and each clip
goes through the mel front-end as soon as it is cut, in work buffers the front-end keeps per thread.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from melodygan_desktop.config import MelConfig

#: At most this many bytes of clips are reserved up front from what a header claims (more grow as decoded).
MAX_RESERVED_BYTES = 256 << 20
#: Clips quieter than this (RMS after removing the DC offset, dB re full scale) count as silence.
SILENCE_DBFS = -60.0
#: ``front_end(clip, out)``: one clip (clip_samples,) float32 -> its mel (n_mels, frames) float16 in [0, 1],
#: written into ``out`` (such an array); thread-safe.
FrontEnd = Callable[[np.ndarray, np.ndarray], np.ndarray]


class UnusableFileError(Exception):
    """A file gave no usable clip; ``cacheable`` when the reason depends only on the file's content."""

    def __init__(self, reason: str, *, cacheable: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.cacheable = cacheable


@dataclass(frozen=True)
class FileClips:
    """Usable clips of one file: ``mels`` float16 (N, n_mels, frames) in [0, 1], N >= 1."""

    mels: np.ndarray
    seconds: float  # audio covered by whole clips, silent ones included
    silent_clips: int = 0


def make_front_end(mel: MelConfig) -> FrontEnd:
    """The clip front-end: an ``audio.mel.ClipAnalyser`` per calling thread, each built on first use."""
    from melodygan_desktop.audio.mel import ClipAnalyser

    local = threading.local()

    def front_end(clip: np.ndarray, out: np.ndarray) -> np.ndarray:
        analyser = getattr(local, "analyser", None)
        if analyser is None:
            analyser = local.analyser = ClipAnalyser(mel, mel.clip_samples)
        with torch.inference_mode():
            return analyser(clip, out)

    return front_end


def is_silent(clip: np.ndarray, threshold_dbfs: float = SILENCE_DBFS) -> bool:
    """True when ``clip`` (samples,) is quieter than ``threshold_dbfs`` once its DC offset is removed.

    The loudest 1% of samples are left out of the RMS, so a lone click cannot make a silent clip count as
    sound: resampling a DC-offset-only file rings for a few samples at its end (about -54 dBFS over 1 s).
    """
    if clip.size == 0:
        return True
    centred = clip.astype(np.float32) - np.float32(np.mean(clip, dtype=np.float64))
    power = np.square(centred, out=centred)
    limit = 10.0 ** (threshold_dbfs / 10.0)  # on power
    dropped = power.size // 100
    kept = power.size - dropped
    total = float(power.sum(dtype=np.float64))
    # Bounds first (most clips are far from the threshold): the trimmed mean lies between these two.
    if total / kept < limit:
        return True
    if (total - dropped * float(power.max())) / kept >= limit:
        return False
    trimmed = np.partition(power, kept - 1)[:kept] if dropped else power
    return float(np.mean(trimmed, dtype=np.float64)) < limit


def cut_clips(blocks: Iterable[np.ndarray], clip_samples: int) -> Iterator[np.ndarray]:
    """Non-overlapping clips of ``clip_samples`` from a stream of mono blocks; a trailing partial is dropped.

    Raises ``UnusableFileError`` as soon as a block holds NaN or infinite samples.
    """
    pending = np.zeros(0, dtype=np.float32)
    for block in blocks:
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        if not np.isfinite(block).all():
            raise UnusableFileError("contains NaN or infinite samples", cacheable=True)
        pending = np.concatenate([pending, block]) if pending.size else block
        start = 0
        while pending.size - start >= clip_samples:
            yield pending[start:start + clip_samples]
            start += clip_samples
        pending = pending[start:].copy() if start else pending


def _known_duration(info: object) -> float | None:
    """The header's duration in seconds, or None when the format does not state it."""
    seconds = getattr(info, "duration_seconds", None)
    if isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds >= 0:
        return float(seconds)
    return None


def _too_short(seconds: float, mel: MelConfig) -> str:
    return f"too short: {seconds:.2f} s, one clip needs {mel.clip_seconds:g} s"


def _too_short_decoded(decoded: float, claimed: float | None, mel: MelConfig) -> str:
    """The header promised a clip's worth, but fewer samples could be decoded (a truncated file)."""
    if claimed is None or claimed < mel.clip_seconds:
        return _too_short(decoded, mel)
    return (f"too short: only {decoded:.2f} s of audio could be decoded (the header claims {claimed:.2f} s: "
            f"truncated?), one clip needs {mel.clip_seconds:g} s")


class _Counted:
    """Passes blocks through and counts their samples (what was really decoded)."""

    def __init__(self, blocks: Iterable[np.ndarray]) -> None:
        self.blocks = blocks
        self.samples = 0

    def __iter__(self) -> Iterator[np.ndarray]:
        for block in self.blocks:
            self.samples += int(np.size(block))
            yield block


def _looks_like_text(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError:
        return False
    return bool(head) and all(32 <= byte < 127 or byte in b"\t\r\n" for byte in head)


def decode_reason(exc: Exception, path: Path) -> str:
    """A one-line reason for a reader error, without the (possibly very long) path in it."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    reason = getattr(exc, "reason", None)  # audio.io.AudioReadError carries the bare reason
    if not isinstance(reason, str) or not reason:
        reason = str(exc)
        for form in (f"'{path}'", f'"{path}"', str(path)):
            reason = reason.replace(form, "file")
        reason = reason.removeprefix("file: ").strip() or type(exc).__name__
        reason = f"cannot decode: {reason}"
    if _looks_like_text(path):
        return "not audio: looks like a text file"
    return reason


def file_to_mels(
    path: Path,
    mel: MelConfig,
    front_end: FrontEnd,
    *,
    block_seconds: float = 10.0,
) -> FileClips:
    """Decode ``path`` to mono at ``mel.sample_rate`` and return its non-silent clips as float16 mels.

    Raises ``UnusableFileError`` (with a one-line reason) for unreadable, undecodable, too-short, silent or
    NaN/inf files; never raises anything else for a bad file.
    """
    from melodygan_desktop.audio import io as audio_io

    clip_samples = mel.clip_samples
    try:
        duration = _known_duration(audio_io.audio_info(path))
        # Resampling can move the length by a sample or two: only reject clearly short files early.
        if duration is not None and duration < mel.clip_seconds - 0.05:
            raise UnusableFileError(_too_short(duration, mel), cacheable=True)
        blocks = _Counted(audio_io.iter_audio_blocks(path, mel.sample_rate, block_seconds=block_seconds))
        # Written in place, never stacked at the end: a long file's mels are held once, not twice.
        # Resampling may add a sample or two, hence the spare clip; an unknown length starts small and grows.
        # A header's claim reserves at most MAX_RESERVED_BYTES: more is allocated only as audio is decoded.
        capacity = int(duration * mel.sample_rate) // clip_samples + 1 if duration is not None else 8
        capacity = max(1, min(capacity, MAX_RESERVED_BYTES // (2 * mel.n_mels * mel.frames)))
        mels = np.empty((capacity, mel.n_mels, mel.frames), dtype=np.float16)
        clips = silent = kept = 0
        for clip in cut_clips(blocks, clip_samples):
            clips += 1
            if is_silent(clip):
                silent += 1
                continue
            if kept == len(mels):
                mels = np.concatenate([mels, np.empty_like(mels)])
            if not np.isfinite(front_end(clip, mels[kept])).all():
                raise UnusableFileError("mel front-end produced NaN/inf (bad samples)", cacheable=True)
            kept += 1
    except UnusableFileError:
        raise
    except (audio_io.AudioReadError, OSError, RuntimeError, ValueError, EOFError, UnicodeError) as exc:
        reason = decode_reason(exc, path)
        raise UnusableFileError(reason, cacheable="NaN" in reason) from None
    if clips == 0:
        decoded = blocks.samples / mel.sample_rate
        raise UnusableFileError(_too_short_decoded(decoded, duration, mel), cacheable=True)
    if not kept:
        reason = f"silent: all {clips} clip(s) below {SILENCE_DBFS:g} dBFS (after removing DC offset)"
        raise UnusableFileError(reason, cacheable=True)
    mels = mels[:kept] if kept * 2 > len(mels) else mels[:kept].copy()  # mostly silent: do not hold the rest
    return FileClips(mels=mels, seconds=clips * mel.clip_seconds, silent_clips=silent)
