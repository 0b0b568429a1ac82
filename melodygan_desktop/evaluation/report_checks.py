"""Checks and small helpers of ``report.evaluate_model`` (re-exported there)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

import numpy as np

from melodygan_desktop.config import MelConfig


class EvaluationError(ValueError):
    """Model, classifier and real clips do not fit together (mel settings, no shared genre, too few clips)."""


def check_compatible(classifier_mel: MelConfig, model_mel: MelConfig, where: str) -> None:
    """The classifier hears what the model makes only if every mel setting but the clip length agrees."""
    differ = [
        f.name
        for f in fields(MelConfig)
        if f.name != "clip_seconds" and getattr(classifier_mel, f.name) != getattr(model_mel, f.name)
    ]
    if differ:
        detail = ", ".join(f"{n} {getattr(classifier_mel, n)} vs {getattr(model_mel, n)}" for n in differ)
        raise EvaluationError(f"{where}: classifier and model use different mel settings ({detail})")


def default_methods() -> tuple[str, ...]:
    """Griffin-Lim (the papers' inversion) and the app's default method."""
    from melodygan_desktop.audio.inversion import DEFAULT_METHOD

    return tuple(dict.fromkeys(("griffin-lim", DEFAULT_METHOD)))


def mean_present(values: Sequence[float | None]) -> float | None:
    """Mean of the values that are not None (None when there are none)."""
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None
