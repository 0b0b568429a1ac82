"""Training the genre classifier: random crops with SpecAugment-style masking and random gain, class-balanced
loss, model selection on validation with early stopping, and accuracy / confusion metrics on real clips.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from melodygan_desktop.config import MelConfig
from melodygan_desktop.data.prepared import ClipSet
from melodygan_desktop.evaluation.classifier import ClassifierArchitecture, GenreClassifier, predict_clips

#: Training clips whose whole-clip batch-norm statistics are used at evaluation time.
CALIBRATION_CLIPS = 256


@dataclass(frozen=True)
class ClassifierTrainConfig:
    """Recipe. ``crop_frames``: random crop length in training (0 = whole clips; 128 frames = 3 s at hop 512);
    masks are SpecAugment-style bands set to silence (0); ``gain_db`` shifts each clip's level by up to
    +-gain_db (non-silent bins only). Selection: best validation balanced accuracy (mean per-genre recall),
    stop after ``patience`` epochs without improvement."""

    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 2e-3
    weight_decay: float = 1e-3
    patience: int = 8
    crop_frames: int = 128
    freq_masks: int = 2
    freq_mask_bands: int = 16
    time_masks: int = 2
    time_mask_frames: int = 20
    gain_db: float = 6.0
    balance_classes: bool = True
    seed: int = 0
    architecture: ClassifierArchitecture = field(default_factory=ClassifierArchitecture)

    def __post_init__(self) -> None:
        if self.epochs <= 0 or self.batch_size <= 0 or self.patience <= 0:
            raise ValueError("ClassifierTrainConfig: epochs, batch_size and patience must be positive")
        if self.learning_rate <= 0 or self.crop_frames < 0 or self.gain_db < 0:
            raise ValueError(
                "ClassifierTrainConfig: learning_rate > 0, crop_frames >= 0, gain_db >= 0 required"
            )


@dataclass(frozen=True)
class ClassifierMetrics:
    """Accuracy over clips, balanced accuracy (mean per-genre recall), per-genre recall, and the confusion
    matrix ``confusion[true][predicted]`` (clip counts, rows and columns in ``genres`` order)."""

    accuracy: float
    balanced_accuracy: float
    per_genre: dict[str, float | None]
    confusion: list[list[int]]
    genres: tuple[str, ...]
    clips: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class EpochReport:
    """One finished epoch: mean training loss and validation metrics (None without validation clips)."""

    epoch: int
    epochs: int
    train_loss: float
    validation: ClassifierMetrics | None
    best_epoch: int
    seconds: float


@dataclass
class TrainedClassifier:
    """The selected network (eval mode), the epoch it came from, and the per-epoch history."""

    model: GenreClassifier
    best_epoch: int
    best_validation: ClassifierMetrics | None
    history: list[EpochReport]
    seconds: float
    stopped_early: bool


def classification_metrics(
    labels: np.ndarray, predicted: np.ndarray, genres: Sequence[str]
) -> ClassifierMetrics:
    """Metrics of ``predicted`` vs true ``labels`` (both (N,) indices into ``genres``)."""
    n = len(genres)
    confusion = np.zeros((n, n), dtype=np.int64)
    np.add.at(confusion, (np.asarray(labels), np.asarray(predicted)), 1)
    totals = confusion.sum(axis=1)
    recall = {g: (float(confusion[i, i] / totals[i]) if totals[i] else None) for i, g in enumerate(genres)}
    present = [v for v in recall.values() if v is not None]
    clips = int(confusion.sum())
    return ClassifierMetrics(
        accuracy=float(np.trace(confusion) / clips) if clips else 0.0,
        balanced_accuracy=float(np.mean(present)) if present else 0.0,
        per_genre=recall,
        confusion=confusion.tolist(),
        genres=tuple(genres),
        clips=clips,
    )


def evaluate_classifier(model: GenreClassifier, clips: ClipSet, genres: Sequence[str]) -> ClassifierMetrics:
    """Accuracy and confusion of ``model`` on whole clips of ``clips`` (labels index ``genres``)."""
    if len(clips) == 0:
        return classification_metrics(np.zeros(0, np.int64), np.zeros(0, np.int64), genres)
    return classification_metrics(clips.labels, predict_clips(model, clips.mels), genres)


def augment(
    batch: torch.Tensor, config: ClassifierTrainConfig, mel: MelConfig, rng: torch.Generator
) -> torch.Tensor:
    """Random gain and SpecAugment masks on (B, 1, n_mels, frames) in [0, 1]; returns a new tensor."""
    b, _, n_mels, frames = batch.shape
    out = batch.clone()
    if config.gain_db > 0:
        shift = (
            (torch.rand(b, 1, 1, 1, generator=rng) * 2 - 1) * config.gain_db / (mel.db_ceil - mel.db_floor)
        )
        out = torch.where(out > 0, (out + shift).clamp(0.0, 1.0), out)
    for count, width, axis, size in (
        (config.freq_masks, config.freq_mask_bands, 2, n_mels),
        (config.time_masks, config.time_mask_frames, 3, frames),
    ):
        for _ in range(count):
            widths = torch.randint(0, max(1, min(width, size // 4)) + 1, (b,), generator=rng)
            starts = (torch.rand(b, generator=rng) * (size - widths + 1)).long()
            positions = torch.arange(size)
            mask = (positions[None] >= starts[:, None]) & (positions[None] < (starts + widths)[:, None])
            shape = (b, 1, size, 1) if axis == 2 else (b, 1, 1, size)
            out = out.masked_fill(mask.view(shape), 0.0)
    return out


def _crop(mels: np.ndarray, crop: int, rng: np.random.Generator) -> np.ndarray:
    frames = mels.shape[-1]
    if crop <= 0 or crop >= frames:
        return mels
    starts = rng.integers(0, frames - crop + 1, size=mels.shape[0])
    return np.stack([m[:, s : s + crop] for m, s in zip(mels, starts, strict=True)])


@torch.no_grad()
def recalibrate_batch_norm(model: GenreClassifier, mels: np.ndarray, batch_size: int = 32) -> None:
    """Re-estimate batch-norm statistics as plain averages over whole, un-augmented clips ``mels``
    (N, n_mels, frames): training sees short augmented crops, evaluation whole clips."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms or len(mels) == 0:
        return
    momenta = [m.momentum for m in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative moving average over the batches below
    model.train()
    for start in range(0, len(mels), batch_size):
        model(torch.from_numpy(np.asarray(mels[start : start + batch_size], dtype=np.float32)).unsqueeze(1))
    for norm, momentum in zip(norms, momenta, strict=True):
        norm.momentum = momentum
    model.eval()


def _class_weights(labels: np.ndarray, n_genres: int) -> torch.Tensor:
    counts = np.bincount(labels, minlength=n_genres).astype(np.float64)
    weights = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / max(1, (counts > 0).sum()), 0.0)
    return torch.tensor(weights, dtype=torch.float32)


