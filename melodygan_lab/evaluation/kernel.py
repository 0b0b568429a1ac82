"""Kernel distance (KID, Binkowski et al. 2018) between two sets of classifier embeddings, per genre and
overall: the unbiased estimate of the squared maximum mean discrepancy with the cubic polynomial kernel
``k(x, y) = (x . y / d + 1) ** 3``.

Unlike the Frechet distance it assumes no Gaussian shape and has no small-sample bias: two sets drawn from the
same distribution score 0 on average at any size (single estimates scatter around 0 and can be slightly
negative). Units: squared kernel-feature units; compare values measured on the same embeddings only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from melodygan_desktop.evaluation.frechet import MIN_COUNT, balanced_weights


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(x @ y.T / d + 1) ** 3`` (N, M) float64 for embeddings ``x`` (N, D) and ``y`` (M, D)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def _normalised(weights: np.ndarray | None, n: int) -> np.ndarray:
    w = np.full(n, 1.0 / n) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be (N,) non-negative with a positive sum")
    return w / w.sum()


def _within(kernel: np.ndarray, w: np.ndarray) -> float:
    """Weighted mean of the off-diagonal kernel values: sum_{i != j} w_i w_j k_ij / (1 - sum_i w_i^2)."""
    off_diagonal = float(w @ kernel @ w) - float((w**2) @ np.diag(kernel))
    return off_diagonal / (1.0 - float((w**2).sum()))


def kernel_distance(
    a: np.ndarray,
    b: np.ndarray,
    *,
    weights_a: np.ndarray | None = None,
    weights_b: np.ndarray | None = None,
) -> float:
    """Unbiased MMD^2 (KID) between embedding sets ``a`` (N, D) and ``b`` (M, D), N, M >= 2, with the cubic
    polynomial kernel; optional per-sample weights (N,), (M,) (e.g. equal total weight per genre). Uniform
    weights give the usual estimator
    ``mean_{i!=j} k(a_i, a_j) + mean_{i!=j} k(b_i, b_j) - 2 mean_{i,j} k(a_i, b_j)``.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"expected embeddings (N, D) and (M, D), got {a.shape} and {b.shape}")
    if a.shape[0] < MIN_COUNT or b.shape[0] < MIN_COUNT:
        raise ValueError(f"each set needs at least {MIN_COUNT} embeddings, got {a.shape[0]} and {b.shape[0]}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("embeddings hold NaN or infinite values")
    wa, wb = _normalised(weights_a, a.shape[0]), _normalised(weights_b, b.shape[0])
    if (wa**2).sum() >= 1.0 - 1e-12 or (wb**2).sum() >= 1.0 - 1e-12:
        raise ValueError("the weights put everything on one embedding")
    cross = float(wa @ polynomial_kernel(a, b) @ wb)
    return _within(polynomial_kernel(a, a), wa) + _within(polynomial_kernel(b, b), wb) - 2.0 * cross


@dataclass(frozen=True)
class KernelResult:
    """KID per genre (None where a set has fewer than ``MIN_COUNT`` clips) and overall (genres weighed equally
    in both sets), with ``counts[genre] = (candidate, reference)``."""

    per_genre: dict[str, float | None]
    overall: float | None
    counts: dict[str, tuple[int, int]]


def kernel_by_genre(
    candidate: np.ndarray,
    candidate_labels: np.ndarray,
    reference: np.ndarray,
    reference_labels: np.ndarray,
    genres: Sequence[str],
) -> KernelResult:
    """KID between ``candidate`` (N, D) and ``reference`` (M, D) embeddings per genre (labels index
    ``genres``) and overall over the genres present in both sets, each genre with the same total weight."""
    candidate_labels = np.asarray(candidate_labels)
    reference_labels = np.asarray(reference_labels)
    per_genre: dict[str, float | None] = {}
    counts: dict[str, tuple[int, int]] = {}
    shared = []
    for index, genre in enumerate(genres):
        in_c, in_r = candidate_labels == index, reference_labels == index
        counts[genre] = (int(in_c.sum()), int(in_r.sum()))
        enough = min(counts[genre]) >= MIN_COUNT
        per_genre[genre] = kernel_distance(candidate[in_c], reference[in_r]) if enough else None
        if min(counts[genre]) >= 1:
            shared.append(index)
    keep_c, keep_r = np.isin(candidate_labels, shared), np.isin(reference_labels, shared)
    overall = None
    if keep_c.sum() >= MIN_COUNT and keep_r.sum() >= MIN_COUNT:
        wc, wr = balanced_weights(candidate_labels[keep_c]), balanced_weights(reference_labels[keep_r])
        if (wc / wc.sum()).max() < 1.0 and (wr / wr.sum()).max() < 1.0:
            overall = kernel_distance(candidate[keep_c], reference[keep_r], weights_a=wc, weights_b=wr)
    return KernelResult(per_genre=per_genre, overall=overall, counts=counts)
