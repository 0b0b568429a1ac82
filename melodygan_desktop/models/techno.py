"""Paper 002 (Unconditional Techno Mel Spectrogram Generation, Kyriazopoulos): DCGAN 1, DCGAN 2 and the
WGAN generator/critic pair, sized exactly for any ``MelConfig`` (5-s clips = 128 x 216 natively).
"""

from __future__ import annotations

from ..config import MelConfig
from .dcgan import ConvDiscriminator, ConvTransposeGenerator, StackSpec

Z_DIM = 100

#: DCGAN 1 / WGAN: four 4x4, stride-2, padding-1 upsampling layers after the first. Reaching 128 x 216 from a
#: 1x1 latent with 4x4 kernels everywhere is impossible, so the first layer's kernel is non-square: 8 x 13
#: for 128 x 216 (8 x 26 for 128 x 431); odd sizes are reached with ``output_padding`` 1.
FIVE_LAYER_SPEC = StackSpec(
    height_strides=(2, 2, 2, 2),
    height_kernels=(4, 4, 4, 4),
    width_strides=(2, 2, 2, 2),
    width_kernels=(4, 4, 4, 4),
)
#: DCGAN 2: three 4x4 upsampling layers after the first, whose kernel is 16 x 27 (16 x 53 for 10 s).
FOUR_LAYER_SPEC = StackSpec(
    height_strides=(2, 2, 2), height_kernels=(4, 4, 4), width_strides=(2, 2, 2), width_kernels=(4, 4, 4)
)

DCGAN1_G_CHANNELS = (512, 256, 128, 64)  # DCGAN's ngf = 64 widths
DCGAN1_D_CHANNELS = (64, 128, 256, 512)
DCGAN2_G_CHANNELS = (256, 128, 64)  # DCGAN 1 minus its widest layer
DCGAN2_D_CHANNELS = (64, 128, 256)
#: Dropout probability in DCGAN 2 (the paper gives none).
DCGAN2_DROPOUT = 0.3


def dcgan1_generator(mel: MelConfig, n_genres: int) -> ConvTransposeGenerator:
    """DCGAN 1 generator: 5 transposed convs, (ConvT, BN, ReLU) x 4 with [512, 256, 128, 64], ConvT, Tanh.

    Choices the paper leaves open: channel widths = DCGAN's (ngf 64); first kernel non-square (see
    ``FIVE_LAYER_SPEC``); DCGAN initialisation. Model range [-1, 1]. Unconditional.
    """
    return ConvTransposeGenerator(
        mel, n_genres, spec=FIVE_LAYER_SPEC, channels=DCGAN1_G_CHANNELS, output_activation="tanh", z_dim=Z_DIM
    )


def dcgan1_discriminator(mel: MelConfig, n_genres: int) -> ConvDiscriminator:
    """DCGAN 1 discriminator: 5 convs, [64, 128, 256, 512] with LeakyReLU(0.2), BN except the first block.

    The paper's final sigmoid is folded into the loss (``BCEWithLogits``: the same function, numerically
    stable), so this returns logits. The last conv spans the remaining 8 x 13 map.
    """
    return ConvDiscriminator(mel, n_genres, spec=FIVE_LAYER_SPEC, channels=DCGAN1_D_CHANNELS, norm="batch")


def dcgan2_generator(mel: MelConfig, n_genres: int) -> ConvTransposeGenerator:
    """DCGAN 2 generator: 4 transposed convs [256, 128, 64] -> 1, Tanh, dropout after the first two blocks.

    Choices the paper leaves open: widths = DCGAN 1 without its widest layer; ``nn.Dropout(0.3)`` placed
    after the first and second (ConvT, BN, ReLU) blocks; dropout is off at inference (``eval()``).
    """
    return ConvTransposeGenerator(
        mel,
        n_genres,
        spec=FOUR_LAYER_SPEC,
        channels=DCGAN2_G_CHANNELS,
        output_activation="tanh",
        z_dim=Z_DIM,
        dropout_after=(0, 1),
        dropout=DCGAN2_DROPOUT,
    )


def dcgan2_discriminator(mel: MelConfig, n_genres: int) -> ConvDiscriminator:
    """DCGAN 2 discriminator: 4 convs [64, 128, 256] -> 1 logit, ``Dropout(0.3)`` after the second block."""
    return ConvDiscriminator(
        mel,
        n_genres,
        spec=FOUR_LAYER_SPEC,
        channels=DCGAN2_D_CHANNELS,
        norm="batch",
        dropout_after=(1,),
        dropout=DCGAN2_DROPOUT,
    )


def wgan_generator(mel: MelConfig, n_genres: int) -> ConvTransposeGenerator:
    """WGAN generator (both Lipschitz techniques): the DCGAN 1 generator.

    The paper's WGAN figures are not in its text; it says only that the networks are convolutional and the
    same for clipping and gradient penalty, so we reuse DCGAN 1's generator.
    """
    return dcgan1_generator(mel, n_genres)


def wgan_clip_critic(mel: MelConfig, n_genres: int) -> ConvDiscriminator:
    """Weight-clipping critic: DCGAN 1's discriminator (with BatchNorm, as in Arjovsky et al.), no sigmoid."""
    return dcgan1_discriminator(mel, n_genres)


def wgan_gp_critic(mel: MelConfig, n_genres: int) -> ConvDiscriminator:
    """Gradient-penalty critic: DCGAN 1's discriminator with ``GroupNorm(1, C)`` (layer norm) for BatchNorm.

    BatchNorm couples samples in a batch, which breaks the per-sample gradient penalty (Gulrajani et al.
    recommend layer normalisation), so every hidden block but the first is layer-normalised instead.
    """
    return ConvDiscriminator(mel, n_genres, spec=FIVE_LAYER_SPEC, channels=DCGAN1_D_CHANNELS, norm="layer")


__all__ = [
    "dcgan1_discriminator",
    "dcgan1_generator",
    "dcgan2_discriminator",
    "dcgan2_generator",
    "wgan_clip_critic",
    "wgan_generator",
    "wgan_gp_critic",
]
