"""The genre classifier: learns two synthetic genres, accepts any clip length, augments within range."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from evalhelpers import GENRES, TINY_MEL, synthetic_clipset

from melodygan_desktop.evaluation.classifier import (
    ClassifierArchitecture,
    GenreClassifier,
    count_parameters,
    embed_clips,
)
from melodygan_lab.evaluation.train_classifier import (
    ClassifierTrainConfig,
    augment,
    classification_metrics,
    evaluate_classifier,
    train_classifier,
)

FAST = ClassifierTrainConfig(epochs=6, batch_size=16, learning_rate=3e-3, crop_frames=32, patience=3)


@pytest.fixture(scope="module")
def splits():
    return (
        synthetic_clipset(TINY_MEL, 24, seed=1),
        synthetic_clipset(TINY_MEL, 10, seed=2),
        synthetic_clipset(TINY_MEL, 16, seed=3),
    )


def test_learns_two_clearly_different_genres(splits):
    train, validation, test = splits
    reports = []
    started = time.perf_counter()
    result = train_classifier(train, validation, GENRES, TINY_MEL, FAST, progress=reports.append)
    elapsed = time.perf_counter() - started
    metrics = evaluate_classifier(result.model, test, GENRES)
    assert metrics.accuracy > 0.9, metrics
    assert elapsed < 30  # about 2 s on an idle core
    assert reports and reports[-1].epoch == len(result.history)
    assert 1 <= result.best_epoch <= len(result.history)
    assert result.best_validation is not None and result.best_validation.balanced_accuracy > 0.9
    assert sum(map(sum, metrics.confusion)) == len(test)


def test_should_stop_ends_training_early(splits):
    train, validation, _ = splits
    result = train_classifier(train, validation, GENRES, TINY_MEL, FAST, should_stop=lambda: True)
    assert result.stopped_early and result.history == []


def test_any_clip_length_and_embedding_shape():
    model = GenreClassifier(TINY_MEL.n_mels, 3).eval()
    for frames in (16, 63, 431):
        x = torch.rand(2, 1, TINY_MEL.n_mels, frames)
        assert model(x).shape == (2, 3)
        assert model.embed(x).shape == (2, model.architecture.embed_dim)
        assert model.predict(x).dtype == torch.int64
    with pytest.raises(ValueError, match="too short"):
        model(torch.rand(1, 1, TINY_MEL.n_mels, 8))
    with pytest.raises(ValueError, match="shape"):
        model(torch.rand(1, TINY_MEL.n_mels, 40))
    embeddings = embed_clips(model, np.random.rand(5, TINY_MEL.n_mels, 40).astype(np.float16))
    assert embeddings.shape == (5, 128) and embeddings.dtype == np.float32


def test_default_network_is_small_enough_to_ship():
    model = GenreClassifier(128, 12, ClassifierArchitecture())
    assert count_parameters(model) * 4 < 2_000_000
    assert 128 <= model.architecture.embed_dim <= 256


def test_augment_keeps_range_and_silence():
    x = torch.rand(4, 1, 32, 50)
    x[:, :, :5] = 0.0
    out = augment(x, ClassifierTrainConfig(), TINY_MEL, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and float(out.min()) >= 0 and float(out.max()) <= 1
    assert torch.all(out[:, :, :5] == 0)
    assert not torch.equal(out, x)


def test_metrics_confusion_and_balanced_accuracy():
    metrics = classification_metrics(np.array([0, 0, 0, 1]), np.array([0, 0, 1, 1]), ("a", "b", "c"))
    assert metrics.confusion == [[2, 1, 0], [0, 1, 0], [0, 0, 0]]
    assert metrics.accuracy == pytest.approx(0.75)
    assert metrics.balanced_accuracy == pytest.approx((2 / 3 + 1) / 2)
    assert metrics.per_genre["c"] is None
