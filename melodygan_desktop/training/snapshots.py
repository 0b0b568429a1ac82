"""What the training loop shows and keeps: preview mels from fixed latents, and checkpoints (with their
held-out score and ``best.txt`` when a scorer is bound)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .. import checkpoints
from ..checkpoints.store import prune
from ..config import TrainConfig
from . import distributed
from .clock import TrainingClock
from .events import CheckpointSaved
from .run_folder import MetricsLog
from .scoring import Scoring
from .setup import make_meta, training_state
from .step import run_generator, sample_latent


def preview_latent(generator, seed: int, count: int, frames: int, device) -> torch.Tensor:
    rng = torch.Generator().manual_seed(seed + 12_345)
    return sample_latent(generator, count, frames, device, rng)


@torch.no_grad()
def preview_mels(
    state, z: torch.Tensor, preview_genres: list[str], genres: list[str], frames: int
) -> np.ndarray:
    """Preview mels (N, n_mels, frames) in [0, 1] of ``preview_genres`` from the fixed latents ``z``."""
    generator = state.export_generator
    was_training = generator.training
    generator.eval()
    try:
        weights = None
        if state.preset.conditional:
            index = torch.tensor([genres.index(g) for g in preview_genres], device=z.device)
            weights = torch.nn.functional.one_hot(index, len(genres)).float()
        mels = generator.to_unit(run_generator(generator, z, weights, frames))
    finally:
        generator.train(was_training)
    return mels[:, 0].float().cpu().numpy()


def save_checkpoint(
    state, run_dir: Path, step: int, config: TrainConfig, genres, mel, context, clock: TrainingClock,
    scoring: Scoring | None = None, metrics_log: MetricsLog | None = None,
):
    """Rank 0 writes the checkpoint and scores it (and writes ``best.txt`` when it scores best so far); yields
    ``CheckpointSaved``, with rank 0's score, on every rank; returns its path."""
    path = str(run_dir / f"step_{step:08d}")
    if context.is_main:
        saved = checkpoints.save_checkpoint(
            run_dir, step, state.export_generator.state_dict(), make_meta(state, mel, genres, step),
            training_state=training_state(state, step, genres, clock.spent()), keep_last=config.keep_last,
        )
        path = str(saved)
    score, best = None, False
    if scoring is not None:
        if context.is_main:  # the other ranks hold the same weights: they wait for the figure
            score = scoring.score(state.export_generator, bool(state.preset.conditional), len(genres))
        score = distributed.from_main(score, context)
        best = scoring.is_best(score)
        if context.is_main and score is not None:
            if best:
                checkpoints.write_best(run_dir, path, score)
                prune(run_dir, config.keep_last, keep=Path(path))  # the previous best may go now
            if metrics_log is not None:
                metrics_log.write(step, {"val_fd": score})
    distributed.barrier(context)
    yield CheckpointSaved(step=step, path=path, score=score, best=best)
    return path
