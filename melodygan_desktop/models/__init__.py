"""Generators, discriminators and the named training recipes (presets) of both papers and our own model."""

from .base import Discriminator, Generator, count_parameters
from .presets import PRESETS, Preset, UnknownPresetError, get_preset

__all__ = [
    "Discriminator",
    "Generator",
    "PRESETS",
    "Preset",
    "UnknownPresetError",
    "count_parameters",
    "get_preset",
]
