"""Small helpers of ``report.evaluate_model`` and ``audio_report`` (re-exported by ``report``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np


def default_methods() -> tuple[str, ...]:
    """Every available mel-to-audio method: Griffin-Lim (the papers' inversion), fast Griffin-Lim, the app's
    default, then plugged-in ones (the vocoder, when registered)."""
    from melodygan_desktop.audio.inversion import DEFAULT_METHOD, available_methods

    return tuple(dict.fromkeys(("griffin-lim", "fast-griffin-lim", DEFAULT_METHOD, *available_methods())))


def model_genres(model_genres: Sequence[str], known: Sequence[str], only: Sequence[str] | None,
                 where: str) -> tuple[str, ...]:
    """The genres to evaluate: the model's that the classifier knows (``known``), in the model's order, and of
    those only ``only`` when given (a fine-tuning folder's genre, say); ``EvaluationError`` names what is
    missing."""
    from melodygan_desktop.evaluation.report_checks import EvaluationError

    genres = tuple(g for g in model_genres if g in known)
    if not genres:
        raise EvaluationError(
            f"{where}: the classifier knows none of the model's genres ({', '.join(model_genres)})"
        )
    if only:
        missing = [g for g in only if g not in genres]
        if missing:
            raise EvaluationError(
                f"{where}: cannot evaluate {', '.join(missing)}: the genres it can are {', '.join(genres)}"
            )
        genres = tuple(g for g in genres if g in only)
    return genres


def mean_present(values: Sequence[float | None]) -> float | None:
    """Mean of the values that are not None (None when there are none)."""
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def embed_sets(
    classifier, sets: Mapping[str, np.ndarray], report: Callable[[str, int, int], None]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Classifier embeddings of each named set of mels and the classifier's genre index for every clip;
    ``report("embedding", done, total)`` counts clips over all sets."""
    from melodygan_desktop.evaluation.classifier import logits_from_embeddings

    total, done = sum(len(v) for v in sets.values()), 0
    embeddings: dict[str, np.ndarray] = {}
    for name, mels in sets.items():
        offset = done
        embeddings[name] = classifier.embed(
            mels, progress=lambda d, t, o=offset: report("embedding", o + d, total)
        )
        done += len(mels)
    heard = {k: logits_from_embeddings(classifier.model, v).argmax(axis=1) for k, v in embeddings.items()}
    return embeddings, heard
