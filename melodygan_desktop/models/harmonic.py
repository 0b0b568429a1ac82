"""``melodygan-harmonic``: a genre-conditional generator that plays notes on a beat clock.

The trunk is ``melodygan-cond``'s (a latent sequence upsampled 8x in time with FiLM genre conditioning), but
it does not paint mel bins. Its head outputs, per frame, how loud each of 84 pitches (C1 to B7) sounds in
each of two timbres and how loud 16 broadband noise bands (from about 1.3 kHz up) are; a fixed renderer
turns that into the mel:

    mel power = sum over timbres and pitches of  activation x harmonic template(timbre, pitch)
              + sum over bands of  activation x band shape  +  the floor (silence)

A harmonic template is the mel image of a harmonic tone: 16 partials at integer multiples of the pitch,
each the exact STFT main lobe of a sinusoid (Hann window) projected onto the mel filterbank, weighted by
learned per-timbre partial levels. Whatever the network outputs, tonal energy therefore sits on harmonic
lines at real pitches; the network only decides which notes sound when.

How many notes sound at once is budgeted: the pitches of a timbre are played by a few *voices* (three
per timbre in new models), each choosing its pitch by a softmax over the 84 and its loudness by a softplus,
so a frame holds a handful of notes rather than a drone of dozens (models saved before voices existed set
every pitch's loudness directly: ``voices`` 0).

A beat clock gives the rhythm something to hold on to: each take gets a tempo (60-180 BPM) and a phase
from its global style vector (the last column of ``z``) and genre, and sines and cosines of the clock at
quarter, half, one and two cycles per beat feed the head, so onsets can lock to a steady grid.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..audio.mel import mel_filterbank, reference_power
from ..config import MelConfig
from .beat_clock import CLOCK_FEATURES, clock_features
from .conditional import (
    DISCRIMINATOR_CHANNELS,
    EMBED_DIM,
    GENERATOR_CHANNELS,
    Z_DIM,
    ConditionalGenerator,
    ProjectionDiscriminator,
    _ints,
    added_settings,
)

LOWEST_PITCH = 24  # MIDI C1, 32.7 Hz
PITCHES = 84  # up to B7, 3951 Hz
HARMONICS = 16
TIMBRES = 2
NOISE_BANDS = 16
HEAD_WIDTH = 128
#: Lowest mel bin of the noise bands in new models (about 1.3 kHz at the default settings): below it, sound
#: can only be pitched, as the low and middle register of real music mostly is (kick drums included).
NOISE_FROM = 48
#: Voices per timbre in new models (0: every pitch has its own loudness, as models saved before voices).
VOICES = 3
#: Pitch logits are multiplied by this in new models, so a voice's softmax starts peaked (a note) rather than
#: nearly even over 84 pitches (a dense comb that sounds like noise, as a trial run drew): 1 before.
PITCH_SHARPNESS = 16
#: Minibatch standard-deviation group of the new models' critic (0: none, as before).
CRITIC_GROUP = 4
MAX_VOICES = 16


def harmonic_partials(mel: MelConfig, pitches: int = PITCHES, harmonics: int = HARMONICS) -> torch.Tensor:
    """``(pitches, harmonics, n_mels)``: mel power, relative to a full-scale sine's peak, of a unit-amplitude
    sinusoid at each partial of each pitch (zero above Nyquist)."""
    n = np.arange(mel.n_fft)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * n / mel.n_fft)  # periodic Hann, as the STFT uses
    filterbank = mel_filterbank(mel).double().numpy()  # (freqs, n_mels)
    out = np.zeros((pitches, harmonics, mel.n_mels))
    for p in range(pitches):
        f0 = 440.0 * 2.0 ** ((LOWEST_PITCH + p - 69) / 12.0)
        for h in range(harmonics):
            frequency = f0 * (h + 1)
            if frequency >= mel.sample_rate / 2:
                break
            power = np.abs(np.fft.rfft(window * np.cos(2 * np.pi * frequency * n / mel.sample_rate))) ** 2
            out[p, h] = (power / reference_power(mel)) @ filterbank
    return torch.from_numpy(out).float()


def initial_partial_levels(timbres: int) -> torch.Tensor:
    """``(timbres, HARMONICS)`` softplus inputs giving partial levels 1/h, the starting timbre."""
    levels = torch.log(torch.expm1(1.0 / torch.arange(1, HARMONICS + 1).float()))
    return levels.repeat(timbres, 1)


def pitched_power(played: torch.Tensor, partial_levels: torch.Tensor, partials: torch.Tensor) -> torch.Tensor:
    """Loudness per timbre and pitch ``(B, timbres * pitches, T)`` -> mel power ``(B, n_mels, T)``: each
    pitch's harmonic template (``partials`` weighted by the timbre's softplus ``partial_levels``) times its
    loudness, summed."""
    templates = torch.einsum("sh,phm->spm", F.softplus(partial_levels), partials)
    return torch.einsum("bkt,km->bmt", played, templates.reshape(-1, partials.shape[-1]))


def noise_bands(n_mels: int, bands: int = NOISE_BANDS, start: int = 0) -> torch.Tensor:
    """``(bands, n_mels)``: Hann bumps over mel bins ``start`` to the top, half-overlapping, summing to one
    between the first and last centre."""
    centres = np.linspace(start, n_mels - 1, bands)
    width = centres[1] - centres[0]
    distance = np.abs(np.arange(n_mels)[None, :] - centres[:, None]) / width
    return torch.from_numpy(np.where(distance < 1, 0.5 + 0.5 * np.cos(np.pi * distance), 0.0)).float()


class HarmonicGenerator(ConditionalGenerator):
    """``z (B, z_dim, T_latent + 1)`` + genre blend -> ``(B, 1, n_mels, frames)`` in [0, 1].

    ``z[..., :-1]`` is the latent sequence of ``melodygan-cond`` (one step per 8 frames, margins cropped);
    ``z[..., -1]`` is the take's global style, which with the genre sets the tempo and beat phase.
    """

    def __init__(self, mel: MelConfig, n_genres: int, *, channels=GENERATOR_CHANNELS, z_dim: int = Z_DIM,
                 embed_dim: int = EMBED_DIM, noise_from: int = NOISE_FROM, voices: int = VOICES,
                 pitch_sharpness: int = PITCH_SHARPNESS, critic_group: int = CRITIC_GROUP) -> None:
        super().__init__(mel, n_genres, channels=channels, z_dim=z_dim, embed_dim=embed_dim)
        if not 0 <= noise_from <= mel.n_mels - 2:
            raise ValueError(f"noise_from must be 0 to {mel.n_mels - 2}, got {noise_from}")
        if not 0 <= voices <= MAX_VOICES:
            raise ValueError(f"voices must be 0 to {MAX_VOICES}, got {voices}")
        if not 1 <= pitch_sharpness <= 64:
            raise ValueError(f"pitch_sharpness must be 1 to 64, got {pitch_sharpness}")
        self.shape.update(
            noise_from=noise_from, voices=voices, pitch_sharpness=pitch_sharpness, critic_group=critic_group
        )
        self.voices, self.pitch_sharpness = voices, pitch_sharpness
        del self.output_conv  # the mel comes from the renderer below
        self.seconds_per_frame = mel.hop_length / mel.sample_rate
        self.db_floor, self.db_span = mel.db_floor, mel.db_ceil - mel.db_floor
        self.tempo = nn.Linear(z_dim + embed_dim, 3)  # tempo logit, phase (cos, sin)
        self.head_in = nn.Conv1d(channels[-1] + CLOCK_FEATURES, HEAD_WIDTH, 3, padding=1)
        self.head_out = nn.Conv1d(HEAD_WIDTH, self.tonal_outputs + NOISE_BANDS, 1)
        nn.init.constant_(self.head_out.bias, -11.0)  # start quiet (about -48 dB a partial), not saturated
        if voices:
            with torch.no_grad():  # pitch choices start even; only the loudness starts quiet
                per_voice = self.head_out.bias[: self.tonal_outputs].view(TIMBRES * voices, PITCHES + 1)
                per_voice[:, :PITCHES] = 0.0
        # Partial levels per timbre, as softplus inputs: 1/h at the start.
        self.partial_levels = nn.Parameter(initial_partial_levels(TIMBRES))
        self.register_buffer("partials", harmonic_partials(mel), persistent=False)
        self.register_buffer("bands", noise_bands(mel.n_mels, start=noise_from), persistent=False)

    @property
    def tonal_outputs(self) -> int:
        """Head channels for the pitched part: per voice, pitch logits and a loudness; or one per pitch."""
        if self.voices:
            return TIMBRES * self.voices * (PITCHES + 1)
        return TIMBRES * PITCHES

    def pitch_loudness(self, tonal: torch.Tensor) -> torch.Tensor:
        """Tonal head output ``(B, tonal_outputs, T)`` -> loudness per timbre and pitch ``(B, TIMBRES *
        PITCHES, T)``: each voice's loudness spread by its pitch softmax, voices of a timbre summed."""
        if not self.voices:
            return F.softplus(tonal)
        batch, _, length = tonal.shape
        per_voice = tonal.view(batch, TIMBRES, self.voices, PITCHES + 1, length)
        choice = torch.softmax(per_voice[:, :, :, :PITCHES] * self.pitch_sharpness, dim=3)
        played = choice * F.softplus(per_voice[:, :, :, PITCHES:])
        return played.sum(dim=2).reshape(batch, TIMBRES * PITCHES, length)

    def latent_shape(self, frames: int) -> tuple[int, ...]:
        return (self.z_dim, self.latent_length(frames) + 1)

    def clock(self, style: torch.Tensor, embedding: torch.Tensor, length: int) -> torch.Tensor:
        """``(B, CLOCK_FEATURES, length)`` beat-clock features (frames -margin onwards)."""
        if embedding.dim() == 3:
            embedding = embedding.mean(dim=-1)
        params = self.tempo(torch.cat([style, embedding], dim=1))
        frames = torch.arange(length, device=style.device, dtype=style.dtype) - self.margin
        return clock_features(params, self.seconds_per_frame, frames)

    def render(self, activations: torch.Tensor) -> torch.Tensor:
        """Head output ``(B, tonal_outputs + NOISE_BANDS, T)`` -> normalised mel ``(B, n_mels, T)``."""
        tonal_logits, noise_logits = activations.split([self.tonal_outputs, NOISE_BANDS], dim=1)
        tonal, noise = self.pitch_loudness(tonal_logits), F.softplus(noise_logits)
        power = pitched_power(tonal, self.partial_levels, self.partials)
        power = power + torch.einsum("bkt,km->bmt", noise, self.bands) + 10.0 ** (self.db_floor / 10.0)
        unit = (10.0 * torch.log10(power) - self.db_floor) / self.db_span
        return unit.clamp(max=1.0)

    def forward(self, z: torch.Tensor, genre_weights: torch.Tensor | None = None,
                frames: int | None = None) -> torch.Tensor:
        sequence, style, frames = self.split_style(z, frames)
        embedding = self.genre_embedding_for(genre_weights, z.shape[0], z.device)
        hidden = self.trunk(sequence, embedding)
        clock = self.clock(style, embedding, hidden.shape[-1])
        activations = self.head_out(F.relu(self.head_in(torch.cat([hidden, clock], dim=1))))
        mels = self.render(activations)
        return mels[:, None, :, self.margin : self.margin + frames]


