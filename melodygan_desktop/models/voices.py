"""``melodygan-voices``: ``melodygan-groove`` plus a few pitched voices drawn as exact harmonic lines.

``melodygan-groove`` keeps a beat, but paints every sound as mel bins, and its held notes come out as short,
faint partials (harmonic share 0.69 against real music's 0.83): sharp horizontal lines are hard to paint bin
by bin from latents that change every 186 ms. This family keeps groove's trunk, clock and painted mel (the
drums, noises and colour of a take) and adds, at the output rate, a handful of *voices* (two timbres of three
in new models) whose sound a fixed renderer draws:

    mel power = groove's painted power + sum over voices of  loudness x harmonic template(timbre, pitch)

Each voice chooses its pitch (84, C1 to B7) by a softmax over logits from the trunk plus its own take-wide
**key** logits from the style and genre, and its loudness is ``exp(gain x output)`` from the trunk and the
beat clock, ``voice_start`` dB under full scale until learned, optionally never under ``voice_floor``. The
templates are ``melodygan-harmonic``'s: 16 partials at integer multiples of the pitch, each the STFT main
lobe of a sinusoid projected onto the mel filterbank, with learned levels per timbre. Whatever the network
outputs, a voice's energy therefore sits on harmonic lines at real pitches.

Untrained, the trunk's pitch and loudness layers are zero: each voice holds one pitch (set by the key) for
the whole take, under the mel floor in new models, so a ``melodygan-groove`` model starts a run as it sounds
(``--from``) and the critic decides how loud the voices get and how they move."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..config import MelConfig
from .beat_clock import CLOCK_FEATURES, CLOCK_MULTIPLES
from .conditional import EMBED_DIM, GENERATOR_CHANNELS, Z_DIM, _ints, added_settings
from .groove import ADDED_SETTINGS as GROOVE_SETTINGS
from .groove import GrooveGenerator, groove_critic
from .harmonic import HEAD_WIDTH, PITCHES, harmonic_partials, initial_partial_levels, pitched_power

#: Timbres and voices per timbre in new models.
TIMBRES = 2
VOICES = 3
MAX_VOICES = 8
#: Pitch logits are multiplied by this, so a voice's softmax is peaked (a note), not a comb of 84 pitches.
PITCH_SHARPNESS = 16
#: A voice's power is ``exp(loudness_gain * output) * 10 ** (-voice_start / 10)``: ``voice_start`` dB under
#: full scale until learned (110: under the -90 dB mel floor, so a groove model starts as it sounds), and the
#: gain lets Adam's small steps reach audible levels in a few hundred steps.
VOICE_START = 110
LOUDNESS_GAIN = 10
#: The loudness no voice goes under, dB under full scale (0: none; voices may fall silent).
VOICE_FLOOR = 0
#: Spread of the untrained key profile's logits (before the sharpness): each voice starts on one pitch.
KEY_SPREAD = 0.5
#: The exponent's ceiling: +13 dB, above the mel ceiling, so a voice can saturate but never overflow.
LOUDNESS_MAX = 3.0


class VoicesGenerator(GrooveGenerator):
    """``z (B, z_dim, T_latent + 1)`` + genre blend -> ``(B, 1, n_mels, frames)`` in [0, 1], as
    ``melodygan-groove``; its mel is groove's painted mel with the voices' harmonic lines added in power."""

    def __init__(self, mel: MelConfig, n_genres: int, *, timbres: int = TIMBRES, voices: int = VOICES,
                 pitch_sharpness: int = PITCH_SHARPNESS, loudness_gain: int = LOUDNESS_GAIN,
                 voice_start: int = VOICE_START, voice_floor: int = VOICE_FLOOR, **groove_settings) -> None:
        super().__init__(mel, n_genres, **groove_settings)
        if not 1 <= timbres <= 4 or not 1 <= voices <= MAX_VOICES:
            raise ValueError(f"timbres must be 1 to 4 and voices 1 to {MAX_VOICES}, got {timbres}, {voices}")
        if not 1 <= pitch_sharpness <= 64 or not 1 <= loudness_gain <= 100:
            raise ValueError(f"pitch_sharpness must be 1 to 64 and loudness_gain 1 to 100, got "
                             f"{pitch_sharpness}, {loudness_gain}")
        if not 0 <= voice_start <= 200 or not 0 <= voice_floor <= 200:
            raise ValueError(f"voice_start and voice_floor must be 0 to 200 (dB), got {voice_start}, "
                             f"{voice_floor}")
        self.shape.update(timbres=timbres, voices=voices, pitch_sharpness=pitch_sharpness,
                          loudness_gain=loudness_gain, voice_start=voice_start, voice_floor=voice_floor)
        self.loudness_start = -voice_start / 10 * math.log(10)
        self.floor_power = 10.0 ** (-voice_floor / 10) if voice_floor else 0.0
        self.timbres, self.voices = timbres, voices
        self.pitch_sharpness, self.loudness_gain = float(pitch_sharpness), float(loudness_gain)
        self.db_floor, self.db_span = mel.db_floor, mel.db_ceil - mel.db_floor
        clock_width = CLOCK_FEATURES + (len(CLOCK_MULTIPLES) if self.pulses else 0)
        width, embed = self.shape["channels"][-1], self.shape["embed_dim"]
        self.voice_in = nn.Conv1d(width + clock_width, HEAD_WIDTH, 3, padding=1)
        self.voice_pitch = nn.Conv1d(HEAD_WIDTH, timbres * voices * PITCHES, 1)
        self.voice_loudness = nn.Conv1d(HEAD_WIDTH, timbres * voices, 1)
        self.key = nn.Linear(self.z_dim + embed, timbres * voices * PITCHES)  # each voice's pitch in a take
        # Untrained, each voice holds one pitch for the whole take (set by the style and genre: the key), at
        # the starting loudness; the trunk learns to move pitches and loudness along time.
        for layer in (self.voice_pitch, self.voice_loudness):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        nn.init.normal_(self.key.weight, 0.0, KEY_SPREAD / math.sqrt(self.z_dim + embed))
        nn.init.zeros_(self.key.bias)
        self.partial_levels = nn.Parameter(initial_partial_levels(timbres))
        self.register_buffer("partials", harmonic_partials(mel), persistent=False)

    def voice_notes(self, hidden: torch.Tensor, clock: torch.Tensor, key_input: torch.Tensor):
        """Trunk output ``(B, C, T)``, clock ``(B, F, T)``, style and genre ``(B, z_dim + E)`` -> each voice's
        pitch choice ``(B, timbres, voices, PITCHES, T)`` (a softmax) and power ``(B, timbres, voices, 1, T)``
        (relative to a full-scale sine's peak)."""
        batch, length = hidden.shape[0], hidden.shape[-1]
        head = F.relu(self.voice_in(torch.cat([hidden, clock], dim=1)))
        key = self.key(key_input).view(batch, self.timbres, self.voices, PITCHES, 1)
        logits = self.voice_pitch(head).view(batch, self.timbres, self.voices, PITCHES, length) + key
        exponent = self.voice_loudness(head) * self.loudness_gain + self.loudness_start
        loudness = torch.exp(exponent.clamp(max=LOUDNESS_MAX)) + self.floor_power
        loudness = loudness.view(batch, self.timbres, self.voices, 1, length)
        return torch.softmax(logits * self.pitch_sharpness, dim=3), loudness

    def render_voices(self, choice: torch.Tensor, loudness: torch.Tensor) -> torch.Tensor:
        """``voice_notes``' output -> the voices' mel power ``(B, n_mels, T)``."""
        played = (choice * loudness).sum(dim=2).flatten(1, 2)  # (B, timbres * PITCHES, T)
        return pitched_power(played, self.partial_levels, self.partials)

    def parts(self, z: torch.Tensor, genre_weights: torch.Tensor | None = None, frames: int | None = None):
        """``(painted, choice, loudness)``, margins included: groove's painted mel ``(B, n_mels, T)`` in
        [0, 1] and ``voice_notes``' output; ``forward`` mixes them."""
        sequence, style, _ = self.split_style(z, frames)
        genre = self.genre_embedding_for(genre_weights, z.shape[0], z.device)
        return self.voiced_trunk(sequence, style, genre)

    def voiced_trunk(self, sequence: torch.Tensor, style: torch.Tensor, genre: torch.Tensor):
        """``parts`` from the split ``z`` and the genre embedding."""
        hidden, embedding, clock = self.groove_trunk(sequence, style, genre)
        mean_embedding = embedding.mean(dim=-1) if embedding.dim() == 3 else embedding
        choice, loudness = self.voice_notes(hidden, clock, torch.cat([style, mean_embedding], dim=1))
        return torch.sigmoid(self.output_conv(hidden)), choice, loudness

    def forward(self, z: torch.Tensor, genre_weights: torch.Tensor | None = None,
                frames: int | None = None) -> torch.Tensor:
        sequence, style, frames = self.split_style(z, frames)
        genre = self.genre_embedding_for(genre_weights, z.shape[0], z.device)
        painted, choice, loudness = self.voiced_trunk(sequence, style, genre)
        painted_power = 10.0 ** ((painted * self.db_span + self.db_floor) / 10.0)
        power = painted_power + self.render_voices(choice, loudness)
        mels = ((10.0 * torch.log10(power) - self.db_floor) / self.db_span).clamp(max=1.0)
        return mels[:, None, :, self.margin : self.margin + frames]


#: Settings with a default per era, groove's and this family's own: (key, value for a new model, value a file
#: without the key was made with).
ADDED_SETTINGS = (
    *GROOVE_SETTINGS, ("timbres", TIMBRES, TIMBRES), ("voices", VOICES, VOICES),
    ("pitch_sharpness", PITCH_SHARPNESS, PITCH_SHARPNESS), ("loudness_gain", LOUDNESS_GAIN, LOUDNESS_GAIN),
    ("voice_start", VOICE_START, 110), ("voice_floor", VOICE_FLOOR, 0),
)


def voices_generator(mel: MelConfig, n_genres: int, architecture: dict | None = None) -> VoicesGenerator:
    """``architecture`` (meta.json): ``melodygan-groove``'s settings and ``timbres``, ``voices``,
    ``pitch_sharpness``, ``loudness_gain``, ``voice_start`` and ``voice_floor``."""
    return VoicesGenerator(
        mel, n_genres, channels=_ints(architecture, "channels", GENERATOR_CHANNELS, (2, 6)),
        z_dim=_ints(architecture, "z_dim", (Z_DIM,), (1, 1))[0],
        embed_dim=_ints(architecture, "embed_dim", (EMBED_DIM,), (1, 1))[0],
        **added_settings(architecture, ADDED_SETTINGS),
    )


#: The critic is groove's (its settings are among groove's).
voices_critic = groove_critic

__all__ = ["VoicesGenerator", "voices_critic", "voices_generator"]
