"""Every preset builds for 10-s and 5-s mel settings, maps z to the exact mel shape and trains one step."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from melodygan_desktop.config import MEL_PRESETS, MelConfig
from melodygan_desktop.models import PRESETS, Discriminator, Generator, UnknownPresetError, get_preset
from melodygan_desktop.models.augment import augment_pair
from melodygan_desktop.training import losses

N_GENRES = 3
BATCH = 2
MELS = {"10s": MelConfig(), "5s": MelConfig(clip_seconds=5.0)}
EXPECTED_FRAMES = {"10s": 431, "5s": 216}


def test_all_presets_listed():
    assert set(PRESETS) == {
        "melodygan-v2",
        "melodygan-v3",
        "techno-dcgan1",
        "techno-dcgan2",
        "techno-wgan-clip",
        "techno-wgan-gp",
        "melodygan-cond",
        "melodygan-latent",
        "melodygan-harmonic",
        "melodygan-groove",
        "melodygan-voices",
    }


def test_unknown_preset_lists_valid_names():
    with pytest.raises(UnknownPresetError) as info:
        get_preset("nope")
    assert isinstance(info.value, KeyError)
    assert "nope" in str(info.value) and "melodygan-cond" in str(info.value)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_recipe_is_consistent(name):
    preset = get_preset(name)
    assert preset.mel_preset in MEL_PRESETS
    assert preset.loss in losses.LOSSES
    assert preset.optimizer in ("adam", "rmsprop")
    assert preset.lr_g > 0 and preset.lr_d > 0 and preset.batch_size > 0 and preset.n_critic >= 1
    assert preset.notes, "every preset documents the choices its paper leaves open"
    assert (preset.loss == "wgan-clip") == (preset.clip_value > 0)
    assert (preset.loss == "wgan-gp") == (preset.gp_lambda > 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        preset.lr_g = 1.0  # type: ignore[misc]


def test_paper_recipes():
    for name in ("melodygan-v2", "melodygan-v3"):
        preset = get_preset(name)
        assert (preset.loss, preset.lr_g, preset.betas, preset.batch_size) == (
            "lsgan",
            1e-3,
            (0.5, 0.999),
            10,
        )
    for name in ("techno-dcgan1", "techno-dcgan2"):
        preset = get_preset(name)
        assert (preset.loss, preset.lr_g, preset.betas[0], preset.batch_size) == ("bce", 2e-4, 0.5, 64)
    assert get_preset("techno-wgan-clip").optimizer == "rmsprop"
    assert get_preset("techno-wgan-gp").gp_lambda == 10.0
    cond = get_preset("melodygan-cond")
    assert cond.conditional and cond.ema_beta > 0 and cond.r1_gamma > 0 and cond.lr_d > cond.lr_g


def test_ema_decay_warms_up_to_beta():
    cond = get_preset("melodygan-cond")
    assert cond.ema_decay(1) < 0.2
    assert cond.ema_decay(100) < cond.ema_decay(1000) < cond.ema_beta
    assert cond.ema_decay(10**6) == cond.ema_beta
    assert get_preset("melodygan-v2").ema_decay(10**6) == 0.0


def _genre_weights(generator: Generator, labels: torch.Tensor) -> torch.Tensor | None:
    return torch.nn.functional.one_hot(labels, N_GENRES).float() if generator.conditional else None


@pytest.mark.parametrize("clip", sorted(MELS))
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_builds_and_maps_z_to_mel_shape(name, clip):
    torch.manual_seed(0)
    preset, mel = get_preset(name), MELS[clip]
    generator = preset.build_generator(mel, N_GENRES)
    discriminator = preset.build_discriminator(mel, N_GENRES)
    assert isinstance(generator, Generator) and isinstance(discriminator, Discriminator)
    assert generator.conditional == preset.conditional
    frames = EXPECTED_FRAMES[clip]
    labels = torch.tensor([0, 2])
    z = torch.randn(BATCH, *generator.latent_shape(frames))
    if generator.fixed_frames is None:
        assert generator.latent_shape(frames)[0] == generator.z_dim
    else:
        assert generator.latent_shape(frames) == (100, 1, 1)
        with pytest.raises(ValueError):
            generator.latent_shape(frames + 1)
    with torch.no_grad():
        fake = generator(z, _genre_weights(generator, labels))
        # A latent preset's critic scores what its sequence generator makes, as in training.
        judged = generator.sequence(z, _genre_weights(generator, labels)) if preset.latent else fake
        scores = discriminator(judged, labels if preset.conditional else None)
    assert fake.shape == (BATCH, 1, 128, frames)
    assert torch.isfinite(fake).all()
    unit = generator.to_unit(fake)
    assert unit.min() >= 0 and unit.max() <= 1
    views = getattr(discriminator, "views", 1)  # a critic with several views scores each
    assert scores.shape == ((BATCH,) if views == 1 else (BATCH, views))
    assert torch.isfinite(scores).all()


def _optimizer(preset, params, lr):
    if preset.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    return torch.optim.Adam(params, lr=lr, betas=preset.betas)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_one_training_step(name):
    """One discriminator step (with the preset's penalties and clipping) and one generator step."""
    torch.manual_seed(0)
    preset = get_preset(name)
    mel = preset.mel
    generator = preset.build_generator(mel, N_GENRES)
    discriminator = preset.build_discriminator(mel, N_GENRES)
    frames = mel.frames
    if preset.latent:  # trained in latent space: the sequence generator against the latent critic
        generator, frames = generator.sequence, generator.sequence.frames
    opt_g = _optimizer(preset, generator.parameters(), preset.lr_g)
    opt_d = _optimizer(preset, discriminator.parameters(), preset.lr_d)
    labels = torch.tensor([1, 0])
    d_labels = labels if preset.conditional else None
    real = generator.from_unit(torch.rand(BATCH, 1, generator.n_mels, frames))
    z = torch.randn(BATCH, *generator.latent_shape(frames))
    options = {"silence": generator.silence, "scale": 2.0 if generator.output_activation == "tanh" else 1.0}

    with torch.no_grad():
        fake = generator(z, _genre_weights(generator, labels))
    real_in, fake_in = augment_pair(real, fake, **options) if preset.augment else (real, fake)
    d_loss = losses.discriminator_loss(
        preset.loss, discriminator(real_in, d_labels), discriminator(fake_in, d_labels)
    )
    if preset.gp_lambda:
        d_loss = d_loss + preset.gp_lambda * losses.gradient_penalty(discriminator, real, fake, d_labels)
    if preset.r1_gamma:
        d_loss = d_loss + preset.r1_gamma / 2 * losses.r1_penalty(discriminator, real, d_labels)
    before_d = [p.detach().clone() for p in discriminator.parameters()]
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    if preset.clip_value:
        losses.clip_weights_(discriminator, preset.clip_value)
        assert all(p.abs().max() <= preset.clip_value for p in discriminator.parameters())
    assert torch.isfinite(d_loss)
    assert any(
        not torch.equal(a, b.detach()) for a, b in zip(before_d, discriminator.parameters(), strict=True)
    )

    fake = generator(z, _genre_weights(generator, labels))
    fake_in = augment_pair(None, fake, **options)[1] if preset.augment else fake
    g_loss = losses.generator_loss(preset.loss, discriminator(fake_in, d_labels))
    before_g = [p.detach().clone() for p in generator.parameters()]
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    assert torch.isfinite(g_loss)
    assert any(not torch.equal(a, b.detach()) for a, b in zip(before_g, generator.parameters(), strict=True))
