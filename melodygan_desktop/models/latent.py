"""``melodygan-latent``: a genre-conditional GAN over the mel codec's latent sequence (see ``codec.py``).

The sequence generator works at a coarse rate of one position per 8 latent steps (32 mel frames, 0.74 s at
the default settings). Its trunk of dilated residual blocks sees about 45 coarse positions (over 30 s), so a
take keeps one tempo and one key; three 2x upsampling stages then fill in the latent steps. A global style
vector (the last column of ``z``) is shared by every position of a take: it is what holds tempo, key and
instrumentation steady over minutes, while the other columns vary the music along time.

In training the generator outputs latents ``(B, 1, latent_dim, steps)`` and the critic scores latents (real
clips are encoded once, before training: steps cost a fraction of a mel-domain GAN's). For inference and
in every saved model, :class:`LatentMelGenerator` puts the codec's decoder behind it and makes mels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from .base import Discriminator, Generator
from .codec import DOWNSAMPLE, CodecShape, MelCodec
from .conditional import FiLMNorm, blend_genres

#: Latent steps per coarse position of the sequence generator (three 2x upsampling stages).
COARSE = 8


@dataclass(frozen=True)
class SequenceShape:
    """Constructor arguments of the sequence generator and critic (stored in meta.json)."""

    latent_dim: int = 64
    z_dim: int = 64
    embed_dim: int = 128
    width: int = 256
    critic_width: int = 256

    def to_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("latent_dim", "z_dim", "embed_dim", "width", "critic_width")}

    @classmethod
    def from_dict(cls, data: dict) -> SequenceShape:
        shape = cls(
            **{k: int(data[k]) for k in ("latent_dim", "z_dim", "embed_dim", "width", "critic_width")}
        )
        if not all(4 <= value <= 1024 for value in shape.to_dict().values()):
            raise ValueError(f"sequence shape out of range: {shape}")
        return shape


class FiLMBlock(nn.Module):
    """Residual (FiLM, act, conv k3 dilated, FiLM, act, conv k3) block at one rate."""

    def __init__(self, channels: int, embed_dim: int, dilation: int) -> None:
        super().__init__()
        self.norm1 = FiLMNorm(channels, embed_dim)
        self.conv1 = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.norm2 = FiLMNorm(channels, embed_dim)
        self.conv2 = nn.Conv1d(channels, channels, 3, padding=1)

    def forward(self, hidden: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        out = self.conv1(F.leaky_relu(self.norm1(hidden, embedding), 0.2))
        return hidden + self.conv2(F.leaky_relu(self.norm2(out, embedding), 0.2))


class LatentSequenceGenerator(Generator):
    """``z (B, z_dim, T_coarse + 1)`` + genre blend -> latents ``(B, 1, latent_dim, steps)`` in (-1, 1).

    ``T_coarse = ceil(steps / 8)``; the last column of ``z`` is the take's global style. Its ``frames`` are
    latent steps; :class:`LatentMelGenerator` maps mel frames to steps.
    """

    def __init__(self, shape: SequenceShape, n_genres: int, *, steps: int) -> None:
        super().__init__(
            z_dim=shape.z_dim,
            n_mels=shape.latent_dim,
            frames=steps,
            n_genres=n_genres,
            conditional=True,
            fixed_frames=None,
            output_activation="tanh",
        )
        width, embed = shape.width, shape.embed_dim
        self.genre_embedding = nn.Embedding(n_genres, embed)
        nn.init.normal_(self.genre_embedding.weight, 0.0, 1.0)
        self.style = nn.Sequential(nn.Linear(shape.z_dim, embed), nn.LeakyReLU(0.2), nn.Linear(embed, embed))
        self.input = nn.Conv1d(shape.z_dim, width, 3, padding=1)
        self.trunk = nn.ModuleList(FiLMBlock(width, embed, d) for d in (1, 2, 4, 8, 1))
        widths = (width, width, width * 3 // 4, width // 2)
        self.up_convs = nn.ModuleList(nn.Conv1d(a, b, 3, padding=1) for a, b in zip(widths, widths[1:]))
        self.up_blocks = nn.ModuleList(
            nn.ModuleList(FiLMBlock(b, embed, d) for d in (1, 3)) for b in widths[1:]
        )
        self.output_norm = FiLMNorm(widths[-1], embed)
        self.output = nn.Conv1d(widths[-1], shape.latent_dim, 3, padding=1)

    def latent_shape(self, frames: int) -> tuple[int, ...]:
        if frames < 1:
            raise ValueError(f"frames must be positive, got {frames}")
        return (self.z_dim, math.ceil(frames / COARSE) + 1)

    def conditioning(self, z: torch.Tensor, genre_weights: torch.Tensor | None) -> torch.Tensor:
        """Genre blend embedding plus the style of ``z``'s last column: (B, E) or (B, E, T)."""
        batch = z.shape[0]
        if genre_weights is None:
            genre_weights = torch.ones(batch, self.n_genres, device=z.device)
        self.check_genre_weights(genre_weights, batch)
        weights = blend_genres(genre_weights.to(self.genre_embedding.weight.dtype))
        style = self.style(z[:, :, -1])
        if weights.dim() == 2:
            return weights @ self.genre_embedding.weight + style
        return torch.einsum("bgt,ge->bet", weights, self.genre_embedding.weight) + style[:, :, None]

    def forward(
        self, z: torch.Tensor, genre_weights: torch.Tensor | None = None, frames: int | None = None
    ) -> torch.Tensor:
        if z.dim() != 3 or z.shape[1] != self.z_dim or z.shape[2] < 2:
            raise ValueError(f"expected z of shape (B, {self.z_dim}, T_coarse + 1), got {tuple(z.shape)}")
        available = (z.shape[2] - 1) * COARSE
        frames = available if frames is None else frames
        if not 1 <= frames <= available:
            raise ValueError(f"z with {z.shape[2] - 1} coarse steps gives 1..{available} steps, not {frames}")
        embedding = self.conditioning(z, genre_weights)
        hidden = self.input(z[:, :, :-1])
        for block in self.trunk:
            hidden = block(hidden, embedding)
        for conv, blocks in zip(self.up_convs, self.up_blocks):
            hidden = conv(F.interpolate(hidden, scale_factor=2, mode="nearest"))
            for block in blocks:
                hidden = block(hidden, embedding)
        hidden = F.leaky_relu(self.output_norm(hidden, embedding), 0.2)
        return torch.tanh(self.output(hidden))[:, None, :, :frames]

    def to_unit(self, x: torch.Tensor) -> torch.Tensor:
        return x  # latents are not mels: the training data is already in the model range

    def from_unit(self, x: torch.Tensor) -> torch.Tensor:
        return x


