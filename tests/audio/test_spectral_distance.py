"""Spectral distances of mel-to-audio methods, on signals whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from melodygan_desktop.audio.spectral_distance import multi_resolution_stft_loss, resynthesis_scores
from melodygan_desktop.config import MelConfig

MEL = MelConfig(clip_seconds=2.0)


def test_identical_audio_scores_zero(chord):
    audio = chord(2.0)
    scores = resynthesis_scores(audio, audio, MEL).means()
    zero = {"mrstft": 0.0, "lsd_db": 0.0, "mcd_db": 0.0, "convergence": 0.0}
    assert scores == pytest.approx(zero, abs=1e-5)


def test_a_level_change_has_its_known_distances(chord):
    """Half the amplitude: power 6.02 dB lower in every bin (LSD), spectral convergence 0.5, log magnitude
    ln 2; only c0 of the mel cepstrum moves, so the mel-cepstral distortion (c1..c24) stays about 0."""
    audio = chord(2.0)
    scores = resynthesis_scores(audio, 0.5 * audio, MEL)
    assert scores.lsd_db[0] == pytest.approx(20 * math.log10(2.0), abs=0.1)  # a few bins sit at the floor
    assert scores.convergence[0] == pytest.approx(0.5, abs=1e-4)
    assert scores.mrstft[0] == pytest.approx(0.5 + math.log(2.0), abs=1e-3)
    assert scores.mcd_db[0] == pytest.approx(0.0, abs=0.05)


def test_distances_grow_with_the_damage(chord):
    audio = chord(2.0)
    noise = np.random.default_rng(0).standard_normal(audio.shape).astype(np.float32)
    slight = resynthesis_scores(audio, audio + 0.01 * noise, MEL).means()
    heavy = resynthesis_scores(audio, audio + 0.2 * noise, MEL).means()
    for name in ("mrstft", "lsd_db", "mcd_db", "convergence"):
        assert 0 < slight[name] < heavy[name], name


def test_batches_score_per_clip_and_bad_input_is_refused(chord):
    audio = np.stack([chord(2.0, seed=1), chord(2.0, seed=2)])
    scores = resynthesis_scores(audio, np.stack([audio[0], 0.5 * audio[1]]), MEL)
    assert scores.lsd_db.shape == (2,) and scores.lsd_db[0] == pytest.approx(0.0, abs=1e-4)
    with pytest.raises(ValueError, match="silent"):
        resynthesis_scores(np.zeros(44100, np.float32), audio[0], MEL)
    with pytest.raises(ValueError, match="NaN"):
        resynthesis_scores(audio[0], np.full(44100, np.nan, np.float32), MEL)


def test_the_training_loss_carries_gradients_to_the_estimate(chord):
    reference = torch.from_numpy(chord(1.0))[None]
    estimate = (0.5 * reference).clone().requires_grad_(True)
    convergence, log_distance = multi_resolution_stft_loss(reference, estimate)
    assert float(convergence.detach()) == pytest.approx(0.5, abs=1e-3)
    assert float(log_distance.detach()) == pytest.approx(math.log(2.0), abs=1e-3)
    (convergence + log_distance).backward()
    assert estimate.grad is not None and torch.isfinite(estimate.grad).all() and estimate.grad.abs().sum() > 0
