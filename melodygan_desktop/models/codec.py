"""The mel codec: a small autoencoder that maps log-mels to a compact latent sequence and back.

It is trained first, with a reconstruction loss only, on real music (``melodygan codec train``). The
generator of ``melodygan-latent`` then models only the latent sequence (4x fewer time steps, half the
values), while the decoder, which has only ever learnt to draw real spectra, keeps notes sharp: harmonic
lines, drum hits and their decay are its job, not the GAN's (the Musika recipe, Pasini & Schlueter 2022).

Shapes: mels ``(B, n_mels, frames)`` in the normalised [0, 1] domain; latents ``(B, latent_dim, ceil(frames /
4))`` in (-1, 1) (tanh), 23 ms x 4 = 93 ms per latent step at the default settings. The encoder pads the
end of the clip (replicating the last frame) to a multiple of 4; the decoder returns 4 frames per step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

#: Frames per latent step (two stride-2 stages).
DOWNSAMPLE = 4


@dataclass(frozen=True)
class CodecShape:
    """What builds a codec: stored in every model's meta.json, so weights never depend on code constants."""

    n_mels: int = 128
    latent_dim: int = 64
    width: int = 256
    blocks: int = 2  # residual blocks per resolution

    def to_dict(self) -> dict[str, int]:
        return {
            "n_mels": self.n_mels,
            "latent_dim": self.latent_dim,
            "width": self.width,
            "blocks": self.blocks,
        }

    @classmethod
    def from_dict(cls, data: dict) -> CodecShape:
        shape = cls(**{key: int(data[key]) for key in ("n_mels", "latent_dim", "width", "blocks")})
        if not (
            8 <= shape.n_mels <= 512
            and 4 <= shape.latent_dim <= 512
            and 16 <= shape.width <= 1024
            and 1 <= shape.blocks <= 8
        ):
            raise ValueError(f"codec shape out of range: {shape}")
        return shape


class ResBlock(nn.Module):
    """``x + conv(act(conv(act(x))))``, kernel 3, the first conv dilated (a residual stage, more context)."""

    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.conv2 = nn.Conv1d(channels, channels, 3, padding=1)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        out = self.conv1(F.leaky_relu(hidden, 0.2))
        return hidden + self.conv2(F.leaky_relu(out, 0.2))


def _stage(channels: int, blocks: int) -> nn.Sequential:
    return nn.Sequential(*(ResBlock(channels, 3**index) for index in range(blocks)))


class MelEncoder(nn.Module):
    """``(B, n_mels, frames)`` in [0, 1] -> ``(B, latent_dim, ceil(frames / 4))`` in (-1, 1)."""

    def __init__(self, shape: CodecShape) -> None:
        super().__init__()
        width = shape.width
        self.input = nn.Conv1d(shape.n_mels, width, 3, padding=1)
        self.stage1 = _stage(width, shape.blocks)
        self.down1 = nn.Conv1d(width, width, 4, stride=2, padding=1)
        self.stage2 = _stage(width, shape.blocks)
        self.down2 = nn.Conv1d(width, width, 4, stride=2, padding=1)
        self.stage3 = _stage(width, shape.blocks)
        self.output = nn.Conv1d(width, shape.latent_dim, 3, padding=1)

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        frames = mels.shape[-1]
        padded = math.ceil(frames / DOWNSAMPLE) * DOWNSAMPLE
        if padded != frames:
            mels = F.pad(mels, (0, padded - frames), mode="replicate")
        hidden = self.stage1(self.input(mels * 2.0 - 1.0))
        hidden = self.stage2(self.down1(F.leaky_relu(hidden, 0.2)))
        hidden = self.stage3(self.down2(F.leaky_relu(hidden, 0.2)))
        return torch.tanh(self.output(F.leaky_relu(hidden, 0.2)))


class MelDecoder(nn.Module):
    """``(B, latent_dim, steps)`` -> ``(B, n_mels, 4 * steps)`` in [0, 1] (sigmoid)."""

    def __init__(self, shape: CodecShape) -> None:
        super().__init__()
        width = shape.width
        self.input = nn.Conv1d(shape.latent_dim, width, 3, padding=1)
        self.stage1 = _stage(width, shape.blocks)
        self.up1 = nn.Conv1d(width, width, 3, padding=1)
        self.stage2 = _stage(width, shape.blocks)
        self.up2 = nn.Conv1d(width, width, 3, padding=1)
        self.stage3 = _stage(width, shape.blocks)
        self.output = nn.Conv1d(width, shape.n_mels, 3, padding=1)

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        hidden = self.stage1(self.input(latents))
        hidden = F.interpolate(F.leaky_relu(hidden, 0.2), scale_factor=2, mode="nearest")
        hidden = self.stage2(self.up1(hidden))
        hidden = F.interpolate(F.leaky_relu(hidden, 0.2), scale_factor=2, mode="nearest")
        hidden = self.stage3(self.up2(hidden))
        return torch.sigmoid(self.output(F.leaky_relu(hidden, 0.2)))


class MelCodec(nn.Module):
    """Encoder + decoder. ``reconstruct(mels)`` keeps ``mels``' shape; ``latent_steps(frames)``: length."""

    def __init__(self, shape: CodecShape | None = None) -> None:
        super().__init__()
        self.shape = shape or CodecShape()
        self.encoder = MelEncoder(self.shape)
        self.decoder = MelDecoder(self.shape)

    @staticmethod
    def latent_steps(frames: int) -> int:
        return math.ceil(frames / DOWNSAMPLE)

    def encode(self, mels: torch.Tensor) -> torch.Tensor:
        return self.encoder(mels)

    def decode(self, latents: torch.Tensor, frames: int | None = None) -> torch.Tensor:
        mels = self.decoder(latents)
        return mels if frames is None else mels[..., :frames]

    def reconstruct(self, mels: torch.Tensor, noise: float = 0.0) -> torch.Tensor:
        """Decode(encode(mels)) cropped to ``mels``' length; ``noise`` adds N(0, noise^2) to the latents
        (training only: a decoder that tolerates small latent errors forgives the generator's)."""
        latents = self.encode(mels)
        if noise > 0:
            latents = latents + noise * torch.randn_like(latents)
        return self.decode(latents, mels.shape[-1])


def reconstruction_loss(target: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    """L1 on the mels plus L1 on their frame-to-frame change (onsets stay sharp rather than smeared)."""
    loss = (output - target).abs().mean()
    if target.shape[-1] < 2:
        return loss
    return loss + (output.diff(dim=-1) - target.diff(dim=-1)).abs().mean()


__all__ = [
    "DOWNSAMPLE",
    "CodecShape",
    "MelCodec",
    "MelDecoder",
    "MelEncoder",
    "reconstruction_loss",
]
