"""Whether a classifier hears what a model makes: the check behind the held-out score (``checkpoint_score``)
and the lab's ``evaluate`` report (``melodygan_lab.evaluation.report`` re-exports it)."""

from __future__ import annotations

from dataclasses import fields

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
