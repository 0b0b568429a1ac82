"""The mel codec and the latent generator/critic: shapes, any length, blends, stored architecture."""

from __future__ import annotations

import pytest
import torch

from melodygan_desktop.config import MelConfig
from melodygan_desktop.models.codec import CodecShape, MelCodec, reconstruction_loss
from melodygan_desktop.models.latent import (
    COARSE,
    LatentMelGenerator,
    SequenceShape,
    latent_critic,
    latent_generator,
)
from melodygan_desktop.models.presets import get_preset

MEL = MelConfig()
SMALL = {
    "codec": CodecShape(latent_dim=8, width=32, blocks=1).to_dict(),
    "sequence": SequenceShape(latent_dim=8, z_dim=8, embed_dim=16, width=32, critic_width=32).to_dict(),
}


@pytest.mark.parametrize("frames", [1, 4, 5, 127, 431, 2584])
def test_codec_round_trips_any_length(frames):
    codec = MelCodec(CodecShape(latent_dim=8, width=32, blocks=1))
    mels = torch.rand(2, 128, frames)
    latents = codec.encode(mels)
    assert latents.shape == (2, 8, MelCodec.latent_steps(frames))
    assert latents.abs().max() <= 1
    assert codec.reconstruct(mels).shape == mels.shape
    assert float(reconstruction_loss(mels, mels)) == 0.0


@pytest.mark.parametrize("frames", [1, 43, 431, 2000])
def test_generator_makes_any_length_in_unit_range(frames):
    generator = latent_generator(MEL, 3, SMALL).eval()
    z = torch.randn(2, *generator.latent_shape(frames))
    assert z.shape[-1] == -(-MelCodec.latent_steps(frames) // COARSE) + 1
    with torch.no_grad():
        mels = generator(z, torch.eye(3)[:2], frames=frames)
    assert mels.shape == (2, 1, 128, frames) and 0 <= float(mels.min()) <= float(mels.max()) <= 1


def conditioned(n_genres: int) -> LatentMelGenerator:
    """A generator whose FiLM layers (zero at initialisation, so that training starts unconditioned) act."""
    generator = latent_generator(MEL, n_genres, SMALL).eval()
    torch.manual_seed(0)
    for name, param in generator.named_parameters():
        if "affine" in name:
            torch.nn.init.normal_(param, 0.0, 0.5)
    return generator


def test_default_length_and_blends_along_time():
    generator = conditioned(3)
    z = torch.randn(1, *generator.latent_shape(MEL.frames))
    with torch.no_grad():
        assert generator(z).shape == (1, 1, 128, MEL.frames)  # no weights: the uniform blend
        morph = torch.stack([torch.linspace(1, 0, 7), torch.linspace(0, 1, 7), torch.zeros(7)])[None]
        moving = generator(z, morph, frames=MEL.frames)
        fixed = generator(z, torch.tensor([[1.0, 0.0, 0.0]]), frames=MEL.frames)
    assert moving.shape == fixed.shape and not torch.allclose(moving, fixed)


def test_global_style_is_the_last_column():
    generator = conditioned(2)
    z = torch.randn(1, *generator.latent_shape(MEL.frames))
    other = z.clone()
    other[:, :, -1] = torch.randn(z.shape[1])
    with torch.no_grad():
        a, b = generator(z, torch.tensor([[1.0, 0.0]])), generator(other, torch.tensor([[1.0, 0.0]]))
    assert not torch.allclose(a, b)


def test_critic_scores_latent_sequences_of_any_length():
    critic = latent_critic(MEL, 3, SMALL)
    for steps in (16, 108, 300):
        assert critic(torch.rand(4, 1, 8, steps) * 2 - 1, torch.tensor([0, 1, 2, 0])).shape == (4,)
    with pytest.raises(ValueError):
        critic(torch.rand(4, 1, 9, 108), None)


def test_architecture_is_stored_and_rebuilds_the_same_networks():
    generator = latent_generator(MEL, 3, SMALL)
    assert generator.architecture() == SMALL
    rebuilt = get_preset("melodygan-latent").make_generator(MEL, 3, generator.architecture())
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == {
        k: v.shape for k, v in generator.state_dict().items()
    }


@pytest.mark.parametrize(
    "bad",
    [
        {"codec": {**SMALL["codec"], "width": 10**6}, "sequence": SMALL["sequence"]},
        {"codec": SMALL["codec"], "sequence": {**SMALL["sequence"], "z_dim": 0}},
        {"codec": {**SMALL["codec"], "n_mels": 64}, "sequence": SMALL["sequence"]},
        {"codec": SMALL["codec"], "sequence": {**SMALL["sequence"], "latent_dim": 16}},
        {"codec": {"n_mels": 128}},
    ],
)
def test_out_of_range_or_inconsistent_architectures_are_refused(bad):
    with pytest.raises((ValueError, KeyError)):
        latent_generator(MEL, 3, bad)


def test_saved_model_wraps_shared_modules():
    codec = MelCodec(CodecShape(latent_dim=8, width=32, blocks=1))
    shape = SequenceShape(**SMALL["sequence"])
    first = LatentMelGenerator(codec.shape, shape, 2, frames=MEL.frames, codec=codec)
    second = LatentMelGenerator(
        codec.shape, shape, 2, frames=MEL.frames, sequence=first.sequence, codec=codec
    )
    assert second.sequence is first.sequence and second.codec is codec
    assert set(first.state_dict()) == set(second.state_dict())
