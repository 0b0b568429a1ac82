"""DCGAN-family networks shared by both papers' presets: a transposed-conv generator from a 1x1 latent image
and a conv discriminator down to a 1x1 score, both sized exactly for one ``MelConfig``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..config import MelConfig
from .base import Discriminator, Generator
from .layers import AxisPlan, conv_layer, dcgan_init, plan_axis, transposed_layer


@dataclass(frozen=True)
class StackSpec:
    """Strides and kernels of the upsampling layers after the first, small to large, per axis.

    The first generator layer (and the last discriminator layer) takes whatever kernel is left, see
    :func:`~melodygan_desktop.models.layers.plan_axis`.
    """

    height_strides: tuple[int, ...]
    height_kernels: tuple[int, ...]
    width_strides: tuple[int, ...]
    width_kernels: tuple[int, ...]

    def plans(self, mel: MelConfig) -> tuple[AxisPlan, AxisPlan]:
        return (
            plan_axis(mel.n_mels, self.height_strides, self.height_kernels),
            plan_axis(mel.frames, self.width_strides, self.width_kernels),
        )


def _output_activation(name: str) -> nn.Module:
    return {"tanh": nn.Tanh(), "relu": nn.ReLU(), "sigmoid": nn.Sigmoid()}[name]


class ConvTransposeGenerator(Generator):
    """``z (B, z_dim, 1, 1) -> (B, 1, n_mels, frames)`` by ``len(channels) + 1`` transposed convolutions.

    Hidden blocks are (ConvTranspose2d, BatchNorm2d, ReLU[, Dropout]); the last ConvTranspose2d goes to one
    channel with a bias, no norm, then ``output_activation``. ``dropout_after`` lists hidden-block indices
    (0-based) followed by ``nn.Dropout(dropout)``.
    """

    def __init__(
        self,
        mel: MelConfig,
        n_genres: int,
        *,
        spec: StackSpec,
        channels: tuple[int, ...],
        output_activation: str,
        z_dim: int = 100,
        dropout_after: tuple[int, ...] = (),
        dropout: float = 0.0,
    ) -> None:
        super().__init__(
            z_dim=z_dim,
            n_mels=mel.n_mels,
            frames=mel.frames,
            n_genres=n_genres,
            conditional=False,
            fixed_frames=mel.frames,
            output_activation=output_activation,
        )
        height, width = spec.plans(mel)
        if len(height.layers) != len(channels) or len(width.layers) != len(channels):
            raise ValueError("ConvTransposeGenerator: one planned layer per hidden channel count is needed")
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(z_dim, channels[0], (height.first_kernel, width.first_kernel), bias=False),
            nn.BatchNorm2d(channels[0]),
            nn.ReLU(inplace=True),
        ]
        if 0 in dropout_after:
            layers.append(nn.Dropout(dropout))
        outs = (*channels[1:], 1)
        for index, (c_in, c_out) in enumerate(zip(channels, outs, strict=True)):
            last = index == len(channels) - 1
            layers.append(transposed_layer(c_in, c_out, height.layers[index], width.layers[index], bias=last))
            if last:
                layers.append(_output_activation(output_activation))
            else:
                layers += [nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
                if index + 1 in dropout_after:
                    layers.append(nn.Dropout(dropout))
        self.net = nn.Sequential(*layers)
        dcgan_init(self)

    def forward(self, z: torch.Tensor, genre_weights: torch.Tensor | None = None) -> torch.Tensor:
        """``z`` (B, z_dim, 1, 1) or (B, z_dim) -> (B, 1, n_mels, frames) in model range.

        ``genre_weights`` is ignored: this generator is unconditional (trained on all genres pooled).
        """
        if z.dim() == 2:
            z = z[:, :, None, None]
        if z.dim() != 4 or z.shape[1:] != (self.z_dim, 1, 1):
            raise ValueError(f"expected z of shape (B, {self.z_dim}, 1, 1), got {tuple(z.shape)}")
        return self.net(z)


class ConvDiscriminator(Discriminator):
    """``(B, 1, n_mels, frames) -> (B,)`` scores: the generator's plan read backwards.

    Hidden blocks are (Conv2d, norm, LeakyReLU(0.2)[, Dropout]) with ``norm`` one of ``"batch"``,
    ``"layer"`` (``GroupNorm(1, C)``: per-sample normalisation over C, H, W, as WGAN-GP recommends) or
    ``"none"``; ``norm_first`` says whether the first block is normalised too (DCGAN: no). The last conv
    covers the whole remaining map (the generator's first kernel) and outputs one value with no activation.
    """

    def __init__(
        self,
        mel: MelConfig,
        n_genres: int,
        *,
        spec: StackSpec,
        channels: tuple[int, ...],
        norm: str = "batch",
        norm_first: bool = False,
        dropout_after: tuple[int, ...] = (),
        dropout: float = 0.0,
        leak: float = 0.2,
    ) -> None:
        super().__init__(n_mels=mel.n_mels, n_genres=n_genres, conditional=False, fixed_frames=mel.frames)
        height, width = spec.plans(mel)
        if len(height.layers) != len(channels) or len(width.layers) != len(channels):
            raise ValueError("ConvDiscriminator: one planned layer per hidden channel count is needed")
        if norm not in ("batch", "layer", "none"):
            raise ValueError(f"ConvDiscriminator: unknown norm {norm!r}")
        layers: list[nn.Module] = []
        ins = (1, *channels[:-1])
        steps = list(zip(reversed(height.layers), reversed(width.layers), strict=True))
        for index, ((c_in, c_out), (step_h, step_w)) in enumerate(
            zip(zip(ins, channels, strict=True), steps, strict=True)
        ):
            normalised = norm != "none" and (index > 0 or norm_first)
            layers.append(conv_layer(c_in, c_out, step_h, step_w, bias=not normalised))
            if normalised:
                layers.append(nn.BatchNorm2d(c_out) if norm == "batch" else nn.GroupNorm(1, c_out))
            layers.append(nn.LeakyReLU(leak, inplace=True))
            if index in dropout_after:
                layers.append(nn.Dropout(dropout))
        layers.append(nn.Conv2d(channels[-1], 1, (height.first_kernel, width.first_kernel)))
        self.net = nn.Sequential(*layers)
        dcgan_init(self)

    def forward(self, x: torch.Tensor, genres: torch.Tensor | None = None) -> torch.Tensor:
        """``x`` (B, 1, n_mels, frames) in model range -> (B,) raw scores; ``genres`` is ignored."""
        self.check_input(x)
        return self.net(x).flatten()


__all__ = ["ConvDiscriminator", "ConvTransposeGenerator", "StackSpec"]
