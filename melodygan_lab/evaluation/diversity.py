"""Diversity: are the takes of one genre as different from each other as real clips of that genre are?

Measured as the mean pairwise Euclidean distance between classifier embeddings within a genre, generated
against real; a collapsed generator (every take alike) reads near 0 % of the real spread.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def spread(embeddings: np.ndarray) -> float | None:
    """Mean distance over all pairs of rows of ``embeddings`` (N, D); None for fewer than two rows."""
    count = embeddings.shape[0]
    if count < 2:
        return None
    x = embeddings.astype(np.float64)
    squared = (x * x).sum(axis=1)
    distances = np.sqrt(np.clip(squared[:, None] + squared[None, :] - 2.0 * x @ x.T, 0.0, None))
    return float(distances[np.triu_indices(count, k=1)].mean())


def diversity_by_genre(
    generated: np.ndarray, asked: np.ndarray, real: np.ndarray, real_labels: np.ndarray, genres: Sequence[str]
) -> dict[str, Any]:
    """Per genre ``{"generated", "real", "ratio"}`` spreads and ``overall_ratio``, the mean of the ratios."""
    per_genre: dict[str, dict[str, float | None]] = {}
    for index, genre in enumerate(genres):
        ours, theirs = spread(generated[asked == index]), spread(real[real_labels == index])
        ratio = ours / theirs if ours is not None and theirs else None
        per_genre[genre] = {"generated": ours, "real": theirs, "ratio": ratio}
    ratios = [v["ratio"] for v in per_genre.values() if v["ratio"] is not None]
    return {"per_genre": per_genre, "overall_ratio": float(np.mean(ratios)) if ratios else None}


__all__ = ["diversity_by_genre", "spread"]
