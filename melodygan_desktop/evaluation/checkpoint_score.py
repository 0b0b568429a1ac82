"""The held-out score behind a run's "best so far" checkpoint: Frechet distance, on the genre classifier's
embeddings, between a fixed set of generated clips and the run's validation clips (lower is better).

``HeldOutScorer`` is what the CLI and the app pass to ``training.loop.train(..., scorer=...)``. It scores only
when the validation split has at least ``MIN_VAL_CLIPS`` clips from ``MIN_VAL_TRACKS`` tracks and the
classifier hears the run's mel settings (every setting but the clip length); otherwise ``bind`` says why not.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from melodygan_desktop.config import MelConfig
from melodygan_desktop.evaluation.classifier_files import (
    ClassifierError,
    bundled_classifier_path,
    load_classifier,
)
from melodygan_desktop.evaluation.frechet import frechet_by_genre, frechet_distance
from melodygan_desktop.evaluation.report_checks import EvaluationError, check_compatible

MIN_VAL_CLIPS = 8
MIN_VAL_TRACKS = 2
#: The validation clips embedded once per run at most (an even, fixed subset of larger splits).
MAX_VAL_CLIPS = 512
NOT_SCORED = "no best-checkpoint scoring"


class HeldOutScorer:
    """Scores checkpoints with the classifier at ``classifier_path`` (default: the bundled one)."""

    def __init__(self, classifier_path: str | os.PathLike[str] | None = None, device: str = "cpu") -> None:
        self.classifier_path = Path(classifier_path) if classifier_path else bundled_classifier_path()
        self.device = device

    def bind(
        self, mel: MelConfig, genres: Sequence[str], val_mels: np.ndarray, val_labels: np.ndarray,
        val_tracks: np.ndarray,
    ):
        count, tracks = int(len(val_labels)), int(np.unique(val_tracks).size)
        if count < MIN_VAL_CLIPS or tracks < MIN_VAL_TRACKS:
            return (
                f"{NOT_SCORED}: the validation split has {count} clip(s) from {tracks} track(s) "
                f"(needs >= {MIN_VAL_CLIPS} from >= {MIN_VAL_TRACKS}); the newest checkpoint is used"
            )
        try:
            classifier = load_classifier(self.classifier_path, self.device)
            check_compatible(classifier.mel, mel, "the run")
        except (ClassifierError, EvaluationError) as exc:
            return f"{NOT_SCORED}: {exc}; the newest checkpoint is used"
        if mel.frames < classifier.model.architecture.min_frames:
            return f"{NOT_SCORED}: clips of {mel.frames} frames are too short for the classifier"
        rows = np.arange(count)
        if count > MAX_VAL_CLIPS:
            rows = np.linspace(0, count - 1, MAX_VAL_CLIPS).round().astype(np.int64)
        reference = classifier.embed(np.asarray(val_mels[rows], dtype=np.float32))
        reference_labels = np.asarray(val_labels)[rows]

        def score(mels: np.ndarray, genre_indices: np.ndarray | None) -> float:
            embedded = classifier.embed(np.asarray(mels, dtype=np.float32))
            if genre_indices is None:
                return frechet_distance(embedded, reference)
            result = frechet_by_genre(embedded, genre_indices, reference, reference_labels, genres)
            if result.overall is None:
                raise ValueError("too few clips in shared genres")
            return result.overall

        return score
