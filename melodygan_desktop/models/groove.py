"""``melodygan-groove``: ``melodygan-cond`` with a beat clock, a take-wide style, and critics that hear
rhythm and pitched lines.

``melodygan-cond`` draws one independent latent per 186 ms and sees about half a second around each frame,
so nothing holds a take together: onsets fall anywhere (beat regularity 0.19 against real music's 0.64) and
no note outlasts the context. This family keeps its trunk and adds, each through a layer that starts at
zero (so a ``melodygan-cond`` model is exactly where a ``melodygan-groove`` run starts, see
``Preset.starts_from``):

- a **beat clock** (``beat_clock``): a tempo and phase per take, whose sines and narrow pulses (bar, half
  bar, beat, eighth) enter every block of the trunk at that block's rate, so onsets can land on one grid
  for the whole take;
- a **take-wide style**: the last latent column, added to the genre embedding that modulates every block,
  so a take can keep its key, instruments and tempo from start to end.

The critic is ``melodygan-cond``'s projection critic (with a minibatch spread feature) plus two views, each
scored on its own (a loss per view, averaged; see ``CRITIC_VIEWS``):

- **rhythm**: the autocorrelation of the onset strength (positive spectral flux) in four frequency bands at
  lags up to two seconds, the quantity the beat-regularity measure reads, through a small MLP with a genre
  projection: a take whose onsets are not periodic looks unlike real music to it;
- **lines**: a small 2-D convolution over (mel, time), which sees a held partial as a horizontal line and a
  smear as a smear, where the 1-D critic (mel bins as channels) has no notion of neighbouring bins.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ..config import MelConfig
from .beat_clock import CLOCK_FEATURES, CLOCK_MULTIPLES, clock_features, pulse_features
from .conditional import (
    DISCRIMINATOR_CHANNELS,
    EMBED_DIM,
    GENERATOR_CHANNELS,
    Z_DIM,
    ConditionalGenerator,
    ProjectionDiscriminator,
    _ints,
)

#: Minibatch standard-deviation group of the critic.
CRITIC_GROUP = 4
#: Scores the critic returns per clip: 3, one per view, each with its own hinge (a view cannot rest on the
#: others once their sum is past the margin); 1, their sum (the first runs).
CRITIC_VIEWS = 3
#: The clock inputs' outputs are multiplied by this in new models: with Adam, whose steps are about the
#: learning rate whatever the gradient's size, a zero-initialised layer otherwise grows too slowly for the
#: clock to matter within a CPU run (after 1,000 steps of a first run its weights were at most 0.01); 1
#: before.
CLOCK_GAIN = 10
#: The same for the style layer (also zero-initialised) in new models; 1 before.
STYLE_GAIN = 10
#: Dilated residual blocks at the latent rate in new models (dilations 1, 2, 4, ...; each starts as the
#: identity): context of about 2.8 s each side of a frame with 4, where melodygan-cond sees half a second, so
#: a held chord can outlast the latents that change every 186 ms. 0: none (the first runs).
CONTEXT_BLOCKS = 4
MAX_CONTEXT_BLOCKS = 8
#: New models also feed the trunk narrow pulses on the clock's grid (``beat_clock.pulse_features``); 0: sines
#: only (the first runs).
CLOCK_PULSES = 1
#: Onset bands of the rhythm critic, as fractions of the mel axis (bass and kick, low-mid, high-mid, air).
ONSET_BANDS = ((0.0, 0.1), (0.1, 0.3), (0.3, 0.6), (0.6, 1.0))
#: Longest lag of the rhythm critic's autocorrelation, seconds (a half-note at 60 BPM).
MAX_LAG_SECONDS = 2.0
RHYTHM_WIDTH = 128
LINE_CHANNELS = (8, 16, 32)


def zero_conv(c_in: int, c_out: int) -> nn.Conv1d:
    """A 1x1 convolution that starts at zero, so a new input changes nothing until it is learned."""
    conv = nn.Conv1d(c_in, c_out, 1)
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


class ContextBlock(nn.Module):
    """``h + conv1x1(relu(dilated conv3(relu(h))))``, the 1x1 starting at zero: the identity until learned."""

    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.out = zero_conv(channels, channels)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return hidden + self.out(F.relu(self.conv(F.relu(hidden))))


class GrooveGenerator(ConditionalGenerator):
    """``z (B, z_dim, T_latent + 1)`` + genre blend -> ``(B, 1, n_mels, frames)`` in [0, 1].

    ``z[..., :-1]`` is ``melodygan-cond``'s latent sequence; ``z[..., -1]`` the take's style, which sets the
    tempo and phase of the clock and shifts the genre embedding.
    """

    def __init__(self, mel: MelConfig, n_genres: int, *, channels=GENERATOR_CHANNELS, z_dim: int = Z_DIM,
                 embed_dim: int = EMBED_DIM, critic_group: int = CRITIC_GROUP,
                 critic_views: int = CRITIC_VIEWS, clock_pulses: int = CLOCK_PULSES,
                 clock_gain: int = CLOCK_GAIN, style_gain: int = STYLE_GAIN,
                 context: int = CONTEXT_BLOCKS) -> None:
        super().__init__(mel, n_genres, channels=channels, z_dim=z_dim, embed_dim=embed_dim)
        if clock_pulses not in (0, 1):
            raise ValueError(f"clock_pulses must be 0 or 1, got {clock_pulses}")
        for key, gain in (("clock_gain", clock_gain), ("style_gain", style_gain)):
            if not 1 <= gain <= 100:
                raise ValueError(f"{key} must be 1 to 100, got {gain}")
        if not 0 <= context <= MAX_CONTEXT_BLOCKS:
            raise ValueError(f"context must be 0 to {MAX_CONTEXT_BLOCKS} blocks, got {context}")
        self.shape.update(critic_group=critic_group, critic_views=critic_views, clock_pulses=clock_pulses,
                          clock_gain=clock_gain, style_gain=style_gain, context=context)
        self.context = nn.ModuleList(ContextBlock(channels[0], 2**index) for index in range(context))
        self.margin += (2**context - 1) * self.upsampling  # their reach, in output frames
        self.pulses = bool(clock_pulses)
        self.clock_gain, self.style_gain = float(clock_gain), float(style_gain)
        self.seconds_per_frame = mel.hop_length / mel.sample_rate
        self.tempo = nn.Linear(z_dim + embed_dim, 3)  # tempo logit, phase (cos, sin)
        self.style = nn.Linear(z_dim, embed_dim)
        nn.init.zeros_(self.style.weight)
        nn.init.zeros_(self.style.bias)
        # One clock input per block (at its input rate) and one at the output rate.
        features = CLOCK_FEATURES + (len(CLOCK_MULTIPLES) if self.pulses else 0)
        self.clock_inputs = nn.ModuleList(zero_conv(features, c) for c in channels)

    def latent_shape(self, frames: int) -> tuple[int, ...]:
        return (self.z_dim, self.latent_length(frames) + 1)

    def clock_params(self, style: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        """``(B, 3)``: tempo logit and phase of each take, from its style and (mean) genre embedding."""
        if embedding.dim() == 3:
            embedding = embedding.mean(dim=-1)
        return self.tempo(torch.cat([style, embedding], dim=1))

    def clock_at(self, params: torch.Tensor, length: int, rate: int) -> torch.Tensor:
        """The clock at the centres of ``length`` positions of ``rate`` frames each (0: the first output)."""
        positions = torch.arange(length, device=params.device, dtype=params.dtype)
        frames = positions * rate + (rate - 1) / 2 - self.margin
        features = clock_features(params, self.seconds_per_frame, frames)
        if not self.pulses:
            return features
        return torch.cat([features, pulse_features(params, self.seconds_per_frame, frames)], dim=1)

    def clock_input(self, index: int, params: torch.Tensor, hidden: torch.Tensor, rate: int) -> torch.Tensor:
        """What the clock adds to ``hidden`` (at ``rate`` frames a position) before block ``index``."""
        return self.clock_inputs[index](self.clock_at(params, hidden.shape[-1], rate)) * self.clock_gain

    def forward(self, z: torch.Tensor, genre_weights: torch.Tensor | None = None,
                frames: int | None = None) -> torch.Tensor:
        if z.dim() != 3 or z.shape[1] != self.z_dim or z.shape[-1] < 2:
            raise ValueError(f"expected z of shape (B, {self.z_dim}, T_latent + 1), got {tuple(z.shape)}")
        sequence, style = z[..., :-1], z[..., -1]
        frames = self.frames_for(sequence.shape[-1], frames)
        genre = self.genre_embedding_for(genre_weights, z.shape[0], z.device)
        params = self.clock_params(style, genre)
        shift = self.style(style) * self.style_gain
        embedding = genre + (shift if genre.dim() == 2 else shift[:, :, None])
        hidden, rate = self.input_conv(sequence), self.upsampling
        for block in self.context:
            hidden = block(hidden)
        for index, block in enumerate(self.blocks):
            hidden = block(hidden + self.clock_input(index, params, hidden, rate), embedding)
            rate //= 2
        hidden = hidden + self.clock_input(len(self.blocks), params, hidden, rate)
        mels = torch.sigmoid(self.output_conv(F.relu(self.output_norm(hidden, embedding))))
        return mels[:, None, :, self.margin : self.margin + frames]


def onset_autocorrelation(x: torch.Tensor, max_lag: int, bands=ONSET_BANDS) -> torch.Tensor:
    """``x (B, n_mels, T)`` -> ``(B, len(bands), max_lag)``: per band, the autocorrelation of the positive
    spectral flux (mean over the band's bins, mean removed) at lags 1..max_lag, divided by its value at lag
    0 (1 = perfectly periodic at that lag; lags beyond the clip are 0). Differentiable."""
    n_mels, length = x.shape[1], x.shape[-1] - 1
    flux = F.relu(x[..., 1:] - x[..., :-1])
    edges = [(round(a * n_mels), max(round(b * n_mels), round(a * n_mels) + 1)) for a, b in bands]
    onsets = torch.stack([flux[:, lo:hi].mean(dim=1) for lo, hi in edges], dim=1)
    onsets = onsets - onsets.mean(dim=-1, keepdim=True)
    spectrum = torch.fft.rfft(onsets, n=2 * length)
    correlation = torch.fft.irfft(spectrum.real.square() + spectrum.imag.square(), n=2 * length)[..., :length]
    lags = correlation[..., 1 : max_lag + 1] / (correlation[..., :1] + 1e-8)
    return F.pad(lags, (0, max_lag - lags.shape[-1]))


class GrooveCritic(ProjectionDiscriminator):
    """``melodygan-cond``'s projection critic plus a rhythm view and a lines view (see the module text), each
    with its own genre projection: scores ``(B, 3)``, one per view, or ``(B,)``, their sum (``views`` 1)."""

    def __init__(self, mel: MelConfig, n_genres: int, *, channels=DISCRIMINATOR_CHANNELS,
                 batch_group: int = CRITIC_GROUP, views: int = CRITIC_VIEWS) -> None:
        super().__init__(mel, n_genres, channels=channels, batch_group=batch_group)
        if views not in (1, 3):
            raise ValueError(f"critic views must be 1 (summed) or 3, got {views}")
        self.views = views
        self.max_lag = max(1, round(MAX_LAG_SECONDS * mel.sample_rate / mel.hop_length))
        self.rhythm = nn.Sequential(
            spectral_norm(nn.Linear(len(ONSET_BANDS) * self.max_lag, 2 * RHYTHM_WIDTH)), nn.LeakyReLU(0.2),
            spectral_norm(nn.Linear(2 * RHYTHM_WIDTH, RHYTHM_WIDTH)), nn.LeakyReLU(0.2),
        )
        self.rhythm_linear = spectral_norm(nn.Linear(RHYTHM_WIDTH, 1))
        self.rhythm_projection = spectral_norm(nn.Embedding(n_genres, RHYTHM_WIDTH))
        layers: list[nn.Module] = []
        for c_in, c_out in zip((1, *LINE_CHANNELS[:-1]), LINE_CHANNELS, strict=True):
            conv = nn.Conv2d(c_in, c_out, (3, 5), stride=2, padding=(1, 2))
            layers += [spectral_norm(conv), nn.LeakyReLU(0.2)]
        self.lines = nn.Sequential(*layers)
        self.lines_linear = spectral_norm(nn.Linear(LINE_CHANNELS[-1], 1))
        self.lines_projection = spectral_norm(nn.Embedding(n_genres, LINE_CHANNELS[-1]))

    def forward(self, x: torch.Tensor, genres: torch.Tensor | None = None) -> torch.Tensor:
        spectrum = super().forward(x, genres)
        rhythm = self.rhythm(onset_autocorrelation(x[:, 0], self.max_lag).flatten(1))
        lines = self.lines(x * 2.0 - 1.0).mean(dim=(2, 3))
        rhythm_score, lines_score = self.rhythm_linear(rhythm)[:, 0], self.lines_linear(lines)[:, 0]
        if genres is not None:
            rhythm_score = rhythm_score + (self.rhythm_projection(genres) * rhythm).sum(dim=1)
            lines_score = lines_score + (self.lines_projection(genres) * lines).sum(dim=1)
        if self.views == 1:
            return spectrum + rhythm_score + lines_score
        return torch.stack([spectrum, rhythm_score, lines_score], dim=1)


#: Settings added after the first runs: (key, today's value for a new model, the value a file without it
#: was made with).
_ADDED = (("critic_group", CRITIC_GROUP, CRITIC_GROUP), ("critic_views", CRITIC_VIEWS, 1),
          ("clock_pulses", CLOCK_PULSES, 0), ("clock_gain", CLOCK_GAIN, 1), ("style_gain", STYLE_GAIN, 1),
          ("context", CONTEXT_BLOCKS, 0))


def _settings(architecture: dict | None) -> dict[str, int]:
    """The added settings: today's for a new model (``architecture`` None), else the file's or its era's."""
    settings = {}
    for key, new, old in _ADDED:
        value = new if architecture is None else architecture.get(key, old)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"architecture {key} = {value!r} is not a whole number")
        settings[key] = value
    return settings


