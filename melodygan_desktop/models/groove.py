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
  so a take can keep its key, instruments and tempo from start to end;
- optionally (settings in meta.json, measured but not in the shipped recipe) **context**, dilated residual
  blocks at the latent rate, so a held chord can outlast the latents.

The critic (``groove_critic``) adds views of rhythm and lines (optionally texture) to ``melodygan-cond``'s.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..config import MelConfig
from .beat_clock import CLOCK_FEATURES, CLOCK_MULTIPLES, clock_features, pulse_features
from .conditional import (
    DISCRIMINATOR_CHANNELS,
    EMBED_DIM,
    GENERATOR_CHANNELS,
    Z_DIM,
    ConditionalGenerator,
    _ints,
    added_settings,
)
from .groove_critic import CRITIC_GROUP, CRITIC_VIEWS, GrooveCritic

#: The clock inputs' outputs are multiplied by this in new models: with Adam, whose steps are about the
#: learning rate whatever the gradient's size, a zero-initialised layer otherwise grows too slowly for the
#: clock to matter within a CPU run (after 1,000 steps of a first run its weights were at most 0.01); 1
#: before.
CLOCK_GAIN = 10
#: The same for the style layer (also zero-initialised), the setting ``style_gain``: 1 in new models (10,
#: with the context blocks, was measured in docs/MUSICALITY.md: more varied takes, genres heard less often).
STYLE_GAIN = 1
#: Dilated residual blocks at the latent rate, the setting ``context`` (dilations 1, 2, 4, ...; each starts
#: as the identity): with 4, context of about 2.8 s each side of a frame where melodygan-cond sees half a
#: second, so a held chord can outlast the latents that change every 186 ms. 0 in new models (4 was
#: measured, not better so far).
CONTEXT_BLOCKS = 0
MAX_CONTEXT_BLOCKS = 8
#: New models also feed the trunk narrow pulses on the clock's grid (``beat_clock.pulse_features``); 0: sines
#: only (the first runs).
CLOCK_PULSES = 1


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
        return torch.cat([features, pulse_features(features)], dim=1)

    def clock_input(self, index: int, clock: torch.Tensor) -> torch.Tensor:
        """What the clock (``clock_at``'s features at a block's rate) adds before block ``index``."""
        layer = self.clock_inputs[index]
        # The 1x1 conv as a matrix product: with a dozen input channels torch's conv takes a slow path.
        return (torch.matmul(layer.weight[:, :, 0], clock) + layer.bias[:, None]) * self.clock_gain

    def groove_trunk(self, sequence: torch.Tensor, style: torch.Tensor, genre: torch.Tensor):
        """``(hidden, embedding, clock)``: the trunk's output ``(B, channels[-1], T_latent * 8)`` (clocked,
        normalised, rectified), the style-shifted genre embedding and the clock at the output rate."""
        params = self.clock_params(style, genre)
        shift = self.style(style) * self.style_gain
        embedding = genre + (shift if genre.dim() == 2 else shift[:, :, None])
        hidden, rate = self.input_conv(sequence), self.upsampling
        for block in self.context:
            hidden = block(hidden)
        for index, block in enumerate(self.blocks):
            clock = self.clock_at(params, hidden.shape[-1], rate)
            hidden = block(hidden + self.clock_input(index, clock), embedding)
            rate //= 2
        clock = self.clock_at(params, hidden.shape[-1], rate)
        hidden = hidden + self.clock_input(len(self.blocks), clock)
        return F.relu(self.output_norm(hidden, embedding)), embedding, clock

    def forward(self, z: torch.Tensor, genre_weights: torch.Tensor | None = None,
                frames: int | None = None) -> torch.Tensor:
        sequence, style, frames = self.split_style(z, frames)
        genre = self.genre_embedding_for(genre_weights, z.shape[0], z.device)
        hidden, _, _ = self.groove_trunk(sequence, style, genre)
        mels = torch.sigmoid(self.output_conv(hidden))
        return mels[:, None, :, self.margin : self.margin + frames]


#: Settings added after the first runs: (key, today's value for a new model, the value a file without it
#: was made with).
ADDED_SETTINGS = (
    ("critic_group", CRITIC_GROUP, CRITIC_GROUP), ("critic_views", CRITIC_VIEWS, 1),
    ("clock_pulses", CLOCK_PULSES, 0), ("clock_gain", CLOCK_GAIN, 1), ("style_gain", STYLE_GAIN, 1),
    ("context", CONTEXT_BLOCKS, 0),
)


def groove_generator(mel: MelConfig, n_genres: int, architecture: dict | None = None) -> GrooveGenerator:
    """``architecture`` (meta.json): ``channels``, ``z_dim``, ``embed_dim`` as ``melodygan-cond``, and the
    critic's ``critic_group`` and ``critic_views`` (kept with the generator so a run resumes its critic),
    ``clock_pulses``, ``clock_gain``, ``style_gain`` and ``context``."""
    return GrooveGenerator(
        mel, n_genres, channels=_ints(architecture, "channels", GENERATOR_CHANNELS, (2, 6)),
        z_dim=_ints(architecture, "z_dim", (Z_DIM,), (1, 1))[0],
        embed_dim=_ints(architecture, "embed_dim", (EMBED_DIM,), (1, 1))[0],
        **added_settings(architecture, ADDED_SETTINGS),
    )


def groove_critic(mel: MelConfig, n_genres: int, architecture: dict | None = None) -> GrooveCritic:
    settings = added_settings(architecture, ADDED_SETTINGS)
    channels = _ints(architecture, "critic_channels", DISCRIMINATOR_CHANNELS, (2, 6))
    return GrooveCritic(mel, n_genres, channels=channels, batch_group=settings["critic_group"],
                        views=settings["critic_views"])


__all__ = ["GrooveGenerator", "groove_critic", "groove_generator"]
