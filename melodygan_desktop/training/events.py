"""Typed events yielded by the training loop; the GUI and the CLI consume the same stream.

Events carry plain Python and NumPy values and frozen configs only (never tensors or modules), so they can
cross threads and be rendered by widgets directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from melodygan_desktop.config import MelConfig
from melodygan_desktop.data.summary import DataSummary


@dataclass(frozen=True)
class Started:
    run_dir: str
    preset: str
    device: str
    start_step: int
    total_steps: int
    resumed: bool
    data: DataSummary
    #: How checkpoints are scored on held-out clips ("" when no scorer was given), or why they are not.
    scoring: str = ""


@dataclass(frozen=True)
class StepMetrics:
    """Losses at one logged step. Keys like ``"d/loss"``, ``"g/adv"``, ``"d/gp"``, ``"d/r1"``."""

    step: int
    total_steps: int
    losses: dict[str, float]
    steps_per_second: float
    eta_seconds: float
    data_wait_fraction: float = 0.0


@dataclass(frozen=True)
class Preview:
    """Generated mels from a fixed latent grid: ``mels`` is (N, n_mels, frames) in [0, 1] under ``mel``, the
    run's mel settings (what turns them into audio: a client never guesses them)."""

    step: int
    mels: np.ndarray
    genres: tuple[str, ...]
    mel: MelConfig
    audio: np.ndarray | None = None  # (N, samples) float32 at ``sample_rate``, when the loop inverted them

    @property
    def sample_rate(self) -> int:
        return self.mel.sample_rate


@dataclass(frozen=True)
class CheckpointSaved:
    """A step folder was written; ``score`` is its held-out score (lower is better; None when not scored)
    and ``best`` says it is the best so far (``best.txt`` names it)."""

    step: int
    path: str
    score: float | None = None
    best: bool = False


@dataclass(frozen=True)
class Finished:
    """The run ended: ``reason`` is ``"completed"``, ``"stopped"`` or ``"diverged"``.

    Errors (bad data folder, bad checkpoint, unavailable device, I/O failures) are raised as exceptions by the
    loop instead; a GUI session turns them into its own "failed" state.
    """

    step: int
    reason: str
    message: str = ""
    checkpoint: str | None = None
    extra: dict[str, float] = field(default_factory=dict)


Event = Started | StepMetrics | Preview | CheckpointSaved | Finished