def harmonic_generator(mel: MelConfig, n_genres: int, architecture: dict | None = None) -> HarmonicGenerator:
    """``architecture`` (meta.json): ``channels``, ``z_dim``, ``embed_dim`` as ``melodygan-cond``, and the
    settings added since the first models, each with the old behaviour when absent (files saved before it
    existed) and the current default for a new model (``architecture`` None): ``noise_from`` (0: noise over
    the whole range; new ``NOISE_FROM``), ``voices`` (0; new ``VOICES``), ``pitch_sharpness`` (1; new
    ``PITCH_SHARPNESS``) and ``critic_group`` (0; new ``CRITIC_GROUP``)."""
    settings = added_settings(architecture, (
        ("noise_from", NOISE_FROM, 0), ("voices", VOICES, 0), ("pitch_sharpness", PITCH_SHARPNESS, 1),
        ("critic_group", CRITIC_GROUP, 0),
    ))
    return HarmonicGenerator(
        mel, n_genres, channels=_ints(architecture, "channels", GENERATOR_CHANNELS, (2, 6)),
        z_dim=_ints(architecture, "z_dim", (Z_DIM,), (1, 1))[0],
        embed_dim=_ints(architecture, "embed_dim", (EMBED_DIM,), (1, 1))[0], **settings,
    )


def harmonic_critic(mel: MelConfig, n_genres: int, architecture: dict | None = None):
    """``melodygan-cond``'s projection critic, with a minibatch standard-deviation feature (groups of
    ``critic_group``) in new models: a batch of near-identical takes then looks unlike real music, which the
    first harmonic runs (collapsed to one picture per genre) could not be told."""
    group = CRITIC_GROUP if architecture is None else architecture.get("critic_group", 0)
    channels = _ints(architecture, "critic_channels", DISCRIMINATOR_CHANNELS, (2, 6))
    return ProjectionDiscriminator(mel, n_genres, channels=channels, batch_group=group)


__all__ = [
    "HarmonicGenerator", "harmonic_critic", "harmonic_generator", "harmonic_partials",
    "initial_partial_levels", "noise_bands", "pitched_power",
]
