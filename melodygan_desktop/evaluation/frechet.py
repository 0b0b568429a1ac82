"""Frechet distance between two sets of classifier embeddings, per genre and overall, and the track-wise split
of real clips into two halves whose distance is the real-vs-real floor.

``FD = |mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a^1/2 S_b S_a^1/2)^1/2)``, computed in float64 with two
symmetric eigen-decompositions (no general ``sqrtm``, so no complex parts or non-PSD round-off: negative
eigenvalues are clipped to 0).

Small sets: with N clips in D dimensions the sample covariance has rank <= N-1 and its eigenvalues spread
out, which inflates the distance (the bias shrinks like 1/N). By default each covariance is shrunk toward
``tr(S)/D * I`` with the Ledoit-Wolf weight estimated from that set alone, which removes much of the bias
for N < D. Distances are only comparable between sets of similar size: report the counts beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: ``shrinkage`` value that estimates the weight per set (Ledoit & Wolf 2004).
LEDOIT_WOLF = "ledoit-wolf"
#: Fewest clips per set for which a per-genre distance is reported.
MIN_COUNT = 2


@dataclass(frozen=True)
class GaussianStats:
    """Mean (D,) and covariance (D, D) of a set of ``count`` embeddings; ``shrinkage`` is the weight used."""

    mean: np.ndarray
    cov: np.ndarray
    count: int
    shrinkage: float


def ledoit_wolf_weight(centred: np.ndarray) -> float:
    """Ledoit-Wolf shrinkage weight in [0, 1] for centred samples (N, D) (scaled identity target)."""
    n, d = centred.shape
    if n < 2:
        return 1.0
    squared = centred**2
    emp_trace = squared.sum(axis=0) / n  # (D,) diagonal of the empirical covariance
    mu = emp_trace.sum() / d
    beta_sum = float((squared.T @ squared).sum())
    delta_sum = float(((centred.T @ centred) ** 2).sum()) / n**2
    beta = (beta_sum / n - delta_sum) / (d * n)
    delta = (delta_sum - 2.0 * mu * emp_trace.sum() + d * mu**2) / d
    if delta <= 0:
        return 0.0
    return float(np.clip(min(beta, delta) / delta, 0.0, 1.0))


def gaussian_stats(
    embeddings: np.ndarray, *, weights: np.ndarray | None = None, shrinkage: float | str = LEDOIT_WOLF
) -> GaussianStats:
    """Mean and (shrunk) covariance of ``embeddings`` (N, D); ``weights`` (N,) >= 0 weigh samples
    (e.g. equal total weight per genre); ``shrinkage`` is a weight in [0, 1] or ``"ledoit-wolf"``."""
    x = np.asarray(embeddings, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"expected embeddings of shape (N, D) with N >= 1, got {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("embeddings hold NaN or infinite values")
    n, d = x.shape
    w = np.full(n, 1.0 / n) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be (N,) non-negative with a positive sum")
    w = w / w.sum()
    mean = w @ x
    centred = x - mean
    scaled = centred * np.sqrt(n * w)[:, None]  # scaled.T @ scaled / n == sum_i w_i c_i c_i^T
    denominator = 1.0 - float((w**2).sum())  # 1 - 1/N unweighted: the unbiased (N - 1) normalisation
    cov = scaled.T @ scaled / n / denominator if denominator > 1e-12 else np.zeros((d, d))
    if shrinkage == LEDOIT_WOLF:
        alpha = ledoit_wolf_weight(scaled)
    elif isinstance(shrinkage, (int, float)) and 0 <= shrinkage <= 1:
        alpha = float(shrinkage)
    else:
        raise ValueError(f"shrinkage must be a number in [0, 1] or {LEDOIT_WOLF!r}, got {shrinkage!r}")
    if alpha > 0:
        cov = (1.0 - alpha) * cov + alpha * (np.trace(cov) / d) * np.eye(d)
    return GaussianStats(mean=mean, cov=(cov + cov.T) / 2, count=n, shrinkage=alpha)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_from_stats(a: GaussianStats, b: GaussianStats) -> float:
    """Frechet distance between two Gaussians (squared embedding units, >= 0)."""
    if a.mean.shape != b.mean.shape:
        raise ValueError(f"embedding sizes differ: {a.mean.shape[0]} vs {b.mean.shape[0]}")
    root_a = _psd_sqrt(a.cov)
    middle = root_a @ b.cov @ root_a
    eigen = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_root = float(np.sqrt(np.clip(eigen, 0.0, None)).sum())
    diff = a.mean - b.mean
    distance = float(diff @ diff) + float(np.trace(a.cov)) + float(np.trace(b.cov)) - 2.0 * trace_root
    return max(distance, 0.0)


def frechet_distance(a: np.ndarray, b: np.ndarray, *, shrinkage: float | str = LEDOIT_WOLF) -> float:
    """Frechet distance between embedding sets ``a`` (N, D) and ``b`` (M, D); symmetric, 0 for equal sets."""
    return frechet_from_stats(gaussian_stats(a, shrinkage=shrinkage), gaussian_stats(b, shrinkage=shrinkage))


def balanced_weights(labels: np.ndarray) -> np.ndarray:
    """Per-sample weights (N,) giving every label present the same total weight."""
    labels = np.asarray(labels)
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    return 1.0 / counts[inverse]


@dataclass(frozen=True)
class FrechetResult:
    """Distances per genre (None where a set has fewer than ``MIN_COUNT`` clips) and overall (genres weighed
    equally in both sets), with the clip counts behind each: ``counts[genre] = (candidate, reference)``."""

    per_genre: dict[str, float | None]
    overall: float | None
    counts: dict[str, tuple[int, int]]


def frechet_by_genre(
    candidate: np.ndarray,
    candidate_labels: np.ndarray,
    reference: np.ndarray,
    reference_labels: np.ndarray,
    genres: Sequence[str],
    *,
    shrinkage: float | str = LEDOIT_WOLF,
) -> FrechetResult:
    """FD between ``candidate`` (N, D) and ``reference`` (M, D) embeddings per genre (labels index ``genres``)
    and overall over the genres present in both sets."""
    candidate_labels = np.asarray(candidate_labels)
    reference_labels = np.asarray(reference_labels)
    per_genre: dict[str, float | None] = {}
    counts: dict[str, tuple[int, int]] = {}
    shared = []
    for index, genre in enumerate(genres):
        in_c, in_r = candidate_labels == index, reference_labels == index
        counts[genre] = (int(in_c.sum()), int(in_r.sum()))
        if min(counts[genre]) >= MIN_COUNT:
            per_genre[genre] = frechet_distance(candidate[in_c], reference[in_r], shrinkage=shrinkage)
        else:
            per_genre[genre] = None
        if min(counts[genre]) >= 1:
            shared.append(index)
    keep_c, keep_r = np.isin(candidate_labels, shared), np.isin(reference_labels, shared)
    overall = None
    if keep_c.sum() >= MIN_COUNT and keep_r.sum() >= MIN_COUNT:
        stats_c = gaussian_stats(
            candidate[keep_c], weights=balanced_weights(candidate_labels[keep_c]), shrinkage=shrinkage
        )
        stats_r = gaussian_stats(
            reference[keep_r], weights=balanced_weights(reference_labels[keep_r]), shrinkage=shrinkage
        )
        overall = frechet_from_stats(stats_c, stats_r)
    return FrechetResult(per_genre=per_genre, overall=overall, counts=counts)


def split_halves(labels: np.ndarray, track_ids: np.ndarray, seed: int = 0) -> tuple[np.ndarray, list[int]]:
    """Split clips into halves A and B per genre, by track (no track on both sides), balancing clip counts.

    Returns (in_a (N,) bool, labels of genres with a single track, whose clips had to be split by clip:
    their floor is optimistic since both halves hear the same track).
    """
    labels = np.asarray(labels)
    track_ids = np.asarray(track_ids)
    rng = np.random.default_rng(seed)
    in_a = np.zeros(labels.shape[0], dtype=bool)
    single_track = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        tracks, sizes = np.unique(track_ids[rows], return_counts=True)
        if tracks.size == 1:
            in_a[rows[rng.permutation(rows.size)[: rows.size // 2]]] = True
            single_track.append(int(label))
            continue
        order = rng.permutation(tracks.size)
        order = order[np.argsort(-sizes[order], kind="stable")]  # largest first, ties in random order
        total_a = total_b = 0
        for position in order:
            if total_a <= total_b:
                in_a[rows[track_ids[rows] == tracks[position]]] = True
                total_a += sizes[position]
            else:
                total_b += sizes[position]
    return in_a, single_track
