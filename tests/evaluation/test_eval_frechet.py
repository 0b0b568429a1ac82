"""Frechet distance: zero for a set with itself, grows with a mean shift, symmetric, stable for small N."""

from __future__ import annotations

import numpy as np
import pytest

from melodygan_desktop.evaluation.frechet import (
    LEDOIT_WOLF,
    frechet_by_genre,
    frechet_distance,
    gaussian_stats,
    ledoit_wolf_weight,
    split_halves,
)


@pytest.fixture
def sets():
    rng = np.random.default_rng(0)
    mixing = rng.standard_normal((16, 16)) / 4
    a = rng.standard_normal((400, 16)) @ mixing
    b = rng.standard_normal((300, 16)) @ mixing + 0.1
    return a, b


@pytest.mark.parametrize("shrinkage", [0.0, 0.3, LEDOIT_WOLF])
def test_set_with_itself_is_zero(sets, shrinkage):
    a, _ = sets
    assert frechet_distance(a, a, shrinkage=shrinkage) == pytest.approx(0.0, abs=1e-8)


@pytest.mark.parametrize("shrinkage", [0.0, LEDOIT_WOLF])
def test_grows_with_mean_shift_and_is_symmetric(sets, shrinkage):
    a, b = sets
    distances = [frechet_distance(a, a + shift, shrinkage=shrinkage) for shift in (0.0, 0.5, 1.0, 2.0)]
    assert distances == sorted(distances) and distances[0] < 1e-8
    # Same covariance: the distance is exactly the squared mean shift, 16 dims x shift^2.
    assert distances[2] == pytest.approx(16 * 1.0, rel=1e-6)
    assert frechet_distance(a, b, shrinkage=shrinkage) == pytest.approx(
        frechet_distance(b, a, shrinkage=shrinkage), rel=1e-6, abs=1e-9
    )


def test_known_value_for_diagonal_gaussians():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((20000, 3))
    b = rng.standard_normal((20000, 3)) * 2.0
    # Exact: 3 * (1 + 4 - 2 * 2) = 3 for unit vs doubled standard deviations.
    assert frechet_distance(a, b, shrinkage=0.0) == pytest.approx(3.0, rel=0.05)


def test_small_sets_stay_finite_and_shrinkage_reduces_the_bias():
    rng = np.random.default_rng(2)
    pairs = [(rng.standard_normal((12, 64)), rng.standard_normal((12, 64))) for _ in range(5)]
    plain = [frechet_distance(x, y, shrinkage=0.0) for x, y in pairs]
    shrunk = [frechet_distance(x, y) for x, y in pairs]
    assert all(np.isfinite(plain)) and all(np.isfinite(shrunk))
    assert np.mean(shrunk) < np.mean(plain)  # same distribution: the true distance is 0
    assert gaussian_stats(pairs[0][0]).shrinkage > 0.5
    assert ledoit_wolf_weight(rng.standard_normal((5000, 4)) * [1, 2, 3, 4]) < 0.1


def test_stats_reject_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        gaussian_stats(np.array([[0.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(ValueError, match="shape"):
        gaussian_stats(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="shrinkage"):
        gaussian_stats(np.zeros((4, 3)), shrinkage=2.0)
    with pytest.raises(ValueError, match="sizes differ"):
        frechet_distance(np.zeros((4, 3)), np.zeros((4, 2)))


def test_per_genre_and_overall():
    rng = np.random.default_rng(3)
    reference = np.concatenate([rng.standard_normal((60, 4)), rng.standard_normal((20, 4)) + 3])
    reference_labels = np.array([0] * 60 + [1] * 20)
    candidate = np.concatenate([rng.standard_normal((30, 4)), rng.standard_normal((30, 4)) + 3])
    candidate_labels = np.array([0] * 30 + [1] * 30)
    result = frechet_by_genre(candidate, candidate_labels, reference, reference_labels, ("a", "b", "c"))
    assert result.counts == {"a": (30, 60), "b": (30, 20), "c": (0, 0)}
    assert result.per_genre["c"] is None
    assert result.per_genre["a"] < 1.0 and result.per_genre["b"] < 1.0
    # Genres are weighed equally, so the unequal real genre mix does not count as a difference.
    assert result.overall is not None and result.overall < 1.0
    swapped = frechet_by_genre(candidate, 1 - candidate_labels, reference, reference_labels, ("a", "b"))
    assert swapped.per_genre["a"] > 20


def test_halves_split_by_track_and_balance():
    labels = np.array([0] * 12 + [1] * 6)
    tracks = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3] + [9] * 6)
    in_a, single = split_halves(labels, tracks, seed=0)
    assert single == [1]
    for track in (0, 1, 2, 3):
        assert len(set(in_a[tracks == track])) == 1  # never on both sides
    assert in_a[:12].sum() == 6 and in_a[12:].sum() == 3
