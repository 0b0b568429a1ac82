"""Named training recipes: a generator + discriminator + loss + optimiser for each paper system and our own.

Each preset's ``notes`` lists every choice its paper leaves open. Non-conditional presets trained on a folder
with several genres learn one generator over all genres pooled; only ``melodygan-cond`` is genre-aware.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..config import MEL_PRESETS, MelConfig
from . import conditional, groove, harmonic, latent, melodygan, preset_notes, techno, voices
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
    EMA decay (0 = off); ``diversity`` weight of the generator's diversity hinge (0 = off, see
    ``training.losses.diversity_hinge``); ``augment`` DiffAugment on every discriminator input;
    ``mel_preset`` the paper's clip setting (a key of ``MEL_PRESETS``), although every preset builds for any
    ``MelConfig``; ``starts_from`` presets whose trained models can initialise a run of this one
    (``--from``): tensors of the same name and shape are copied, the rest keep their initialisation.
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
    latent: bool = False
    diversity: float = 0.0
    shaped: bool = False  # builders take an ``architecture`` dict (our presets; the papers' shapes are fixed)
    #: Other presets whose models can start a run of this one (their generator's tensors are a subset).
    starts_from: tuple[str, ...] = ()

    def make_generator(self, mel: MelConfig, n_genres: int, architecture: dict | None = None) -> Generator:
        """The inference generator; ``architecture`` (from meta.json) rebuilds a saved model's exact shape."""
        if self.shaped:
            return self.build_generator(mel, n_genres, architecture)  # type: ignore[call-arg]
        return self.build_generator(mel, n_genres)

    def make_discriminator(self, mel: MelConfig, n_genres: int, architecture: dict | None = None):
        if self.shaped:
            return self.build_discriminator(mel, n_genres, architecture)  # type: ignore[call-arg]
        return self.build_discriminator(mel, n_genres)

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
        notes=(*preset_notes.PAPER_000_NOTES, note),
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
        notes=(*preset_notes.PAPER_002_NOTES, *notes),
        **fields,
    )


def _preset_ours(
    name: str, summary: str, generator, discriminator, notes: tuple[str, ...], **recipe
) -> Preset:
    """Our genre-conditional recipes: hinge loss, Adam 1e-4 (G) / 4e-4 (D), EMA 0.999, shapes in meta.json."""
    fields = dict(
        loss="hinge", optimizer="adam", lr_g=1e-4, lr_d=4e-4, n_critic=1, clip_value=0.0, gp_lambda=0.0,
        ema_beta=0.999, augment=False, shaped=True,
    )
    fields.update(recipe)
    return Preset(
        name=name, paper="ours", summary=summary, mel_preset="paper000-10s", conditional=True,
        build_generator=generator, build_discriminator=discriminator, notes=notes, **fields,
    )


def _build_presets() -> dict[str, Preset]:
    presets = [
        _preset_000(
            "melodygan-v2",
            "MELodyGAN second approach: transposed-conv DCGAN, Tanh output, least squares loss.",
            melodygan.melodygan_v2_generator,
            melodygan.melodygan_v2_discriminator,
            preset_notes.V2_NOTE,
        ),
        _preset_000(
            "melodygan-v3",
            "MELodyGAN final model: modified kernels and a ReLU output, least squares loss.",
            melodygan.melodygan_v3_generator,
            melodygan.melodygan_v3_discriminator,
            preset_notes.V3_NOTE,
        ),
        _preset_002(
            "techno-dcgan1",
            "Techno DCGAN 1: 5 (transposed) conv layers with 4x4 kernels, BCE.",
            techno.dcgan1_generator,
            techno.dcgan1_discriminator,
            (preset_notes.DCGAN1_NOTE, preset_notes.BCE_NOTE),
        ),
        _preset_002(
            "techno-dcgan2",
            "Techno DCGAN 2: 4 layers, dropout in both networks, BCE.",
            techno.dcgan2_generator,
            techno.dcgan2_discriminator,
            (preset_notes.DCGAN2_NOTE, preset_notes.BCE_NOTE),
        ),
        _preset_002(
            "techno-wgan-clip",
            "Techno WGAN with weight clipping and RMSprop.",
            techno.wgan_generator,
            techno.wgan_clip_critic,
            (preset_notes.WGAN_NOTE, preset_notes.CLIP_NOTE),
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
            (preset_notes.WGAN_NOTE, preset_notes.GP_NOTE),
            loss="wgan-gp",
            n_critic=5,
            gp_lambda=10.0,
        ),
        _preset_ours(
            "melodygan-cond",
            "Genre-conditional and fully convolutional in time: any length, genre blends, seamless.",
            conditional.conditional_generator,
            conditional.projection_discriminator,
            preset_notes.COND_NOTES,
            betas=(0.0, 0.9),
            batch_size=16,
            r1_gamma=1.0,
        ),
        _preset_ours(
            "melodygan-harmonic",
            "Genre-conditional notes on a beat clock: pitched harmonic templates, noise bands, any length.",
            harmonic.harmonic_generator,
            harmonic.harmonic_critic,
            preset_notes.HARMONIC_NOTES,
            betas=(0.0, 0.9),
            batch_size=16,
            r1_gamma=1.0,
        ),
        _preset_ours(
            "melodygan-groove",
            "melodygan-cond with a beat clock and a take-wide style; its critic also hears rhythm and lines.",
            groove.groove_generator,
            groove.groove_critic,
            preset_notes.GROOVE_NOTES,
            betas=(0.0, 0.9),
            batch_size=16,
            r1_gamma=1.0,
            starts_from=("melodygan-cond",),
        ),
        _preset_ours(
            "melodygan-voices",
            "melodygan-groove plus pitched voices in a take-wide key, drawn as exact harmonic lines.",
            voices.voices_generator,
            voices.voices_critic,
            preset_notes.VOICES_NOTES,
            betas=(0.0, 0.9),
            batch_size=16,
            r1_gamma=1.0,
            starts_from=("melodygan-groove", "melodygan-cond"),
        ),
        _preset_ours(
            "melodygan-latent",
            "Genre-conditional GAN on a mel codec's latents: pitched notes, steady beat, any length.",
            latent.latent_generator,
            latent.latent_critic,
            preset_notes.LATENT_NOTES,
            betas=(0.0, 0.99),
            batch_size=32,
            r1_gamma=0.2,
            latent=True,
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