def groove_generator(mel: MelConfig, n_genres: int, architecture: dict | None = None) -> GrooveGenerator:
    """``architecture`` (meta.json): ``channels``, ``z_dim``, ``embed_dim`` as ``melodygan-cond``, and the
    critic's ``critic_group`` and ``critic_views`` (kept with the generator so a run resumes its critic),
    ``clock_pulses``, ``clock_gain``, ``style_gain`` and ``context``."""
    return GrooveGenerator(
        mel, n_genres, channels=_ints(architecture, "channels", GENERATOR_CHANNELS, (2, 6)),
        z_dim=_ints(architecture, "z_dim", (Z_DIM,), (1, 1))[0],
        embed_dim=_ints(architecture, "embed_dim", (EMBED_DIM,), (1, 1))[0], **_settings(architecture),
    )


def groove_critic(mel: MelConfig, n_genres: int, architecture: dict | None = None) -> GrooveCritic:
    settings = _settings(architecture)
    channels = _ints(architecture, "critic_channels", DISCRIMINATOR_CHANNELS, (2, 6))
    return GrooveCritic(mel, n_genres, channels=channels, batch_group=settings["critic_group"],
                        views=settings["critic_views"])


__all__ = ["GrooveCritic", "GrooveGenerator", "groove_critic", "groove_generator", "onset_autocorrelation"]
