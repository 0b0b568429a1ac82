"""Scoring checkpoints on held-out clips, so a run keeps a "best so far" besides its newest checkpoint.

The loop does not know how clips are judged (training never imports evaluation, its layer sibling): the
a ``CheckpointScorer`` whose ``bind`` sees the run's mel settings, genres and validation clips once, and
returns either a ``ScoreFn`` or the reason nothing will be scored. At each checkpoint the loop generates a
fixed, seeded set of clips (``PER_GENRE`` per validation genre) and asks the score function for a number,
lower is better.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from .. import checkpoints
from ..config import MelConfig
from .step import run_generator, sample_latent

#: Generated clips per validation genre at each checkpoint.
PER_GENRE = 4

#: ``score(generated_mels (N, n_mels, frames) in [0, 1], genre_indices (N,) into the run's genres or None
#: for an unconditional generator) -> float``, lower is better.
ScoreFn = Callable[[np.ndarray, "np.ndarray | None"], float]


class CheckpointScorer(Protocol):
    def bind(
        self, mel: MelConfig, genres: Sequence[str], val_mels: np.ndarray, val_labels: np.ndarray,
        val_tracks: np.ndarray,
    ) -> ScoreFn | str:
        """A score function for this run, or a sentence saying why its checkpoints cannot be scored."""
        ...


class Scoring:
    """A bound score function, the fixed latents it is asked about and the best score so far."""

    def __init__(self, score_fn: ScoreFn, genre_indices: np.ndarray, frames: int, seed: int) -> None:
        self.score_fn = score_fn
        self.genre_indices = genre_indices
        self.frames = frames
        self.seed = seed
        self.best: float | None = None
        self.failed = ""

    def resume_from(self, run_dir: Path) -> None:
        """Take the best score so far from the run's ``best.txt`` (when its folder still exists)."""
        found = checkpoints.read_best(run_dir)
        if found is not None and found[1] is not None and math.isfinite(found[1]):
            self.best = found[1]

    @torch.no_grad()
    def score(self, generator, conditional: bool, n_genres: int) -> float | None:
        """The score of ``generator`` on the fixed latents; None when it cannot be measured."""
        was_training = generator.training
        generator.eval()
        try:
            device = next(generator.parameters()).device
            rng = torch.Generator().manual_seed(self.seed + 54_321)
            count = len(self.genre_indices)
            z = sample_latent(generator, count, self.frames, device, rng)
            weights = None
            if conditional:
                index = torch.as_tensor(self.genre_indices, device=device)
                weights = torch.nn.functional.one_hot(index, n_genres).float()
            mels = generator.to_unit(run_generator(generator, z, weights, self.frames))
            mels = mels[:, 0].float().cpu().numpy()
        finally:
            generator.train(was_training)
        if not np.isfinite(mels).all():
            return None
        try:
            value = float(self.score_fn(mels, self.genre_indices if conditional else None))
        except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
            self.failed = str(exc)
            return None
        return value if math.isfinite(value) else None

    def is_best(self, score: float | None) -> bool:
        if score is None or (self.best is not None and score >= self.best):
            return False
        self.best = score
        return True


def bind_scorer(scorer: CheckpointScorer | None, mel: MelConfig, genres: Sequence[str], data, seed: int):
    """``(Scoring or None, a sentence for Started.scoring)`` for ``data.val`` (clips of ``data.genres``)."""
    if scorer is None:
        return None, ""
    val = data.val
    mapping = np.array([list(genres).index(g) for g in data.genres], dtype=np.int64)
    labels = mapping[val.labels] if len(val) else np.zeros(0, dtype=np.int64)
    bound = scorer.bind(mel, tuple(genres), val.mels, labels, val.track_ids)
    if isinstance(bound, str):
        return None, bound
    present = np.unique(labels)
    indices = np.repeat(present, PER_GENRE).astype(np.int64)
    note = (
        f"best checkpoint: scored on {len(val)} held-out clips from {val.tracks} tracks "
        f"against {len(indices)} generated clips"
    )
    return Scoring(bound, indices, mel.frames, seed), note
