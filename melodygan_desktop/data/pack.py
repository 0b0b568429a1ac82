"""Data packs: a prepared data set in one file, to train on another machine without the audio.

``melodygan prepare DIR --pack FILE.npz`` writes the train and validation clips as 8-bit log-mels
(0.4 dB steps over the 100-dB range, below what the mel-to-audio step resolves), their labels and tracks,
the genre names and the mel settings, compressed. ``melodygan train FILE.npz`` (and ``codec train``)
read it instead of a folder. The file is read with ``allow_pickle=False`` and every array is checked
before use, so a pack from someone else cannot run code or ask for unbounded memory.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from melodygan_desktop.config import ConfigError, MelConfig, from_dict, to_dict
from melodygan_desktop.data.prepared import ClipSet, PreparedData
from melodygan_desktop.data.summary import DataSummary

PACK_FORMAT = "melodygan-pack"
PACK_VERSION = 1
PACK_SUFFIX = ".npz"
#: A pack holding more clips than this (about 100 hours at 10 s) is refused before anything is decompressed.
MAX_CLIPS = 40_000


class PackError(ValueError):
    """A pack file cannot be written or read; the message names the file and the reason."""


def is_pack(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names a data pack (an existing ``.npz`` file) rather than a folder of tracks."""
    path = Path(path)
    return path.suffix.lower() == PACK_SUFFIX and path.is_file()


