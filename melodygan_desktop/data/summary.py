"""What preparing a data folder reports (the training loop's ``Started`` event carries it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DataSummary:
    """What a data folder gave: usable tracks and clips per genre, and each skipped file with its reason."""

    tracks: int
    seconds: float
    clips: int
    genres: tuple[str, ...]
    clips_per_genre: dict[str, int]
    skipped: tuple[tuple[str, str], ...]  # (path, reason)
    cache_hits: int = 0
