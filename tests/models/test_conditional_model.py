"""melodygan-cond: any length, exact shift equivariance (seamless long pieces), genre blending, D on crops."""

from __future__ import annotations

import pytest
import torch

from melodygan_desktop.config import MelConfig
from melodygan_desktop.models.base import count_parameters
from melodygan_desktop.models.conditional import (
    ConditionalGenerator,
    FiLMNorm,
    ProjectionDiscriminator,
    blend_genres,
)

MEL = MelConfig()


@pytest.fixture
def generator() -> ConditionalGenerator:
    torch.manual_seed(0)
    model = ConditionalGenerator(MEL, 4).eval()
    for module in model.modules():  # FiLM starts as identity; make the genre matter
        if isinstance(module, FiLMNorm):
            torch.nn.init.normal_(module.affine.weight, 0.0, 0.2)
    return model


@pytest.mark.parametrize("frames", [1, 37, 216, 431, 2584])
def test_any_length(generator, frames):
    z = torch.randn(1, *generator.latent_shape(frames))
    with torch.no_grad():
        mels = generator(z, torch.tensor([[1.0, 0, 0, 0]]), frames=frames)
    assert mels.shape == (1, 1, MEL.n_mels, frames)
    assert mels.min() >= 0 and mels.max() <= 1


def test_default_length_is_the_built_clip(generator):
    z = torch.randn(2, *generator.latent_shape(MEL.frames))
    with torch.no_grad():
        assert generator(z).shape == (2, 1, MEL.n_mels, MEL.frames)
        longer = torch.randn(1, generator.z_dim, 100)
        assert generator(longer).shape[-1] == 100 * generator.upsampling - 2 * generator.margin


def test_shifting_latents_shifts_output_exactly(generator):
    """Output frames depend on nearby latents only, never on padding: the basis of seamless pieces."""
    weights = torch.tensor([[0.2, 0.8, 0.0, 0.0]])
    z = torch.randn(1, generator.z_dim, 90)
    with torch.no_grad():
        full = generator(z, weights, frames=600)
        shifted = generator(z[:, :, 1:], weights, frames=600 - generator.upsampling)
    torch.testing.assert_close(shifted, full[..., generator.upsampling :], atol=1e-5, rtol=0)


def test_long_piece_matches_its_prefix(generator):
    """A 60-s one-pass piece agrees with a separately generated prefix: no seams, no far-context leaks."""
    frames = MEL.frames_for_seconds(60.0)
    assert frames == 2584
    z = torch.randn(1, *generator.latent_shape(frames))
    with torch.no_grad():
        piece = generator(z, None, frames=frames)
        prefix = generator(z[:, :, :70], None, frames=500)
    torch.testing.assert_close(prefix, piece[..., :500], atol=1e-5, rtol=0)


def test_genre_blending(generator):
    z = torch.randn(1, *generator.latent_shape(64)).repeat(4, 1, 1)
    weights = torch.tensor([[1.0, 0, 0, 0], [3.0, 0, 0, 0], [0, 1.0, 0, 0], [0.5, 0.5, 0, 0]])
    with torch.no_grad():
        out = generator(z, weights, frames=64)
        uniform = generator(z[:1], None, frames=64)
        all_ones = generator(z[:1], torch.ones(1, 4), frames=64)
        static = generator(z[:1], weights[3:], frames=64)
        constant_in_time = generator(z[:1], weights[3:, :, None].expand(1, 4, z.shape[-1]), frames=64)
    torch.testing.assert_close(out[0], out[1])  # weights are normalised
    assert (out[0] - out[2]).abs().max() > 1e-3  # genres differ
    assert (out[3] - out[0]).abs().max() > 1e-4 and (out[3] - out[2]).abs().max() > 1e-4
    torch.testing.assert_close(uniform, all_ones)
    torch.testing.assert_close(static, constant_in_time, atol=1e-5, rtol=0)


def test_blend_genres_normalises():
    weights = blend_genres(torch.tensor([[2.0, 2.0, 0.0], [0.0, 0.0, 0.0], [-1.0, 1.0, 0.0]]))
    torch.testing.assert_close(weights, torch.tensor([[0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3], [0, 1.0, 0]]))


def test_bad_inputs_are_clear_errors(generator):
    with pytest.raises(ValueError, match="z"):
        generator(torch.randn(1, 3, 10))
    with pytest.raises(ValueError, match="genre_weights"):
        generator(torch.randn(1, generator.z_dim, 60), torch.ones(1, 5))
    with pytest.raises(ValueError, match="frames"):
        generator(torch.randn(1, generator.z_dim, 10), None, frames=1000)
    with pytest.raises(ValueError):
        generator.latent_shape(0)


def test_discriminator_scores_any_crop_and_projects_genre():
    torch.manual_seed(0)
    discriminator = ProjectionDiscriminator(MEL, 4)
    for frames in (64, 216, 431, 1000):
        assert discriminator(torch.rand(3, 1, MEL.n_mels, frames), torch.tensor([0, 1, 3])).shape == (3,)
    x = torch.rand(1, 1, MEL.n_mels, 128).repeat(2, 1, 1, 1)
    with torch.no_grad():
        scores = discriminator(x, torch.tensor([0, 2]))
        unconditional = discriminator(x, None)
    assert scores[0] != scores[1]
    assert unconditional.shape == (2,)
    with pytest.raises(ValueError):
        discriminator(torch.rand(1, 1, 64, 128))


def test_small_enough_to_ship():
    generator = ConditionalGenerator(MEL, 10)
    # float32 safetensors of a few MB
    assert count_parameters(generator) * 4 < 4_000_000
    assert count_parameters(ProjectionDiscriminator(MEL, 10)) * 4 < 4_000_000


def test_fresh_critic_separates_one_genre_whose_clips_share_their_level():
    """Real and generated clips of one genre sit at the same mean level (around 0.5) and differ in texture;
    the critic, trained as the loop does (hinge, Adam 4e-4, betas (0, 0.9)), must tell them apart quickly.
    With uncentred inputs the common level swamped the gradients and it stayed blind for hundreds of steps."""
    torch.manual_seed(0)
    critic = ProjectionDiscriminator(MEL, 1)
    optimizer = torch.optim.Adam(critic.parameters(), lr=4e-4, betas=(0.0, 0.9))
    frames = 64
    ramp = torch.linspace(-1, 1, frames)

    def batch(kind: str) -> torch.Tensor:
        if kind == "real":
            texture = torch.sin(ramp * 20 + torch.rand(8, 1, MEL.n_mels, 1) * 6)
        else:
            texture = torch.randn(8, 1, MEL.n_mels, frames) * 0.7
        return (0.5 + 0.1 * texture).clamp(0, 1)

    labels = torch.zeros(8, dtype=torch.long)
    for _ in range(30):
        real, fake = critic(batch("real"), labels), critic(batch("fake"), labels)
        loss = torch.relu(1 - real).mean() + torch.relu(1 + fake).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        margin = critic(batch("real"), labels).mean() - critic(batch("fake"), labels).mean()
    assert margin > 0.05  # 0.15 here; uncentred, 0.0001
