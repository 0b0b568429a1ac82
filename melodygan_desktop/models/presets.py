"""Named training recipes: a generator + discriminator + loss + optimiser for each paper system and our own.

Each preset's ``notes`` lists every choice its paper leaves open. Non-conditional presets trained on a folder
with several genres learn one generator over all genres pooled; only ``melodygan-cond`` is genre-aware.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..config import MEL_PRESETS, MelConfig
from . import conditional, melodygan, techno
from .base import Discriminator, Generator

PAPER_000 = "000: MELodyGAN (Lee, Wu & Baker)"
PAPER_002 = "002: Unconditional Techno Music Mel Spectrogram Generation (Kyriazopoulos)"


class UnknownPresetError(KeyError):
    """A preset name that does not exist; the message lists the valid names."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else "unknown preset"


@dataclass(frozen=True)
class Preset:
    """One recipe. ``build_generator`` / ``build_discriminator`` take ``(mel, n_genres)``.

    ``loss``: "lsgan" | "bce" | "wgan-clip" | "wgan-gp" | "hinge"; ``optimizer``: "adam" | "rmsprop"
    (``betas`` used by Adam only); ``n_critic`` discriminator steps per generator step; ``clip_value``
    for wgan-clip; ``gp_lambda`` for wgan-gp; ``r1_gamma`` R1 weight (0 = off); ``ema_beta`` generator
    EMA decay (0 = off); ``augment`` DiffAugment on every discriminator input; ``mel_preset`` the paper's
    clip setting (a key of
    ``MEL_PRESETS``), although every preset builds for any ``MelConfig``.
    """

    name: str
    paper: str
    summary: str
    mel_preset: str
    conditional: bool
    loss: str
    optimizer: str
    lr_g: float
    lr_d: float
    betas: tuple[float, float]
    batch_size: int
    n_critic: int
    clip_value: float
    gp_lambda: float
    r1_gamma: float
    ema_beta: float
    augment: bool
    build_generator: Callable[[MelConfig, int], Generator]
    build_discriminator: Callable[[MelConfig, int], Discriminator]
    notes: tuple[str, ...] = ()

    @property
    def mel(self) -> MelConfig:
        """The paper's mel settings for this preset."""
        return MEL_PRESETS[self.mel_preset]

    def ema_decay(self, step: int) -> float:
        """EMA decay after optimiser step ``step`` (1-based): ``min(ema_beta, (1 + step) / (10 + step))``.

        The warm-up keeps the EMA generator from averaging in its random initial weights on short runs
        (with a fixed 0.999, 13 % of a 2000-step run's EMA would still be the initialisation). 0 = no EMA.
        """
        return min(self.ema_beta, (1.0 + step) / (10.0 + step)) if self.ema_beta > 0 else 0.0


_PAPER_000_NOTES = (
    "z: 100 standard-normal values as a 100x1x1 image; unconditional (all genres pooled).",
    "Generator: 4 transposed convs, hidden (ConvT, BN, ReLU) with [64, 32, 16] channels, last ConvT to 1 "
    "channel without BN; kernels/strides computed from the MelConfig (layers.plan_axis).",
    "Discriminator: (Conv, BN, LeakyReLU 0.2) x 3 with [64, 32, 16] channels, BN on the first block too "
    "(as the paper says), last conv spans the remaining map to 1x1x1, no activation.",
    "LSGAN with Mao et al.'s 1/2 factors, targets 1 (real) / 0 (fake); one D step then one G step per batch, "
    "fakes detached for the D step; Adam lr 1e-3 betas (0.5, 0.999) for both; batch 10.",
    "DCGAN initialisation N(0, 0.02); no EMA, no augmentation, no regularisation.",
)

_PAPER_002_NOTES = (
    "5-s clips (128x216 at the paper-000 STFT settings: the paper's own STFT is not given); z = 100x1x1; "
    "unconditional (the paper trains on one genre; several genres are pooled).",
    "4x4 kernels, stride 2, padding 1 everywhere except the generator's first layer (and the discriminator's "
    "last), whose kernel is non-square to reach the mel shape from 1x1; output_padding fixes odd sizes.",
    "Channel widths (not in the paper's text): DCGAN's ngf/ndf = 64.",
    "DCGAN initialisation; LeakyReLU slope 0.2; no BN on the discriminator's first block (DCGAN).",
)


