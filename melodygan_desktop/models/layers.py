"""Shared building blocks: exact-size (transposed) convolution planning and DCGAN weight initialisation.

The paper models map a 1x1 latent image to exactly ``n_mels x frames``; ``plan_axis`` derives, per axis, the
kernel / stride / padding / output-padding of every layer from the target size, so any ``MelConfig`` works
(431 frames for 10 s, 216 for 5 s, ...). The same plan read backwards is the discriminator's conv stack.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn


@dataclass(frozen=True)
class AxisLayer:
    """One (transposed) convolution along one axis.

    Transposed: ``out = (in - 1) * stride - 2 * padding + kernel + output_padding``.
    Plain conv with the same kernel/stride/padding maps ``out`` back to ``in`` exactly
    (``in = floor((out + 2 * padding - kernel) / stride) + 1``).
    """

    kernel: int
    stride: int
    padding: int
    output_padding: int
    size_in: int
    size_out: int


@dataclass(frozen=True)
class AxisPlan:
    """A first layer from size 1 (kernel ``first_kernel``, no padding) then ``layers``, small to large."""

    first_kernel: int
    layers: tuple[AxisLayer, ...]

    @property
    def target(self) -> int:
        return self.layers[-1].size_out if self.layers else self.first_kernel


def plan_axis(target: int, strides: tuple[int, ...], kernels: tuple[int, ...]) -> AxisPlan:
    """Plan upsampling layers reaching exactly ``target`` along one axis.

    Works backwards from ``target``: each layer with stride ``s`` and kernel ``k`` uses padding
    ``(k - s) // 2`` (DCGAN's k4/s2/p1) and takes the input size that the equivalent plain convolution
    would produce; the rounding left over becomes ``output_padding`` (always ``< s``). The first layer's
    kernel is whatever size is left (a 1x1 latent through a kernel ``K`` gives ``K`` outputs).

    Raises ``ValueError`` if the target is too small for the strides (the first kernel would be < 1).
    """
    if len(strides) != len(kernels):
        raise ValueError("plan_axis: strides and kernels must have the same length")
    layers: list[AxisLayer] = []
    size_out = target
    for stride, kernel in zip(reversed(strides), reversed(kernels), strict=True):
        if kernel < stride:
            raise ValueError(f"plan_axis: kernel {kernel} < stride {stride} would leave gaps")
        padding = (kernel - stride) // 2
        size_in = (size_out + 2 * padding - kernel) // stride + 1
        if size_in < 1:
            raise ValueError(f"plan_axis: size {target} is too small for strides {strides}")
        output_padding = size_out - ((size_in - 1) * stride - 2 * padding + kernel)
        layers.append(AxisLayer(kernel, stride, padding, output_padding, size_in, size_out))
        size_out = size_in
    return AxisPlan(first_kernel=size_out, layers=tuple(reversed(layers)))


def transposed_layer(in_channels: int, out_channels: int, height: AxisLayer, width: AxisLayer, *, bias: bool):
    """A ``ConvTranspose2d`` doing one planned step on both axes."""
    return nn.ConvTranspose2d(
        in_channels,
        out_channels,
        kernel_size=(height.kernel, width.kernel),
        stride=(height.stride, width.stride),
        padding=(height.padding, width.padding),
        output_padding=(height.output_padding, width.output_padding),
        bias=bias,
    )


def conv_layer(in_channels: int, out_channels: int, height: AxisLayer, width: AxisLayer, *, bias: bool):
    """The ``Conv2d`` inverse of a planned step: maps ``size_out`` back to ``size_in`` on both axes."""
    return nn.Conv2d(
        in_channels,
        out_channels,
        kernel_size=(height.kernel, width.kernel),
        stride=(height.stride, width.stride),
        padding=(height.padding, width.padding),
        bias=bias,
    )


def dcgan_init(module: nn.Module) -> None:
    """DCGAN initialisation (Radford et al.): conv weights N(0, 0.02); norm scales N(1, 0.02), shifts 0."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(layer.weight, 0.0, 0.02)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)


__all__ = ["AxisLayer", "AxisPlan", "conv_layer", "dcgan_init", "plan_axis", "transposed_layer"]