def _quantise(mels: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(np.asarray(mels, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)


def subset(clips: ClipSet, max_clips: int, n_genres: int) -> ClipSet:
    """At most ``max_clips`` clips, the same number from each genre where it has them, spread evenly over
    each genre's clips (so over all of its tracks) rather than taken from the first ones."""
    if len(clips) <= max_clips:
        return clips
    per_genre = max(1, max_clips // max(1, n_genres))
    chosen = []
    for genre in range(n_genres):
        where = np.flatnonzero(clips.labels == genre)
        if where.size > per_genre:
            where = where[np.linspace(0, where.size - 1, per_genre).round().astype(np.int64)]
        chosen.append(where)
    index = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, np.int64)
    return ClipSet(mels=clips.mels[index], labels=clips.labels[index], track_ids=clips.track_ids[index])


def write_pack(
    data: PreparedData, mel: MelConfig, path: str | os.PathLike[str], *, max_clips: int | None = None
) -> Path:
    """Write ``data`` to ``path`` (atomically: a temporary file in the same folder, then renamed)."""
    path = Path(path)
    if path.suffix.lower() != PACK_SUFFIX:
        raise PackError(f"{path}: a pack file name must end in {PACK_SUFFIX}")
    train, val = data.train, data.val
    if max_clips is not None:
        train = subset(train, max_clips, len(data.genres))
    header = {
        "format": PACK_FORMAT,
        "format_version": PACK_VERSION,
        "mel": to_dict(mel),
        "genres": list(data.genres),
        "tracks": data.summary.tracks,
        "skipped": len(data.summary.skipped),
    }
    arrays = {
        "header": np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8),
        "train_mels": _quantise(train.mels),
        "train_labels": train.labels.astype(np.int64),
        "train_tracks": train.track_ids.astype(np.int64),
        "val_mels": _quantise(val.mels),
        "val_labels": val.labels.astype(np.int64),
        "val_tracks": val.track_ids.astype(np.int64),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez_compressed(out, **arrays)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


#: Arrays a pack holds, and the most bytes any one of them may take once decompressed (checked on the
#: header, before anything is decompressed: a small file cannot ask for gigabytes).
ARRAYS = ("header", "train_mels", "train_labels", "train_tracks", "val_mels", "val_labels", "val_tracks")
MAX_HEADER_BYTES = 1 << 20


def _array_headers(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Shape and dtype of each array in the pack, read from the .npy headers inside the zip."""
    headers = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename.removesuffix(".npy")
            if name not in ARRAYS:
                raise PackError(f"{path}: unexpected member {info.filename!r}")
            with archive.open(info) as member:
                version = np.lib.format.read_magic(member)
                read = np.lib.format.read_array_header_2_0 if version == (2, 0) else \
                    np.lib.format.read_array_header_1_0
                shape, _, dtype = read(member)
            headers[name] = (shape, dtype)
    missing = [name for name in ARRAYS if name not in headers]
    if missing:
        raise PackError(f"{path}: not a MELodyGAN data pack (missing {', '.join(missing)})")
    return headers


def _check_sizes(path: Path, headers) -> None:
    for name, (shape, dtype) in headers.items():
        if dtype.hasobject:
            raise PackError(f"{path}: {name} holds Python objects: refused")
        limit = MAX_HEADER_BYTES if name == "header" else MAX_CLIPS * 128 * 2600 * 8
        if int(np.prod(shape, dtype=np.float64)) * dtype.itemsize > limit:
            raise PackError(f"{path}: {name} {shape} is larger than any pack this app writes")
    clips = sum(headers[name][0][0] if headers[name][0] else 0 for name in ("train_mels", "val_mels"))
    if clips > MAX_CLIPS:
        raise PackError(f"{path}: more than {MAX_CLIPS} clips")


def _clipset(archive, prefix: str, mel: MelConfig, n_genres: int, where: Path) -> ClipSet:
    mels, labels, tracks = (archive[f"{prefix}_{name}"] for name in ("mels", "labels", "tracks"))
    if mels.dtype != np.uint8 or mels.ndim != 3 or mels.shape[1:] != (mel.n_mels, mel.frames):
        raise PackError(
            f"{where}: {prefix} clips have shape {mels.shape} {mels.dtype}, expected uint8 "
            f"(N, {mel.n_mels}, {mel.frames})"
        )
    count = mels.shape[0]
    if (
        labels.shape != (count,)
        or tracks.shape != (count,)
        or labels.dtype.kind != "i"
        or tracks.dtype.kind != "i"
    ):
        raise PackError(f"{where}: {prefix} labels or tracks do not match its {count} clips")
    if count and (labels.min() < 0 or labels.max() >= n_genres or tracks.min() < 0):
        raise PackError(f"{where}: {prefix} labels outside the {n_genres} genres")
    return ClipSet(
        mels=(mels.astype(np.float16) / np.float16(255.0)).astype(np.float16),
        labels=labels.astype(np.int64),
        track_ids=tracks.astype(np.int64),
    )


def read_pack(path: str | os.PathLike[str], mel: MelConfig | None = None) -> tuple[PreparedData, MelConfig]:
    """The prepared data and mel settings stored in ``path``; ``mel``, if given, must match the pack's."""
    path = Path(path)
    try:
        if not path.is_file():
            raise PackError(f"{path}: not a regular file")
        _check_sizes(path, _array_headers(path))
        with np.load(path, allow_pickle=False) as archive:
            try:
                header = json.loads(archive["header"].tobytes().decode("utf-8"))
            except (KeyError, ValueError, UnicodeDecodeError) as exc:
                raise PackError(f"{path}: not a MELodyGAN data pack ({exc})") from None
            if not isinstance(header, dict) or header.get("format") != PACK_FORMAT:
                raise PackError(f"{path}: not a MELodyGAN data pack")
            if header.get("format_version") != PACK_VERSION:
                raise PackError(
                    f"{path}: pack format_version {header.get('format_version')!r} is not {PACK_VERSION}"
                )
            try:
                stored = from_dict(MelConfig, header["mel"])
            except (ConfigError, KeyError) as exc:
                raise PackError(f"{path}: bad mel settings ({exc})") from None
            if mel is not None and stored != mel:
                raise PackError(f"{path}: its mel settings differ from the run's")
            genres = header.get("genres")
            if not isinstance(genres, list) or not genres or not all(isinstance(g, str) for g in genres):
                raise PackError(f"{path}: genres must be a list of names")
            train = _clipset(archive, "train", stored, len(genres), path)
            val = _clipset(archive, "val", stored, len(genres), path)
    except PackError:
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise PackError(f"{path}: cannot be read as a data pack ({exc})") from None
    if len(train) == 0:
        raise PackError(f"{path}: holds no training clips")
    per_genre = {g: int((train.labels == i).sum() + (val.labels == i).sum()) for i, g in enumerate(genres)}
    clips = len(train) + len(val)
    summary = DataSummary(
        tracks=int(header.get("tracks", 0)) if isinstance(header.get("tracks"), int) else 0,
        seconds=clips * stored.clip_seconds,
        clips=clips,
        genres=tuple(genres),
        clips_per_genre=per_genre,
        skipped=(),
        cache_hits=0,
    )
    return PreparedData(train=train, val=val, genres=tuple(genres), summary=summary), stored


__all__ = ["PACK_FORMAT", "PackError", "is_pack", "read_pack", "subset", "write_pack"]
