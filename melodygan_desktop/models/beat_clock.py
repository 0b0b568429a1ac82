"""A beat clock for generators: a tempo and phase per take, and sines of it along time.

A generator fully convolutional in time sees a few hundred milliseconds of context, too little to keep
onsets on one grid for ten seconds. The clock gives every frame the same grid: a layer maps the take's
global style and genre to a tempo (``TEMPO_RANGE``) and a phase, and the features are the sine and cosine
of the beat position at quarter, half, one and two cycles per beat (bar of four, half bar, beat, eighth).
"""

from __future__ import annotations

import math

import torch

#: Sine and cosine at these multiples of the beat rate.
CLOCK_MULTIPLES = (0.25, 0.5, 1.0, 2.0)
TEMPO_RANGE = (60.0, 180.0)
#: Features per frame.
CLOCK_FEATURES = 2 * len(CLOCK_MULTIPLES)
#: Sharpness of the pulses (von Mises): at one cycle per beat a pulse is about 7 % of a beat wide at half
#: height (about 1.5 frames at 120 BPM), the width of an onset.
PULSE_SHARPNESS = 8.0


def clock_features(params: torch.Tensor, seconds_per_frame: float, frames: torch.Tensor) -> torch.Tensor:
    """``params (B, 3)`` (tempo logit, phase cosine, phase sine), ``frames (L,)`` frame positions (any
    real numbers) -> ``(B, CLOCK_FEATURES, L)``: the clock at those positions."""
    beats_per_frame = tempo_bpm(params) / 60.0 * seconds_per_frame
    offset = torch.atan2(params[:, 2], params[:, 1]) / (2 * math.pi)
    beats = frames.to(params.dtype)[None, :] * beats_per_frame[:, None] + offset[:, None]  # (B, L)
    multiples = torch.tensor(CLOCK_MULTIPLES, dtype=params.dtype, device=params.device) * (2 * math.pi)
    angles = multiples[None, :, None] * beats[:, None, :]  # (B, len(CLOCK_MULTIPLES), L)
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


def pulse_features(clock: torch.Tensor) -> torch.Tensor:
    """``clock_features``' output -> ``(B, len(CLOCK_MULTIPLES), L)``: a narrow pulse (von Mises, peak 1) at
    each bar, half bar, beat and eighth of that clock: an onset grid a layer can scale into accents directly,
    where the sines need nonlinear layers to make a sharp attack."""
    return torch.exp(PULSE_SHARPNESS * (clock[:, len(CLOCK_MULTIPLES):] - 1.0))


def tempo_bpm(params: torch.Tensor) -> torch.Tensor:
    """``params (B, 3)`` -> the tempo of each take in beats per minute ``(B,)``."""
    low, high = TEMPO_RANGE
    return low + (high - low) * torch.sigmoid(params[:, 0])


__all__ = [
    "CLOCK_FEATURES", "CLOCK_MULTIPLES", "PULSE_SHARPNESS", "TEMPO_RANGE", "clock_features", "pulse_features",
    "tempo_bpm",
]
