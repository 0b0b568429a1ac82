"""The critic of ``melodygan-groove``: ``melodygan-cond``'s projection critic and views of a clip that it
cannot see, each scored on its own (one hinge per view, averaged; ``critic_views``):

- **rhythm**: the autocorrelation of the onset strength (positive spectral flux) in four frequency bands at
  lags up to two seconds, the quantity the beat-regularity measure reads, through a small MLP with a genre
  projection: a take whose onsets are not periodic looks unlike real music to it;
- **lines**: a small 2-D convolution over (mel, time), which sees a held partial as a horizontal line and a
  smear as a smear, where the 1-D critic (mel bins as channels) has no notion of neighbouring bins;
- **texture** (with ``critic_views`` 4): per band, how much the mel changes from frame to frame (sustained
  notes change little), from bin to bin (partials make sharp peaks) and how far bins stand above their
  neighbours: the statistics that tell held, pitched sound from a noisy wash.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ..config import MelConfig
from .conditional import DISCRIMINATOR_CHANNELS, ProjectionDiscriminator

#: Minibatch standard-deviation group of the critic.
CRITIC_GROUP = 4
#: Scores per clip in new models: 3, one per view (spectrum, rhythm, lines), each with its own hinge (a view
#: cannot rest on the others once their sum is past the margin); 1: their sum (the first runs); 4: with the
#: texture view too (measured in docs/MUSICALITY.md, not better so far; the setting ``critic_views``).
CRITIC_VIEWS = 3
#: Onset bands of the rhythm view, as fractions of the mel axis (bass and kick, low-mid, high-mid, air).
ONSET_BANDS = ((0.0, 0.1), (0.1, 0.3), (0.3, 0.6), (0.6, 1.0))
#: Longest lag of the rhythm view's autocorrelation, seconds (a half-note at 60 BPM).
MAX_LAG_SECONDS = 2.0
RHYTHM_WIDTH = 128
LINE_CHANNELS = (8, 16, 32)
#: Bands of the texture view (equal slices of the mel axis) and its width.
TEXTURE_BANDS = 8
TEXTURE_WIDTH = 64
#: The texture statistics of real clips are about 0.01-0.1 (mel in [0, 1]); scaled into the range where a
#: spectral-norm layer's output can tell them apart.
TEXTURE_SCALE = 40.0


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


def texture_statistics(x: torch.Tensor, bands: int = TEXTURE_BANDS) -> torch.Tensor:
    """``x (B, n_mels, T)`` -> ``(B, 3 * bands)``: per band of mel bins, the mean absolute change from frame
    to frame, from bin to bin, and the mean height of bins above the mean of their two neighbours.
    Differentiable; any length of at least 2 frames."""
    over_time = (x[..., 1:] - x[..., :-1]).abs().mean(dim=-1)  # (B, n_mels)
    over_bins = F.pad((x[:, 1:] - x[:, :-1]).abs().mean(dim=-1), (0, 1), mode="replicate")
    neighbours = F.pad(x, (0, 0, 1, 1), mode="replicate")
    peaks = F.relu(x - 0.5 * (neighbours[:, :-2] + neighbours[:, 2:])).mean(dim=-1)
    per_bin = torch.stack([over_time, over_bins, peaks], dim=1)  # (B, 3, n_mels)
    return F.adaptive_avg_pool1d(per_bin, bands).flatten(1)


def projected_score(features: torch.Tensor, linear: nn.Module, projection: nn.Module,
                    genres: torch.Tensor | None) -> torch.Tensor:
    """``w . phi`` plus, given genres, ``embed(genre) . phi`` (Miyato & Koyama's projection): ``(B,)``."""
    score = linear(features)[:, 0]
    if genres is None:
        return score
    return score + (projection(genres) * features).sum(dim=1)


class GrooveCritic(ProjectionDiscriminator):
    """``melodygan-cond``'s projection critic plus the views above, each with its own genre projection:
    scores ``(B, views)``, one per view (4 with the texture view, 3 without), or ``(B,)``, the sum of the
    first three (``views`` 1)."""

    def __init__(self, mel: MelConfig, n_genres: int, *, channels=DISCRIMINATOR_CHANNELS,
                 batch_group: int = CRITIC_GROUP, views: int = CRITIC_VIEWS) -> None:
        super().__init__(mel, n_genres, channels=channels, batch_group=batch_group)
        if views not in (1, 3, 4):
            raise ValueError(f"critic views must be 1 (summed), 3 or 4, got {views}")
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
        if views == 4:
            self.texture = nn.Sequential(
                spectral_norm(nn.Linear(3 * TEXTURE_BANDS, TEXTURE_WIDTH)), nn.LeakyReLU(0.2),
                spectral_norm(nn.Linear(TEXTURE_WIDTH, TEXTURE_WIDTH)), nn.LeakyReLU(0.2),
            )
            self.texture_linear = spectral_norm(nn.Linear(TEXTURE_WIDTH, 1))
            self.texture_projection = spectral_norm(nn.Embedding(n_genres, TEXTURE_WIDTH))

    def forward(self, x: torch.Tensor, genres: torch.Tensor | None = None) -> torch.Tensor:
        spectrum = super().forward(x, genres)
        rhythm = self.rhythm(onset_autocorrelation(x[:, 0], self.max_lag).flatten(1))
        lines = self.lines(x * 2.0 - 1.0).mean(dim=(2, 3))
        rhythm_score = projected_score(rhythm, self.rhythm_linear, self.rhythm_projection, genres)
        lines_score = projected_score(lines, self.lines_linear, self.lines_projection, genres)
        if self.views == 1:
            return spectrum + rhythm_score + lines_score
        scores = [spectrum, rhythm_score, lines_score]
        if self.views == 4:
            texture = self.texture(texture_statistics(x[:, 0]) * TEXTURE_SCALE)
            scores.append(projected_score(texture, self.texture_linear, self.texture_projection, genres))
        return torch.stack(scores, dim=1)


__all__ = ["CRITIC_GROUP", "CRITIC_VIEWS", "GrooveCritic", "onset_autocorrelation", "texture_statistics"]