def train_classifier(
    train: ClipSet,
    validation: ClipSet | None,
    genres: Sequence[str],
    mel: MelConfig,
    config: ClassifierTrainConfig | None = None,
    *,
    progress: Callable[[EpochReport], None] | None = None,
    batch_progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainedClassifier:
    """Train on ``train`` (labels index ``genres``), keep the epoch with the best validation balanced
    accuracy (ties: lower training loss); without validation clips the last epoch is kept.

    ``progress`` gets an ``EpochReport`` after each epoch, ``batch_progress(done, total)`` after each batch.
    Deterministic for a given ``config.seed`` and thread count.
    """
    config = config or ClassifierTrainConfig()
    if len(train) == 0:
        raise ValueError("the training set has no clips")
    genres = tuple(genres)
    torch.manual_seed(config.seed)
    model = GenreClassifier(mel.n_mels, len(genres), config.architecture)
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=config.learning_rate, total_steps=config.epochs * steps_per_epoch, pct_start=0.15
    )
    weights = _class_weights(train.labels, len(genres)) if config.balance_classes else None
    loss_fn = nn.CrossEntropyLoss(weight=weights)
    np_rng = np.random.default_rng(config.seed)
    torch_rng = torch.Generator().manual_seed(config.seed)
    has_validation = validation is not None and len(validation) > 0
    calibration = np.sort(np_rng.permutation(len(train))[:CALIBRATION_CLIPS])
    best_state, best_key, best_epoch, best_metrics = None, (-1.0, 0.0), 0, None
    history: list[EpochReport] = []
    started = time.perf_counter()
    stopped_early = False
    for epoch in range(1, config.epochs + 1):
        epoch_start = time.perf_counter()
        model.train()
        order = np_rng.permutation(len(train))
        total_loss = 0.0
        for batch_index in range(steps_per_epoch):
            if should_stop is not None and should_stop():
                stopped_early = True
                break
            rows = np.sort(order[batch_index * config.batch_size : (batch_index + 1) * config.batch_size])
            mels = _crop(train.mels[rows], config.crop_frames, np_rng).astype(np.float32)
            x = augment(torch.from_numpy(mels).unsqueeze(1), config, mel, torch_rng)
            loss = loss_fn(model(x), torch.from_numpy(train.labels[rows]))
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            scheduler.step()
            total_loss += loss.item() * len(rows)
            if batch_progress is not None:
                batch_progress(batch_index + 1, steps_per_epoch)
        if stopped_early:
            break
        train_loss = total_loss / len(train)
        recalibrate_batch_norm(model, train.mels[calibration], config.batch_size)
        metrics = evaluate_classifier(model, validation, genres) if has_validation else None
        key = (metrics.balanced_accuracy, -train_loss) if metrics is not None else (float(epoch), 0.0)
        if key > best_key:
            best_key, best_epoch, best_metrics = key, epoch, metrics
            best_state = copy.deepcopy(model.state_dict())
        report = EpochReport(
            epoch, config.epochs, train_loss, metrics, best_epoch, time.perf_counter() - epoch_start
        )
        history.append(report)
        if progress is not None:
            progress(report)
        if has_validation and epoch - best_epoch >= config.patience:
            stopped_early = True
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return TrainedClassifier(
        model=model,
        best_epoch=best_epoch,
        best_validation=best_metrics,
        history=history,
        seconds=time.perf_counter() - started,
        stopped_early=stopped_early,
    )
