"""Numbers on the command line, checked against stated bounds before anything runs.

Every numeric option is parsed by ``int_in`` / ``float_in``: a value outside its bounds (or not finite) is
refused by argparse with the bound in the message ("--steps: must be 1 to 100000000, got 0"), exit code 2,
instead of hanging, silently taking a default or allocating without limit.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from ..config import (
    MAX_BATCH_SIZE,
    MAX_CLIP_SECONDS,
    MAX_EVERY,
    MAX_KEEP_LAST,
    MAX_MINUTES,
    MAX_SEED,
    MAX_STEPS,
)

#: Genre weights of a morph: finite, 0 to this (they are normalised; larger values only overflow).
MAX_GENRE_WEIGHT = 1e6


def max_threads() -> int:
    """The most torch threads a command accepts: four per core this process may run on."""
    from ..threads import available_cores

    return 4 * available_cores()


def int_in(low: int, high: int | Callable[[], int], what: str = "") -> Callable[[str], int]:
    """An argparse ``type``: an integer in ``low..high`` (``high`` may be computed at parse time)."""

    def parse(text: str) -> int:
        top = high() if callable(high) else high
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= top:
            note = f" ({what})" if what else ""
            raise argparse.ArgumentTypeError(f"must be {low} to {top}{note}, got {value}")
        return value

    parse.__name__ = "integer"
    return parse


def float_in(low: float, high: float, *, low_open: bool = False, what: str = "") -> Callable[[str], float]:
    """An argparse ``type``: a finite number with ``low <= x <= high`` (``low < x`` when ``low_open``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        ok = math.isfinite(value) and (value > low if low_open else value >= low) and value <= high
        if not ok:
            side = "above" if low_open else "from"
            note = f" ({what})" if what else ""
            raise argparse.ArgumentTypeError(f"must be {side} {low:g} to {high:g}{note}, got {text}")
        return value

    parse.__name__ = "number"
    return parse


THREADS = int_in(0, max_threads, "0 = half the cores; at most 4 per core")
STEPS = int_in(1, MAX_STEPS)
BATCH_SIZE = int_in(1, MAX_BATCH_SIZE)
EVERY = int_in(1, MAX_EVERY)
KEEP_LAST = int_in(1, MAX_KEEP_LAST)
SEED = int_in(0, MAX_SEED)
LEARNING_RATE = float_in(0.0, 1.0, low_open=True)
CLIP_SECONDS = float_in(0.5, MAX_CLIP_SECONDS)
MINUTES = float_in(0.0, MAX_MINUTES, low_open=True)
FRACTION = float_in(0.0, 0.9)
TAKE_SECONDS = float_in(1.0, 600.0)
MAX_CLIPS = int_in(1, 100_000_000)
LOOP_BARS = int_in(1, 256)
BPM = float_in(20.0, 320.0)
BEATS_PER_BAR = int_in(1, 16)
#: melodygan-latent codec shapes (the bounds ``models.codec.CodecShape`` checks).
LATENT_DIM = int_in(4, 512)
CODEC_WIDTH = int_in(16, 1024)
CODEC_BATCH = int_in(1, 4096)


def parse_genre(text: str) -> str | dict[str, float]:
    """``jazz`` or a morph ``jazz:0.7,rock:0.3``; names must be non-empty and distinct, weights finite
    numbers from 0 to 1e6 (not all zero)."""
    from .errors import CliError

    if ":" not in text:
        if not text.strip():
            raise CliError("--genre is empty: name a genre of the model")
        return text
    weights: dict[str, float] = {}
    for part in text.split(","):
        name, _, weight = part.partition(":")
        name = name.strip()
        try:
            value = float(weight)
        except ValueError:
            raise CliError(f"bad genre weight in {part!r}: write e.g. 'jazz:0.7,rock:0.3'") from None
        if not name:
            raise CliError(f"a genre name is missing in {part!r}: write e.g. 'jazz:0.7,rock:0.3'")
        if name in weights:
            raise CliError(f"genre {name!r} is named twice in {text!r}")
        if not (math.isfinite(value) and 0.0 <= value <= MAX_GENRE_WEIGHT):
            shown = weight.strip()
            top = f"{MAX_GENRE_WEIGHT:g}"
            raise CliError(f"genre weight {shown!r} for {name!r} must be a number from 0 to {top}")
        weights[name] = value
    if not any(weights.values()):
        raise CliError(f"the genre weights in {text!r} are all zero")
    return weights
