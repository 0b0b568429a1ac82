"""The independent genre judge: a small classifier on standardised audio features (``judge_features``),
trained apart from the bundled log-mel classifier so the two can be set against each other.

The network is multinomial logistic regression (``hidden=0``) or one hidden ReLU layer with dropout; it is
trained with AdamW (weight decay), class-balanced cross-entropy and a fixed seed, and the epoch with the best
validation balanced accuracy is kept. Inputs are z-scores clipped to +-``Z_LIMIT`` (a feature that hardly
varies in training cannot swamp the logits on unusual audio).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from melodygan_lab.evaluation.train_classifier import ClassifierMetrics, classification_metrics

#: Standardised inputs are clipped to this many standard deviations.
Z_LIMIT = 8.0
#: Smallest standard deviation used when standardising (features that never vary in training).
MIN_STD = 1e-6


@dataclass(frozen=True)
class JudgeArchitecture:
    """``hidden`` units in the one hidden layer (0: logistic regression), ``dropout`` before each layer."""

    hidden: int = 0
    dropout: float = 0.5

    def __post_init__(self) -> None:
        if self.hidden < 0 or not 0 <= self.dropout < 1:
            raise ValueError("JudgeArchitecture: hidden >= 0 and dropout in [0, 1) required")


class JudgeNetwork(nn.Module):
    """Standardised features (B, n_features) -> genre logits (B, n_genres)."""

    def __init__(self, n_features: int, n_genres: int, architecture: JudgeArchitecture | None = None):
        super().__init__()
        if n_features < 1 or n_genres < 1:
            raise ValueError(f"a judge needs features and genres, got {n_features} and {n_genres}")
        arch = architecture or JudgeArchitecture()
        self.n_features, self.n_genres, self.architecture = n_features, n_genres, arch
        if arch.hidden:
            self.layers = nn.Sequential(
                nn.Dropout(arch.dropout),
                nn.Linear(n_features, arch.hidden),
                nn.ReLU(),
                nn.Dropout(arch.dropout),
                nn.Linear(arch.hidden, n_genres),
            )
        else:
            self.layers = nn.Sequential(nn.Dropout(arch.dropout), nn.Linear(n_features, n_genres))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


def standardise(features: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """z-scores float32 (N, D) of ``features`` (N, D), clipped to +-``Z_LIMIT``."""
    z = (np.asarray(features, dtype=np.float64) - mean) / np.maximum(std, MIN_STD)
    return np.clip(z, -Z_LIMIT, Z_LIMIT).astype(np.float32)


@torch.no_grad()
def judge_logits(model: JudgeNetwork, z: np.ndarray) -> np.ndarray:
    """Logits (N, n_genres) float32 of standardised features ``z`` (N, D), in eval mode."""
    was_training = model.training
    model.eval()
    try:
        return model(torch.from_numpy(np.asarray(z, dtype=np.float32))).numpy()
    finally:
        model.train(was_training)


@dataclass(frozen=True)
class JudgeTrainConfig:
    """Recipe: full passes over shuffled mini-batches; selection on validation balanced accuracy, stop after
    ``patience`` epochs without improvement (without validation clips the last epoch is kept)."""

    epochs: int = 300
    batch_size: int = 64
    learning_rate: float = 3e-3
    weight_decay: float = 1e-2
    patience: int = 60
    balance_classes: bool = True
    seed: int = 0
    architecture: JudgeArchitecture = field(default_factory=JudgeArchitecture)

    def __post_init__(self) -> None:
        if min(self.epochs, self.batch_size, self.patience) <= 0:
            raise ValueError("JudgeTrainConfig: epochs, batch_size and patience must be positive")
        if self.learning_rate <= 0 or self.weight_decay < 0:
            raise ValueError("JudgeTrainConfig: learning_rate > 0 and weight_decay >= 0 required")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainedJudge:
    """The selected network (eval mode), the standardisation it expects, and how it was selected."""

    model: JudgeNetwork
    mean: np.ndarray
    std: np.ndarray
    best_epoch: int
    validation: ClassifierMetrics | None
    epochs_run: int
    seconds: float


def predict(model: JudgeNetwork, features: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Genre indices (N,) int64 for raw feature vectors (N, D)."""
    if len(features) == 0:
        return np.zeros(0, dtype=np.int64)
    return judge_logits(model, standardise(features, mean, std)).argmax(axis=1).astype(np.int64)


def train_judge(
    features: np.ndarray,
    labels: np.ndarray,
    genres: Sequence[str],
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    config: JudgeTrainConfig | None = None,
    *,
    progress: Callable[[int, float, ClassifierMetrics | None], None] | None = None,
) -> TrainedJudge:
    """Train on raw feature vectors ``features`` (N, D) with ``labels`` (N,) indexing ``genres``; select on
    ``validation = (features, labels)``. ``progress(epoch, train_loss, validation_metrics)`` after each
    epoch. Deterministic for a given ``config.seed`` and thread count."""
    config = config or JudgeTrainConfig()
    features = np.asarray(features, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if features.ndim != 2 or len(features) == 0 or len(features) != len(labels):
        raise ValueError(f"expected features (N, D) with N labels, got {features.shape} and {labels.shape}")
    if not np.isfinite(features).all():
        raise ValueError("training features hold NaN or infinite values")
    genres = tuple(genres)
    started = time.perf_counter()
    mean, std = features.mean(axis=0), features.std(axis=0)
    x = torch.from_numpy(standardise(features, mean, std))
    y = torch.from_numpy(labels)
    has_validation = validation is not None and len(validation[0]) > 0
    torch.manual_seed(config.seed)
    model = JudgeNetwork(x.shape[1], len(genres), config.architecture)
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    weights = None
    if config.balance_classes:
        counts = np.bincount(labels, minlength=len(genres)).astype(np.float64)
        weights = torch.tensor(
            np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / max(1, (counts > 0).sum()), 0.0),
            dtype=torch.float32,
        )
    loss_fn = nn.CrossEntropyLoss(weight=weights)
    shuffle = torch.Generator().manual_seed(config.seed)
    best_state, best_key, best_epoch, best_metrics = None, (-1.0, 0.0), 0, None
    epoch = 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = torch.randperm(len(x), generator=shuffle)
        total = 0.0
        for start in range(0, len(x), config.batch_size):
            rows = order[start : start + config.batch_size]
            loss = loss_fn(model(x[rows]), y[rows])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            total += loss.item() * len(rows)
        train_loss = total / len(x)
        metrics = None
        if has_validation:
            predicted = predict(model, validation[0], mean, std)
            metrics = classification_metrics(np.asarray(validation[1]), predicted, genres)
        key = (metrics.balanced_accuracy, -train_loss) if metrics is not None else (float(epoch), 0.0)
        if key > best_key:
            best_key, best_epoch, best_metrics = key, epoch, metrics
            best_state = copy.deepcopy(model.state_dict())
        if progress is not None:
            progress(epoch, train_loss, metrics)
        if has_validation and epoch - best_epoch >= config.patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return TrainedJudge(
        model=model,
        mean=mean,
        std=np.maximum(std, MIN_STD),
        best_epoch=best_epoch,
        validation=best_metrics,
        epochs_run=epoch,
        seconds=time.perf_counter() - started,
    )
