"""A folder of tracks -> train/val sets of log-mel clips with genre labels, and the batch sampler over them.

``prepare_dataset`` scans (``scan.py``), turns each file into clips through the on-disk cache
(``cache.py``, ``clips.py``), splits by track and reports every skipped file with its reason.
Cache misses are decoded by a small pool of threads (libsndfile, libsoxr and torch release the GIL, so they
use every core without worker processes); memory stays bounded by the files in flight, one per thread.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from melodygan_desktop.config import MelConfig
from melodygan_desktop.data.cache import CacheEntry, ClipCache, cache_key, default_cache_dir
from melodygan_desktop.data.clips import FrontEnd, make_front_end
from melodygan_desktop.data.decoding import DecodingStopped, decode_in_parallel
from melodygan_desktop.data.scan import (
    DataFolderError,
    NoUsableAudioError,
    ScanResult,
    Track,
    scan_folder,
)
from melodygan_desktop.data.summary import DataSummary
from melodygan_desktop.threads import prepare_workers

#: Called after each file as ``progress(files_done, files_total, path)``.
Progress = Callable[[int, int, str], None]


class PreparationCancelled(Exception):
    """``should_stop`` asked ``prepare_dataset`` to stop before every file was processed."""


@dataclass(frozen=True)
class ClipSet:
    """Clips of one split: ``mels`` float16 (N, n_mels, frames) in [0, 1], ``labels`` int64 (N,) genre
    indices, ``track_ids`` int64 (N,) indices into ``PreparedData.tracks`` (no track is in two splits)."""

    mels: np.ndarray
    labels: np.ndarray
    track_ids: np.ndarray

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def tracks(self) -> int:
        return int(np.unique(self.track_ids).size)


@dataclass(frozen=True)
class PreparedData:
    """Both splits, genre names (label i is ``genres[i]``), the summary for the GUI/CLI, the usable tracks."""

    train: ClipSet
    val: ClipSet
    genres: tuple[str, ...]
    summary: DataSummary
    tracks: tuple[Track, ...] = field(default_factory=tuple)


def _rank(seed: int, relative: str) -> str:
    return hashlib.sha256(f"{seed}\0{relative}".encode("utf-8", "surrogatepass")).hexdigest()


def split_tracks(tracks: list[Track], val_fraction: float, seed: int) -> list[bool]:
    """Per track, True if it goes to validation. Deterministic (seeded hash of the relative path),
    stratified per genre, and every genre keeps at least one training track; with 1-2 tracks val is empty."""
    is_val = [False] * len(tracks)
    by_genre: dict[str, list[int]] = {}
    for index, track in enumerate(tracks):
        by_genre.setdefault(track.genre, []).append(index)
    ranked = {
        genre: sorted(indices, key=lambda i: _rank(seed, tracks[i].relative or str(tracks[i].path)))
        for genre, indices in by_genre.items()
    }
    for indices in ranked.values():
        count = min(len(indices) - 1, int(len(indices) * val_fraction + 0.5))
        for index in indices[:count]:
            is_val[index] = True
    if val_fraction > 0 and not any(is_val) and len(tracks) >= 3:
        # Small genres all rounded to zero: still hold out one track from the largest genre that has two.
        largest = max(ranked.values(), key=len)
        if len(largest) >= 2:
            is_val[largest[0]] = True
    return is_val


def _assemble(parts: list[tuple[np.ndarray, int, int]], mel: MelConfig) -> ClipSet:
    """Concatenate (mels, label, track_id) parts into one preallocated ClipSet (one part is used as is)."""
    total = sum(mels.shape[0] for mels, _, _ in parts)
    if len(parts) == 1:  # no copy: a single long file would otherwise be held twice
        mels, label, track_id = parts[0]
        mels = np.ascontiguousarray(mels, dtype=np.float16)
        labels, track_ids = np.full(total, label, np.int64), np.full(total, track_id, np.int64)
        return ClipSet(mels=mels, labels=labels, track_ids=track_ids)
    out = np.empty((total, mel.n_mels, mel.frames), dtype=np.float16)
    labels = np.empty(total, dtype=np.int64)
    track_ids = np.empty(total, dtype=np.int64)
    start = 0
    for mels, label, track_id in parts:
        stop = start + mels.shape[0]
        out[start:stop] = mels
        labels[start:stop] = label
        track_ids[start:stop] = track_id
        start = stop
    return ClipSet(mels=out, labels=labels, track_ids=track_ids)


def prepare_dataset(
    data_dir: str | os.PathLike[str],
    mel: MelConfig,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    val_fraction: float = 0.1,
    seed: int = 0,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    front_end: FrontEnd | None = None,
    workers: int | None = None,
) -> PreparedData:
    """Scan ``data_dir``, cut each track into ``mel.clip_seconds`` clips of log-mels (cached), split by track.

    ``cache_dir`` None uses the per-user cache; ``workers`` threads decode cache misses (None: one per core,
    at most 4). The result does not depend on ``workers``: tracks keep their folder order. Raises
    ``DataFolderError`` for a missing folder and ``NoUsableAudioError`` (naming the folder and every reason)
    when no file gives a usable clip.
    """
    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    scan: ScanResult = scan_folder(data_dir)
    skipped = list(scan.skipped)
    if not scan.tracks:
        note = f"no audio files found ({scan.ignored_files} other file(s) ignored)"
        raise NoUsableAudioError(data_dir, skipped, note=note)
    cache = ClipCache(cache_dir if cache_dir is not None else default_cache_dir(), mel)
    entries: dict[int, CacheEntry] = {}
    misses: list[tuple[int, Track, str | None]] = []
    seen: dict[str, Path] = {}
    total = len(scan.tracks)
    done = 0

    def finished(track: Track) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, str(track.path))

    def stopped() -> PreparationCancelled:
        return PreparationCancelled(f"Preparing {data_dir} was stopped after {done} of {total} files")

    for index, track in enumerate(scan.tracks):  # cheap: keys, duplicates and cache hits, in folder order
        if should_stop is not None and should_stop():
            raise stopped()
        key = cache_key(track.path, mel)
        if key is not None and key in seen:
            skipped.append((str(track.path), f"same file as {seen[key]}"))
            finished(track)
            continue
        if key is not None:
            seen[key] = track.path
        entry = cache.load(key) if key else None
        if entry is None:
            misses.append((index, track, key))
        else:
            entries[index] = entry
            finished(track)
    hits = len(entries)
    if misses:
        front_end = front_end or make_front_end(mel)  # built on the first miss: a cached run never loads it
        count = prepare_workers() if workers is None else max(1, workers)
        try:
            for index, track, entry in decode_in_parallel(misses, mel, cache, front_end, count, should_stop):
                entries[index] = entry
                finished(track)
        except DecodingStopped:
            raise stopped() from None
    usable: list[tuple[Track, np.ndarray]] = []
    for index in sorted(entries):
        track, entry = scan.tracks[index], entries[index]
        if entry.mels is None:
            skipped.append((str(track.path), entry.reason or "no usable clip"))
        else:
            usable.append((track, entry.mels))
    if not usable:
        note = f"none of the {total} audio file(s) gave a usable clip"
        raise NoUsableAudioError(data_dir, skipped, note=note)
    return _build(usable, mel, val_fraction, seed, skipped, hits)


def _build(usable, mel: MelConfig, val_fraction: float, seed: int, skipped, hits: int) -> PreparedData:
    tracks = [track for track, _ in usable]
    genres = tuple(sorted({track.genre for track in tracks}))
    label_of = {genre: index for index, genre in enumerate(genres)}
    is_val = split_tracks(tracks, val_fraction, seed)
    train_parts, val_parts = [], []
    clips_per_genre = dict.fromkeys(genres, 0)
    for track_id, (track, mels) in enumerate(usable):
        (val_parts if is_val[track_id] else train_parts).append((mels, label_of[track.genre], track_id))
        clips_per_genre[track.genre] += int(mels.shape[0])
    clips = sum(clips_per_genre.values())
    summary = DataSummary(
        tracks=len(tracks),
        seconds=clips * mel.clip_seconds,
        clips=clips,
        genres=genres,
        clips_per_genre=clips_per_genre,
        skipped=tuple((str(path), str(reason)) for path, reason in skipped),
        cache_hits=hits,
    )
    train, val = _assemble(train_parts, mel), _assemble(val_parts, mel)
    return PreparedData(train=train, val=val, genres=genres, summary=summary, tracks=tuple(tracks))


class ClipSampler:
    """Endless shuffled batches from a ``ClipSet``: each epoch visits every clip once in a fresh order.

    The order depends only on ``(seed, clips drawn so far)``, so ``state_dict`` / ``load_state_dict``
    resume exactly. Yields ``(mels float32 (B, 1, n_mels, frames) in [0, 1], labels int64 (B,))``.
    """

    def __init__(self, clipset: ClipSet, batch_size: int, seed: int = 0):
        if len(clipset) == 0:
            raise ValueError("ClipSampler needs at least one clip")
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.clipset = clipset
        self.batch_size = batch_size
        self.seed = seed
        self.position = 0  # clips drawn so far
        self._order_epoch = -1
        self._order = np.zeros(0, dtype=np.int64)

    @property
    def epoch(self) -> int:
        return self.position // len(self.clipset)

    def _epoch_order(self, epoch: int) -> np.ndarray:
        if epoch != self._order_epoch:
            self._order = np.random.default_rng([self.seed, epoch]).permutation(len(self.clipset))
            self._order_epoch = epoch
        return self._order

    def next_indices(self) -> np.ndarray:
        """Clip indices (B,) of the next batch; a batch may span two epochs."""
        size = len(self.clipset)
        indices = np.empty(self.batch_size, dtype=np.int64)
        for slot in range(self.batch_size):
            epoch, offset = divmod(self.position, size)
            indices[slot] = self._epoch_order(epoch)[offset]
            self.position += 1
        return indices

    def __iter__(self) -> ClipSampler:
        return self

    def __next__(self) -> tuple[torch.Tensor, torch.Tensor]:
        indices = self.next_indices()
        mels = torch.from_numpy(self.clipset.mels[indices].astype(np.float32)).unsqueeze(1)
        labels = torch.from_numpy(self.clipset.labels[indices])
        return mels, labels

    def state_dict(self) -> dict[str, Any]:
        return {"position": self.position, "seed": self.seed}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.position = int(state["position"])
        self.seed = int(state.get("seed", self.seed))


__all__ = [
    "ClipSampler",
    "ClipSet",
    "DataFolderError",
    "NoUsableAudioError",
    "PreparationCancelled",
    "PreparedData",
    "ScanResult",
    "Track",
    "prepare_dataset",
    "scan_folder",
    "split_tracks",
]
