"""Writing audio files atomically (temporary file + rename) with the generation settings in their tags:
wav (16-bit or float), flac and ogg Vorbis. ``melodygan_desktop.audio.io`` re-exports the public names."""

from __future__ import annotations

import errno
import json
import os
import secrets
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from melodygan_desktop import __version__

#: Extension -> (libsndfile format, default subtype) for ``write_audio``.
WRITABLE_FORMATS: dict[str, tuple[str, str]] = {
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
    ".oga": ("OGG", "VORBIS"),
}
#: libsndfile drops every WAV INFO string once one exceeds ~2045 characters; refuse rather than lose them.
WAV_COMMENT_LIMIT = 2000

#: Frames per write call (see write_audio).
WRITE_BLOCK_FRAMES = 65536


class AudioWriteError(OSError):
    """An audio file could not be written (read-only folder, disk full...); any previous file is intact."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"cannot write audio file {os.fspath(path)!r}: {reason}")
        self.path = Path(path)
        self.reason = reason


def _tags(metadata: dict[str, Any] | None, extension: str, path: Path) -> dict[str, str]:
    """Text tags for the file: the full settings as JSON in ``comment``, plus ``title`` and ``software``."""
    metadata = dict(metadata or {})
    try:
        comment = json.dumps(metadata, sort_keys=True, ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cannot write {path}: metadata is not JSON-serialisable ({exc})") from None
    if extension == ".wav" and len(comment) > WAV_COMMENT_LIMIT:
        raise ValueError(f"cannot write {path}: metadata is {len(comment)} characters, WAV tags hold "
                         f"{WAV_COMMENT_LIMIT}; use .flac or .ogg")
    tags = {"comment": comment, "software": f"MELodyGAN Desktop {__version__}"}
    title = metadata.get("title")
    tags["title"] = str(title) if title else "MELodyGAN Desktop generation"
    if isinstance(metadata.get("genre"), str) and metadata["genre"]:
        tags["genre"] = metadata["genre"]
    return tags


def write_audio(
    path: str | os.PathLike[str],
    audio: np.ndarray,
    sample_rate: int,
    *,
    metadata: dict[str, Any] | None = None,
    subtype: str | None = None,
) -> Path:
    """Write ``audio`` (``(samples,)`` mono or ``(samples, channels)``, float in [-1, 1]) to ``path``.

    The extension picks the format (.wav 16-bit unless ``subtype="FLOAT"`` or ``"PCM_24"``, .flac, .ogg
    Vorbis). ``metadata`` (JSON-serialisable) is stored as JSON in the ``comment`` tag; ``read_metadata``
    returns it. The file is written to a temporary name in the same folder and renamed over ``path``, so
    a failure (``AudioWriteError``: read-only folder, disk full) leaves any previous file untouched.
    """
    path = Path(path)
    extension = path.suffix.lower()
    if extension not in WRITABLE_FORMATS:
        raise ValueError(f"cannot write {path}: unsupported extension {extension!r}; "
                         f"use one of {', '.join(sorted(WRITABLE_FORMATS))}")
    file_format, default_subtype = WRITABLE_FORMATS[extension]
    subtype = (subtype or default_subtype).upper()
    if not sf.check_format(file_format, subtype):
        raise ValueError(f"cannot write {path}: subtype {subtype!r} is not valid for {file_format}")
    if sample_rate <= 0:
        raise ValueError(f"cannot write {path}: sample_rate must be positive, got {sample_rate}")
    samples = np.asarray(audio, dtype=np.float32)
    if samples.ndim not in (1, 2) or samples.shape[0] == 0:
        shape = samples.shape
        raise ValueError(f"cannot write {path}: expected (samples,) or (samples, channels), got {shape}")
    if not np.isfinite(samples).all():
        raise ValueError(f"cannot write {path}: audio contains NaN or infinite samples")
    if subtype.startswith("PCM") or subtype in ("VORBIS", "ULAW", "ALAW"):
        samples = np.clip(samples, -1.0, 1.0)  # integer formats would wrap around
    tags = _tags(metadata, extension, path)
    if path.is_dir():
        raise AudioWriteError(path, "a folder of that name exists")
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies
        os.close(descriptor)
        channels = 1 if samples.ndim == 1 else samples.shape[1]
        with sf.SoundFile(str(temporary), "w", sample_rate, channels, subtype, format=file_format) as out:
            for name, value in tags.items():  # tags must precede the audio for Ogg
                setattr(out, name, value)
            # In blocks: one libvorbis call over minutes of audio overflows its stack (python-soundfile #233).
            for start in range(0, len(samples), WRITE_BLOCK_FRAMES):
                out.write(samples[start : start + WRITE_BLOCK_FRAMES])
        descriptor = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except (OSError, sf.SoundFileError, RuntimeError) as exc:
        remove_quietly(temporary)
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            reason = "disk full"
        elif isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            reason = "the folder is read-only or access is denied"
        else:
            reason = getattr(exc, "strerror", None) or str(exc)
        raise AudioWriteError(path, reason) from exc
    _fsync_folder(path.parent)
    return path


def remove_quietly(path: Path) -> None:
    """Delete a temporary file of a failed write; a file already gone (or undeletable) is left at that."""
    try:
        path.unlink()
    except OSError:
        pass


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable where the platform allows opening a folder (not on Windows)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


__all__ = ["WAV_COMMENT_LIMIT", "WRITABLE_FORMATS", "AudioWriteError", "remove_quietly", "write_audio"]
