"""Kernel distance (KID): the cubic kernel, unbiasedness on same-distribution sets, growth with a shift,
weights and the per-genre split."""

from __future__ import annotations

import numpy as np
import pytest

from melodygan_lab.evaluation.kernel import kernel_by_genre, kernel_distance, polynomial_kernel


def test_polynomial_kernel_matches_its_formula():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    expected = [[(float(a @ b) / 4 + 1) ** 3 for b in y] for a in x]
    np.testing.assert_allclose(polynomial_kernel(x, y), expected)


def test_brute_force_unbiased_estimate():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((4, 3)) + 0.5
    k = lambda u, v: (float(u @ v) / 3 + 1) ** 3  # noqa: E731
    within_a = np.mean([k(a[i], a[j]) for i in range(5) for j in range(5) if i != j])
    within_b = np.mean([k(b[i], b[j]) for i in range(4) for j in range(4) if i != j])
    cross = np.mean([k(u, v) for u in a for v in b])
    assert kernel_distance(a, b) == pytest.approx(within_a + within_b - 2 * cross)
    assert kernel_distance(a, b) == pytest.approx(kernel_distance(b, a))


def test_same_distribution_is_zero_on_average_and_can_go_negative():
    rng = np.random.default_rng(2)
    values = [
        kernel_distance(rng.standard_normal((20, 16)), rng.standard_normal((20, 16))) for _ in range(200)
    ]
    spread = np.std(values)
    assert abs(np.mean(values)) < 4 * spread / np.sqrt(len(values))  # unbiased: the mean is 0 within noise
    assert min(values) < 0 < max(values)
    shifted = kernel_distance(rng.standard_normal((20, 16)), rng.standard_normal((20, 16)) + 1.0)
    assert shifted > max(values)


def test_grows_with_the_shift():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((64, 8))
    distances = [kernel_distance(a, rng.standard_normal((64, 8)) + s) for s in (0.0, 0.5, 1.0, 2.0)]
    assert distances[0] < 0.1 * distances[1] and distances == sorted(distances)


def test_uniform_weights_change_nothing_and_bad_input_is_refused():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((6, 5)), rng.standard_normal((7, 5))
    assert kernel_distance(a, b, weights_a=np.full(6, 3.0)) == pytest.approx(kernel_distance(a, b))
    with pytest.raises(ValueError):
        kernel_distance(a[:1], b)
    with pytest.raises(ValueError):
        kernel_distance(a, b[:, :4])
    with pytest.raises(ValueError):
        kernel_distance(a, b, weights_a=np.eye(6)[0])
    with pytest.raises(ValueError):
        kernel_distance(np.full((3, 5), np.nan), b)


def test_by_genre_and_balanced_overall():
    rng = np.random.default_rng(5)
    reference = np.concatenate([rng.standard_normal((30, 8)), rng.standard_normal((90, 8)) + 3.0])
    reference_labels = np.array([0] * 30 + [1] * 90)
    candidate = np.concatenate([rng.standard_normal((20, 8)), rng.standard_normal((20, 8)) + 3.0])
    candidate_labels = np.array([0] * 20 + [1] * 20)
    result = kernel_by_genre(candidate, candidate_labels, reference, reference_labels, ("a", "b", "c"))
    assert result.counts == {"a": (20, 30), "b": (20, 90), "c": (0, 0)}
    assert result.per_genre["c"] is None
    assert abs(result.per_genre["a"]) < 0.5 and abs(result.per_genre["b"]) < 5.0
    # Genre b dominates the reference 3:1; balancing weights keeps the overall distance near 0.
    unbalanced = kernel_distance(candidate, reference)
    assert abs(result.overall) < 0.2 * abs(unbalanced)
    swapped = kernel_by_genre(candidate, 1 - candidate_labels, reference, reference_labels, ("a", "b"))
    assert swapped.per_genre["a"] > 10 * abs(result.per_genre["a"])


def test_diversity_reads_collapse_as_zero_and_like_sets_as_one():
    from melodygan_lab.evaluation.diversity import diversity_by_genre, spread

    rng = np.random.default_rng(0)
    real = rng.normal(size=(200, 8))
    labels = np.repeat([0, 1], 100)
    assert spread(real[:1]) is None
    assert spread(np.array([[0.0, 0.0], [3.0, 4.0]])) == 5.0
    like = diversity_by_genre(rng.normal(size=(200, 8)), labels, real, labels, ["a", "b"])
    assert 0.9 < like["overall_ratio"] < 1.1
    collapsed = np.repeat(rng.normal(size=(1, 8)), 200, axis=0) + 0.01 * rng.normal(size=(200, 8))
    assert diversity_by_genre(collapsed, labels, real, labels, ["a", "b"])["overall_ratio"] < 0.05