def _preset_000(name: str, summary: str, generator, discriminator, note: str) -> Preset:
    return Preset(
        name=name,
        paper=PAPER_000,
        summary=summary,
        mel_preset="paper000-10s",
        conditional=False,
        loss="lsgan",
        optimizer="adam",
        lr_g=1e-3,
        lr_d=1e-3,
        betas=(0.5, 0.999),
        batch_size=10,
        n_critic=1,
        clip_value=0.0,
        gp_lambda=0.0,
        r1_gamma=0.0,
        ema_beta=0.0,
        augment=False,
        build_generator=generator,
        build_discriminator=discriminator,
        notes=(*_PAPER_000_NOTES, note),
    )


def _preset_002(
    name: str, summary: str, generator, discriminator, notes: tuple[str, ...], **recipe
) -> Preset:
    fields = dict(
        loss="bce",
        optimizer="adam",
        lr_g=2e-4,
        lr_d=2e-4,
        betas=(0.5, 0.999),
        batch_size=64,
        n_critic=1,
        clip_value=0.0,
        gp_lambda=0.0,
    )
    fields.update(recipe)
    return Preset(
        name=name,
        paper=PAPER_002,
        summary=summary,
        mel_preset="paper002-5s",
        conditional=False,
        r1_gamma=0.0,
        ema_beta=0.0,
        augment=False,
        build_generator=generator,
        build_discriminator=discriminator,
        notes=(*_PAPER_002_NOTES, *notes),
        **fields,
    )


_BCE_NOTE = (
    "BCE: the discriminator's sigmoid is folded into BCEWithLogits (same function, numerically stable); "
    "D loss = BCE(real, 1) + BCE(fake, 0); generator uses the non-saturating BCE(fake, 1) rather than the "
    "paper's literal 'minus the discriminator loss on fakes' (the minimax form, which saturates early). "
    "Adam lr 2e-4, betas (0.5, 0.999), batch 64."
)
_WGAN_NOTE = (
    "WGAN networks: the paper's figures are not in its text; both WGAN presets use DCGAN 1's generator and "
    "its discriminator without a sigmoid as the critic. n_critic = 5 critic steps per generator step "
    "(Arjovsky et al.; the paper does not say). Batch 64."
)


_V2_NOTE = (
    "v2 kernels: 4 with stride 2 (padding 1) on both axes; first kernel 16x53 at 128x431. "
    "Tanh output: model range [-1, 1], real mels fed as 2*unit-1."
)
_V3_NOTE = (
    "v3 'modified kernels' (not given): along time stride 3 with kernel 6 (no checkerboard) instead of "
    "stride 2 / kernel 4, so the first kernel shrinks to 16x15. ReLU output: model range [0, inf), "
    "clamped to [0, 1] for listening; real mels fed as they are."
)
_DCGAN1_NOTE = (
    "Generator (ConvT, BN, ReLU) x 4 [512, 256, 128, 64] then ConvT + Tanh; "
    "discriminator [64, 128, 256, 512] + 1 logit."
)
_DCGAN2_NOTE = (
    "Generator [256, 128, 64] with Dropout(0.3) after its first two blocks; discriminator "
    "[64, 128, 256] with Dropout(0.3) after its second block (placement and rate not given)."
)
_CLIP_NOTE = (
    "Weight clipping to [-0.01, 0.01] after every critic step (Arjovsky et al.; the paper gives no "
    "value); the critic keeps DCGAN's BatchNorm. RMSprop at the paper's lr 2e-4 for both networks "
    "(Arjovsky et al. use 5e-5: set lr_g/lr_d to compare)."
)
_GP_NOTE = (
    "Gradient penalty lambda 10 on real/fake interpolates; critic uses GroupNorm(1, C) (layer norm) "
    "instead of BatchNorm (Gulrajani et al.). Adam at the paper's lr 2e-4, betas (0.5, 0.999)."
)
_COND_NOTES = (
    "One generator for every genre: a (B, n_genres) soft vector blends learnt genre embeddings, so genres "
    "can be mixed; a (B, n_genres, T_latent) vector morphs genres along time.",
    "Generator: latent (64, T_latent), one step per 8 frames; 1-D residual upsampling blocks over time "
    "(mel bins as channels) with per-position channel norm + FiLM from the genre embedding; sigmoid "
    "output into [0, 1] (no clamping needed, real mels fed as they are).",
    "Seamless: a receptive-field margin is generated and cropped so no frame sees zero padding; one pass "
    "generates any length (60 s = 2584 frames).",
    "Discriminator: input centred to [-1, 1], spectral-norm 1-D convs, LeakyReLU 0.2, global average "
    "pooling over time, projection head for the genre (Miyato & Koyama); trains on any crop length. "
    "Uncentred, the mels' common level near 0.5 swamped the critic's gradients: on one genre it scored real "
    "and generated clips alike (hinge loss 2.000) for ~900 steps from scratch and for as long as we watched "
    "when fine-tuning; centred, it separates them within ~20-200 steps. The two notes below were observed "
    "before this change.",
    "Hinge loss; R1 gamma 1.0 on reals; EMA generator beta 0.999 (what inference uses); batch 16.",
    "Two time-scale update rule (SAGAN): Adam betas (0, 0.9), lr 1e-4 for G and 4e-4 for D. With 2e-4 for "
    "both, the spectral-norm critic on the open corpus stayed at hinge loss 2.0 (real and fake scores "
    "equal) for 1300+ steps; a faster critic separates them within ~50 steps.",
    "Augmentation off by default: with DiffAugment on every critic input the critic stayed at hinge loss "
    "2.0 on the open corpus (3,100 clips) for 300+ steps even at the faster rate, while without it the "
    "same critic separated real from generated within ~40 steps. The transforms stay in models/augment.py "
    "for folders of a few minutes.",
)