class LatentCritic(Discriminator):
    """Spectral-norm critic over latent sequences ``(B, 1, latent_dim, steps)``: three stride-2 stages down
    to the coarse rate, dilated convs that see the whole clip (tempo and phrase), sum over time, projection.
    """

    def __init__(self, shape: SequenceShape, n_genres: int) -> None:
        super().__init__(n_mels=shape.latent_dim, n_genres=n_genres, conditional=True, fixed_frames=None)
        width = shape.critic_width
        layers: list[nn.Module] = [spectral_norm(nn.Conv1d(shape.latent_dim, width // 2, 3, padding=1))]
        ins = (width // 2, width, width)
        for c_in in ins:
            layers += [nn.LeakyReLU(0.2), spectral_norm(nn.Conv1d(c_in, width, 4, stride=2, padding=1))]
            layers += [nn.LeakyReLU(0.2), spectral_norm(nn.Conv1d(width, width, 3, padding=1))]
        for dilation in (2, 4):
            layers += [
                nn.LeakyReLU(0.2),
                spectral_norm(nn.Conv1d(width, width, 3, padding=dilation, dilation=dilation)),
            ]
        layers.append(nn.LeakyReLU(0.2))
        self.features = nn.Sequential(*layers)
        self.linear = spectral_norm(nn.Linear(width, 1))
        self.genre_projection = spectral_norm(nn.Embedding(n_genres, width))

    def forward(self, x: torch.Tensor, genres: torch.Tensor | None = None) -> torch.Tensor:
        self.check_input(x)
        # Summed, not averaged, over time (BigGAN's global sum pooling): spectral norm caps every layer's gain
        # at 1, and a mean over time shrinks the score differences further (see the preset's notes).
        pooled = self.features(x[:, 0]).sum(dim=-1)
        score = self.linear(pooled)[:, 0]
        if genres is not None:
            score = score + (self.genre_projection(genres) * pooled).sum(dim=1)
        return score


class LatentMelGenerator(Generator):
    """Sequence generator + the codec (decoder for mels, encoder kept for fine-tuning on new music):
    ``z`` + genre blend -> mels ``(B, 1, n_mels, frames)`` in [0, 1]. What every saved model holds."""

    def __init__(
        self,
        codec_shape: CodecShape,
        shape: SequenceShape,
        n_genres: int,
        *,
        frames: int,
        sequence: LatentSequenceGenerator | None = None,
        codec: MelCodec | None = None,
    ) -> None:
        if codec_shape.latent_dim != shape.latent_dim:
            raise ValueError(f"codec latent_dim {codec_shape.latent_dim} != generator's {shape.latent_dim}")
        super().__init__(
            z_dim=shape.z_dim,
            n_mels=codec_shape.n_mels,
            frames=frames,
            n_genres=n_genres,
            conditional=True,
            fixed_frames=None,
            output_activation="sigmoid",
        )
        self.shape = shape
        # Given modules are shared, not copied: a training run wraps its EMA generator and its codec.
        self.sequence = sequence or LatentSequenceGenerator(
            shape, n_genres, steps=MelCodec.latent_steps(frames)
        )
        self.codec = codec or MelCodec(codec_shape)
        self.codec.requires_grad_(False)

    def latent_shape(self, frames: int) -> tuple[int, ...]:
        return self.sequence.latent_shape(MelCodec.latent_steps(frames))

    def forward(
        self, z: torch.Tensor, genre_weights: torch.Tensor | None = None, frames: int | None = None
    ) -> torch.Tensor:
        if z.dim() != 3:
            raise ValueError(f"expected z of shape (B, {self.z_dim}, T_coarse + 1), got {tuple(z.shape)}")
        if frames is None:
            default = z.shape[-1] == self.latent_shape(self.frames)[1]
            frames = self.frames if default else (z.shape[-1] - 1) * COARSE * DOWNSAMPLE
        latents = self.sequence(z, genre_weights, MelCodec.latent_steps(frames))
        return self.codec.decode(latents[:, 0], frames)[:, None]

    def architecture(self) -> dict:
        return {"codec": self.codec.shape.to_dict(), "sequence": self.shape.to_dict()}


def _shapes(mel, architecture: dict | None) -> tuple[CodecShape, SequenceShape]:
    architecture = architecture or {}
    codec = (
        CodecShape.from_dict(architecture["codec"])
        if "codec" in architecture
        else CodecShape(n_mels=mel.n_mels)
    )
    sequence = (
        SequenceShape.from_dict(architecture["sequence"])
        if "sequence" in architecture
        else SequenceShape(latent_dim=codec.latent_dim)
    )
    if codec.n_mels != mel.n_mels:
        raise ValueError(f"codec makes {codec.n_mels} mel bins, the mel settings have {mel.n_mels}")
    return codec, sequence


def latent_generator(mel, n_genres: int, architecture: dict | None = None) -> LatentMelGenerator:
    """The full model (sequence generator + codec) for ``mel``; ``architecture`` as stored in meta.json."""
    codec, sequence = _shapes(mel, architecture)
    return LatentMelGenerator(codec, sequence, n_genres, frames=mel.frames)


def latent_critic(mel, n_genres: int, architecture: dict | None = None) -> LatentCritic:
    return LatentCritic(_shapes(mel, architecture)[1], n_genres)


__all__ = [
    "COARSE",
    "LatentCritic",
    "LatentMelGenerator",
    "LatentSequenceGenerator",
    "SequenceShape",
    "latent_critic",
    "latent_generator",
]
