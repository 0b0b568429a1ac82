"""DiffAugment-style differentiable augmentations for mel images, applied to real and fake alike.

Zhao et al. (2020): augmenting every image the discriminator sees, real or generated, with differentiable
transforms keeps a discriminator trained on little data from memorising it, without the transforms
leaking into the generator's output. For mels the transforms are: a circular time shift, one time and one
frequency cutout (filled with silence), and a gain offset in the normalised-dB domain.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class AugmentPolicy:
    """Strengths of each transform; 0 disables it.

    Attributes:
        shift_fraction: maximum circular time shift, as a fraction of the clip (either direction).
        time_cutout_fraction: width of the time band set to silence, as a fraction of the frames.
        frequency_cutout_fraction: height of the mel band set to silence, as a fraction of the bins.
        gain_unit: maximum gain offset in unit mel values (0.1 = 10 dB at the default 100-dB range).
    """

    shift_fraction: float = 0.125
    time_cutout_fraction: float = 0.125
    frequency_cutout_fraction: float = 0.125
    gain_unit: float = 0.1


DEFAULT_POLICY = AugmentPolicy()


def _uniform(batch: int, like: torch.Tensor, rng: torch.Generator | None) -> torch.Tensor:
    return (
        torch.rand(batch, generator=rng).to(like.device)
        if rng is not None
        else torch.rand(batch, device=like.device)
    )


def time_shift(x: torch.Tensor, max_fraction: float, rng: torch.Generator | None = None) -> torch.Tensor:
    """Roll each sample of ``x`` (B, C, n_mels, frames) along time by its own random offset (wraps around)."""
    batch, frames = x.shape[0], x.shape[-1]
    limit = int(frames * max_fraction)
    if limit == 0:
        return x
    offsets = (_uniform(batch, x, rng) * (2 * limit + 1)).long() - limit
    index = (torch.arange(frames, device=x.device)[None, :] - offsets[:, None]) % frames
    return torch.gather(x, -1, index[:, None, None, :].expand_as(x))


def _band_mask(
    batch: int, size: int, width: int, like: torch.Tensor, rng: torch.Generator | None
) -> torch.Tensor:
    """(B, size) mask: 0 inside one random band of ``width`` per sample, 1 elsewhere."""
    start = (_uniform(batch, like, rng) * (size - width + 1)).long()
    positions = torch.arange(size, device=like.device)[None, :]
    inside = (positions >= start[:, None]) & (positions < (start + width)[:, None])
    return (~inside).to(like.dtype)


def cutout(
    x: torch.Tensor,
    time_fraction: float,
    frequency_fraction: float,
    silence: float,
    rng: torch.Generator | None = None,
) -> torch.Tensor:
    """Set one random time band and one random mel band of each sample to ``silence`` (model range)."""
    batch, _, n_mels, frames = x.shape
    mask = torch.ones(batch, 1, n_mels, frames, device=x.device, dtype=x.dtype)
    time_width = int(frames * time_fraction)
    if time_width > 0:
        mask = mask * _band_mask(batch, frames, time_width, x, rng)[:, None, None, :]
    mel_width = int(n_mels * frequency_fraction)
    if mel_width > 0:
        mask = mask * _band_mask(batch, n_mels, mel_width, x, rng)[:, None, :, None]
    return x * mask + silence * (1.0 - mask)


def gain(x: torch.Tensor, max_offset: float, rng: torch.Generator | None = None) -> torch.Tensor:
    """Add one offset in [-max_offset, max_offset] per sample (a level change in dB; not clamped)."""
    if max_offset == 0:
        return x
    offsets = (_uniform(x.shape[0], x, rng) * 2.0 - 1.0) * max_offset
    return x + offsets[:, None, None, None].to(x.dtype)


def augment(
    x: torch.Tensor,
    policy: AugmentPolicy = DEFAULT_POLICY,
    *,
    silence: float = 0.0,
    scale: float = 1.0,
    rng: torch.Generator | None = None,
) -> torch.Tensor:
    """Augment mels ``(B, 1, n_mels, frames)`` in model range; differentiable with respect to ``x``.

    ``silence`` is the model-range value of silence, ``scale`` the model-range width of the unit range
    (2 for Tanh models, whose range is [-1, 1]); each sample draws its own random parameters.
    """
    x = gain(x, policy.gain_unit * scale, rng)
    x = time_shift(x, policy.shift_fraction, rng)
    return cutout(x, policy.time_cutout_fraction, policy.frequency_cutout_fraction, silence, rng)


def augment_pair(
    real: torch.Tensor | None,
    fake: torch.Tensor | None,
    policy: AugmentPolicy = DEFAULT_POLICY,
    *,
    silence: float = 0.0,
    scale: float = 1.0,
    rng: torch.Generator | None = None,
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """The same policy applied to a real and a fake batch (either may be ``None`` and is returned as such).

    Use it for every discriminator input: the discriminator step (real and fake) and the generator step
    (fake only); gradients flow through the fake branch to the generator.
    """
    options = {"silence": silence, "scale": scale, "rng": rng}
    real_out = augment(real, policy, **options) if real is not None else None
    fake_out = augment(fake, policy, **options) if fake is not None else None
    return real_out, fake_out


__all__ = ["AugmentPolicy", "DEFAULT_POLICY", "augment", "augment_pair", "cutout", "gain", "time_shift"]
