"""Labelled real clips for the classifier and the metrics: a corpus folder split into ``train/``,
``validation/`` and ``test/`` (each ``<split>/<genre>/...``), or a plain genre folder split by track.

Clips come from ``data.prepared.prepare_dataset`` (same mel front-end, same on-disk cache as training).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from melodygan_desktop.config import MelConfig
from melodygan_desktop.data.prepared import ClipSet, prepare_dataset

#: Accepted folder names of each split, first one preferred.
SPLIT_NAMES: dict[str, tuple[str, ...]] = {
    "train": ("train",),
    "validation": ("validation", "val", "valid"),
    "test": ("test",),
}

#: ``progress(files_done, files_total, path)`` while audio is decoded.
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class LabelledClips:
    """Clips (``clips.labels`` index ``genres``) and where they came from."""

    clips: ClipSet
    genres: tuple[str, ...]
    source: str = ""

    def __len__(self) -> int:
        return len(self.clips)

    def counts(self) -> dict[str, int]:
        return {g: int((self.clips.labels == i).sum()) for i, g in enumerate(self.genres)}


@dataclass(frozen=True)
class Splits:
    """Train, validation and (for split corpora) test clips over one genre list ``genres``."""

    train: LabelledClips
    validation: LabelledClips
    test: LabelledClips | None
    genres: tuple[str, ...]
    layout: str  # "corpus" (train/validation/test folders) or "folder" (validation split off by track)


def split_folder(data_dir: str | os.PathLike[str], split: str) -> Path | None:
    """``data_dir/<split>`` under any accepted name, or None."""
    for name in SPLIT_NAMES[split]:
        candidate = Path(data_dir) / name
        if candidate.is_dir():
            return candidate
    return None


def is_split_corpus(data_dir: str | os.PathLike[str]) -> bool:
    """True when ``data_dir`` holds a ``train/`` folder and a validation or test folder beside it."""
    return split_folder(data_dir, "train") is not None and (
        split_folder(data_dir, "validation") is not None or split_folder(data_dir, "test") is not None
    )


def empty_clipset(mel: MelConfig) -> ClipSet:
    return ClipSet(
        mels=np.zeros((0, mel.n_mels, mel.frames), dtype=np.float16),
        labels=np.zeros(0, dtype=np.int64),
        track_ids=np.zeros(0, dtype=np.int64),
    )


def relabel(clips: LabelledClips, genres: Sequence[str]) -> LabelledClips:
    """The same clips labelled by their index in ``genres``; clips of other genres are dropped."""
    genres = tuple(genres)
    mapping = np.array([genres.index(g) if g in genres else -1 for g in clips.genres], dtype=np.int64)
    new_labels = mapping[clips.clips.labels] if len(clips) else clips.clips.labels
    keep = new_labels >= 0
    subset = ClipSet(
        mels=clips.clips.mels[keep], labels=new_labels[keep], track_ids=clips.clips.track_ids[keep]
    )
    return LabelledClips(clips=subset, genres=genres, source=clips.source)


def load_folder(
    folder: str | os.PathLike[str],
    mel: MelConfig,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> LabelledClips:
    """Every clip of a genre folder (sub-folders = genres), none held out."""
    prepared = prepare_dataset(folder, mel, cache_dir=cache_dir, val_fraction=0.0, seed=0, progress=progress)
    return LabelledClips(clips=prepared.train, genres=prepared.genres, source=str(folder))


def load_split(
    data_dir: str | os.PathLike[str],
    mel: MelConfig,
    split: str,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> LabelledClips:
    """The ``split`` (train, validation, test) of a corpus folder, or the whole folder if it has no splits."""
    if split not in SPLIT_NAMES:
        raise ValueError(f"unknown split {split!r}; choose one of: {', '.join(SPLIT_NAMES)}")
    if not is_split_corpus(data_dir):
        return load_folder(data_dir, mel, cache_dir=cache_dir, progress=progress)
    folder = split_folder(data_dir, split)
    if folder is None:
        raise FileNotFoundError(
            f"{data_dir}: has no {split} split (looked for {', '.join(SPLIT_NAMES[split])})"
        )
    return load_folder(folder, mel, cache_dir=cache_dir, progress=progress)


def load_splits(
    data_dir: str | os.PathLike[str],
    mel: MelConfig,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    val_fraction: float = 0.15,
    seed: int = 0,
    progress: Progress | None = None,
) -> Splits:
    """Train/validation/test clips of a corpus folder; a plain genre folder gives train/validation only
    (``val_fraction`` of each genre's tracks held out, deterministic in ``seed``) and ``test`` None.

    Genres are those of the training split; validation/test clips of other genres are dropped.
    """
    if not is_split_corpus(data_dir):
        prepared = prepare_dataset(
            data_dir, mel, cache_dir=cache_dir, val_fraction=val_fraction, seed=seed, progress=progress
        )
        genres = prepared.genres
        return Splits(
            train=LabelledClips(prepared.train, genres, f"{data_dir} (train tracks)"),
            validation=LabelledClips(prepared.val, genres, f"{data_dir} (held-out tracks)"),
            test=None,
            genres=genres,
            layout="folder",
        )
    train = load_split(data_dir, mel, "train", cache_dir=cache_dir, progress=progress)
    genres = train.genres
    parts: dict[str, LabelledClips | None] = {}
    for split in ("validation", "test"):
        folder = split_folder(data_dir, split)
        parts[split] = (
            None
            if folder is None
            else relabel(load_folder(folder, mel, cache_dir=cache_dir, progress=progress), genres)
        )
    validation = parts["validation"] or LabelledClips(empty_clipset(mel), genres, "none")
    return Splits(train=train, validation=validation, test=parts["test"], genres=genres, layout="corpus")