def _build_presets() -> dict[str, Preset]:
    presets = [
        _preset_000(
            "melodygan-v2",
            "MELodyGAN second approach: transposed-conv DCGAN, Tanh output, least squares loss.",
            melodygan.melodygan_v2_generator,
            melodygan.melodygan_v2_discriminator,
            _V2_NOTE,
        ),
        _preset_000(
            "melodygan-v3",
            "MELodyGAN final model: modified kernels and a ReLU output, least squares loss.",
            melodygan.melodygan_v3_generator,
            melodygan.melodygan_v3_discriminator,
            _V3_NOTE,
        ),
        _preset_002(
            "techno-dcgan1",
            "Techno DCGAN 1: 5 (transposed) conv layers with 4x4 kernels, BCE.",
            techno.dcgan1_generator,
            techno.dcgan1_discriminator,
            (_DCGAN1_NOTE, _BCE_NOTE),
        ),
        _preset_002(
            "techno-dcgan2",
            "Techno DCGAN 2: 4 layers, dropout in both networks, BCE.",
            techno.dcgan2_generator,
            techno.dcgan2_discriminator,
            (_DCGAN2_NOTE, _BCE_NOTE),
        ),
        _preset_002(
            "techno-wgan-clip",
            "Techno WGAN with weight clipping and RMSprop.",
            techno.wgan_generator,
            techno.wgan_clip_critic,
            (_WGAN_NOTE, _CLIP_NOTE),
            loss="wgan-clip",
            optimizer="rmsprop",
            n_critic=5,
            clip_value=0.01,
        ),
        _preset_002(
            "techno-wgan-gp",
            "Techno WGAN with gradient penalty (lambda 10) and Adam.",
            techno.wgan_generator,
            techno.wgan_gp_critic,
            (_WGAN_NOTE, _GP_NOTE),
            loss="wgan-gp",
            n_critic=5,
            gp_lambda=10.0,
        ),
        Preset(
            name="melodygan-cond",
            paper="ours",
            summary="Genre-conditional and fully convolutional in time: any length, genre blends, seamless.",
            mel_preset="paper000-10s",
            conditional=True,
            loss="hinge",
            optimizer="adam",
            lr_g=1e-4,
            lr_d=4e-4,
            betas=(0.0, 0.9),
            batch_size=16,
            n_critic=1,
            clip_value=0.0,
            gp_lambda=0.0,
            r1_gamma=1.0,
            ema_beta=0.999,
            augment=False,
            build_generator=conditional.conditional_generator,
            build_discriminator=conditional.projection_discriminator,
            notes=_COND_NOTES,
        ),
    ]
    return {preset.name: preset for preset in presets}


#: Every preset by name.
PRESETS: dict[str, Preset] = _build_presets()


def get_preset(name: str) -> Preset:
    """The preset called ``name``; ``UnknownPresetError`` (a ``KeyError``) lists the valid names."""
    try:
        return PRESETS[name]
    except KeyError:
        raise UnknownPresetError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}") from None


__all__ = ["PAPER_000", "PAPER_002", "PRESETS", "Preset", "UnknownPresetError", "get_preset"]
