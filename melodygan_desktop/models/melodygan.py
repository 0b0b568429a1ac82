"""Paper 000 (MELodyGAN, Lee, Wu & Baker): the second (v2, Tanh) and third (v3, ReLU) approach networks.

Both map ``z = 100 x 1 x 1`` through four transposed convolutions (hidden channels [64, 32, 16]) to exactly
``1 x n_mels x frames``, and score mels with a conv discriminator [64, 32, 16] down to ``1 x 1 x 1``.
"""

from __future__ import annotations

from ..config import MelConfig
from .dcgan import ConvDiscriminator, ConvTransposeGenerator, StackSpec

HIDDEN_CHANNELS = (64, 32, 16)
Z_DIM = 100

#: v2: DCGAN's kernel 4 / stride 2 / padding 1 on both axes for the three upsampling layers. The first
#: layer's kernel is what is left: 16 x 53 for 128 x 431 (16 x 27 for 128 x 216).
V2_SPEC = StackSpec(
    height_strides=(2, 2, 2), height_kernels=(4, 4, 4), width_strides=(2, 2, 2), width_kernels=(4, 4, 4)
)

#: v3 ("a few modifications to layer kernels"): along time, stride 3 with kernel 6 (a multiple of the stride,
#: so every output frame gets the same number of kernel taps: no checkerboard pattern along time) instead of
#: stride 2 / kernel 4. The first layer's kernel shrinks to 16 x 15 (16 x 7 for 5 s): less of the clip is
#: a fixed per-latent template and more is built by shared, translation-equivariant upsampling.
V3_SPEC = StackSpec(
    height_strides=(2, 2, 2), height_kernels=(4, 4, 4), width_strides=(3, 3, 3), width_kernels=(6, 6, 6)
)


def melodygan_v2_generator(mel: MelConfig, n_genres: int) -> ConvTransposeGenerator:
    """Paper 000, second approach: (ConvT, BN, ReLU) x 3 with [64, 32, 16] channels, ConvT to 1, Tanh.

    Choices the paper leaves open: hidden non-linearity ReLU (DCGAN); kernels/strides per ``V2_SPEC``
    (computed from the ``MelConfig``); DCGAN N(0, 0.02) initialisation; no bias before BatchNorm.
    Model range [-1, 1] (real mels are fed as ``2 * unit - 1``). Unconditional.
    """
    return ConvTransposeGenerator(
        mel, n_genres, spec=V2_SPEC, channels=HIDDEN_CHANNELS, output_activation="tanh", z_dim=Z_DIM
    )


def melodygan_v3_generator(mel: MelConfig, n_genres: int) -> ConvTransposeGenerator:
    """Paper 000, third approach (final model): as v2 with ``V3_SPEC`` kernels and a ReLU output.

    Model range [0, inf); ``to_unit`` clamps to [0, 1] and real mels are fed as they are. Unconditional.
    """
    return ConvTransposeGenerator(
        mel, n_genres, spec=V3_SPEC, channels=HIDDEN_CHANNELS, output_activation="relu", z_dim=Z_DIM
    )


def _discriminator(mel: MelConfig, n_genres: int, spec: StackSpec) -> ConvDiscriminator:
    return ConvDiscriminator(
        mel, n_genres, spec=spec, channels=HIDDEN_CHANNELS, norm="batch", norm_first=True, leak=0.2
    )


def melodygan_v2_discriminator(mel: MelConfig, n_genres: int) -> ConvDiscriminator:
    """Paper 000: (Conv, BN, LeakyReLU(0.2)) x 3 with [64, 32, 16] channels, Conv to 1x1x1, no activation.

    The paper normalises all three hidden blocks, the first included (DCGAN would not); we follow the
    paper. LeakyReLU slope 0.2 (DCGAN; the paper says only "non-linear function"). Kernels mirror
    ``V2_SPEC``; the last conv spans the remaining 16 x 53 map.
    """
    return _discriminator(mel, n_genres, V2_SPEC)


def melodygan_v3_discriminator(mel: MelConfig, n_genres: int) -> ConvDiscriminator:
    """Paper 000 final discriminator: as v2 with kernels mirroring ``V3_SPEC``."""
    return _discriminator(mel, n_genres, V3_SPEC)


__all__ = [
    "V2_SPEC",
    "V3_SPEC",
    "melodygan_v2_discriminator",
    "melodygan_v2_generator",
    "melodygan_v3_discriminator",
    "melodygan_v3_generator",
]
