"""From a data folder to a shipped classifier: load the splits, train, test on real clips, write the folder
with its ``meta.json`` metrics and a Markdown card (data, recipe, accuracy, confusion matrix)."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from melodygan_desktop.config import MEL_PRESETS, MelConfig, to_dict
from melodygan_desktop.evaluation.classifier import count_parameters
from melodygan_desktop.evaluation.classifier_files import (
    ClassifierMeta,
    LoadedClassifier,
    load_classifier,
    save_classifier,
)
from melodygan_lab.evaluation.data import Progress, Splits, load_splits
from melodygan_lab.evaluation.markdown import confusion_table, percent, table
from melodygan_lab.evaluation.train_classifier import (
    ClassifierMetrics,
    ClassifierTrainConfig,
    EpochReport,
    TrainedClassifier,
    evaluate_classifier,
    train_classifier,
)


@dataclass(frozen=True)
class ClassifierBuild:
    """The saved classifier, its metrics on the test split (validation when the folder has no test split)."""

    classifier: LoadedClassifier
    test: ClassifierMetrics
    test_split: str
    validation: ClassifierMetrics | None
    training: TrainedClassifier
    seconds_loading: float


def train_classifier_folder(
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    mel: MelConfig | None = None,
    config: ClassifierTrainConfig | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    file_progress: Progress | None = None,
    epoch_progress: Callable[[EpochReport], None] | None = None,
    batch_progress: Callable[[int, int], None] | None = None,
) -> ClassifierBuild:
    """Train a classifier on ``data_dir`` (``train/validation/test`` folders, or a genre folder whose
    held-out tracks serve as validation and test) and save it to ``out_dir`` with card and metrics.

    ``mel`` defaults to paper 000's settings (10-s clips); the network accepts any clip length later.
    """
    mel = mel or MEL_PRESETS["paper000-10s"]
    config = config or ClassifierTrainConfig()
    started = time.perf_counter()
    splits = load_splits(data_dir, mel, cache_dir=cache_dir, seed=config.seed, progress=file_progress)
    loading = time.perf_counter() - started
    trained = train_classifier(
        splits.train.clips,
        splits.validation.clips,
        splits.genres,
        mel,
        config,
        progress=epoch_progress,
        batch_progress=batch_progress,
    )
    validation = trained.best_validation
    if splits.test is not None and len(splits.test) > 0:
        test, test_split = evaluate_classifier(trained.model, splits.test.clips, splits.genres), "test"
    else:
        test = evaluate_classifier(trained.model, splits.validation.clips, splits.genres)
        test_split = "validation (no test split: optimistic, it also chose the epoch)"
    metrics = {
        "test": test.to_dict(),
        "test_split": test_split,
        "validation": validation.to_dict() if validation is not None else None,
        "best_epoch": trained.best_epoch,
        "epochs_run": len(trained.history),
        "train_seconds": round(trained.seconds, 1),
        "clips": {
            "train": splits.train.counts(),
            "validation": splits.validation.counts(),
            "test": splits.test.counts() if splits.test is not None else None,
        },
        "recipe": to_dict(config),
        "data_layout": splits.layout,
    }
    meta = ClassifierMeta(mel=mel, genres=splits.genres, architecture=config.architecture, metrics=metrics)
    card = classifier_card(meta, splits, trained, test, test_split, data_dir)
    folder = save_classifier(trained.model, meta, out_dir, card=card)
    return ClassifierBuild(
        classifier=load_classifier(folder),
        test=test,
        test_split=test_split,
        validation=validation,
        training=trained,
        seconds_loading=loading,
    )


def classifier_card(
    meta: ClassifierMeta,
    splits: Splits,
    trained: TrainedClassifier,
    test: ClassifierMetrics,
    test_split: str,
    data_dir: str | os.PathLike[str],
) -> str:
    """The Markdown model card shipped beside the weights."""
    recipe = meta.metrics.get("recipe", {})
    params = count_parameters(trained.model)
    counts = [
        [
            g,
            splits.train.counts()[g],
            splits.validation.counts().get(g, 0),
            splits.test.counts().get(g, 0) if splits.test is not None else "-",
        ]
        for g in splits.genres
    ]
    mel = meta.mel
    parts = [
        "# Genre classifier",
        "",
        "A small CNN on normalised log-mels that tells the genres below apart. It measures generated music: "
        "the genre accuracy of generated clips and the Frechet distance between its embeddings "
        f"({meta.architecture.embed_dim} dimensions) of generated and real clips.",
        "",
        "## Data",
        "",
        f"Folder `{Path(data_dir).name}` ({splits.layout} layout); clips of {mel.clip_seconds:g} s "
        f"(sample rate {mel.sample_rate} Hz, n_fft {mel.n_fft}, hop {mel.hop_length}, {mel.n_mels} mels), "
        "split by track so no track is on two sides.",
        "",
        table(["genre", "train clips", "validation clips", "test clips"], counts),
        "",
        "## Network and training",
        "",
        f"- {len(meta.architecture.channels)} conv blocks {list(meta.architecture.channels)}, "
        f"{meta.architecture.freq_bins} frequency bands kept, mean+max pooling over time (any clip length), "
        f"{params:,} parameters ({params * 4 / 1e6:.2f} MB as float32).",
        f"- AdamW, one-cycle learning rate {recipe.get('learning_rate')}, batch {recipe.get('batch_size')}, "
        f"random {recipe.get('crop_frames')}-frame crops, SpecAugment masks, random gain "
        f"+-{recipe.get('gain_db')} dB, class-balanced loss.",
        f"- Selected on validation balanced accuracy: epoch {trained.best_epoch} of {len(trained.history)} "
        f"run; {trained.seconds / 60:.1f} min on {torch.get_num_threads()} CPU thread(s) "
        f"({platform.machine() or 'unknown CPU'}).",
        "",
        f"## Accuracy on the {test_split} split (real clips)",
        "",
        f"Accuracy {percent(test.accuracy)}, balanced accuracy (mean per-genre recall) "
        f"{percent(test.balanced_accuracy)} over {test.clips} clips. This is the ceiling for the genre "
        "accuracy of generated clips.",
        "",
        confusion_table(test.confusion, list(test.genres)),
        "",
        "## Known weaknesses",
        "",
        "- It hears only what the log-mel keeps (no phase) and knows only this data: genres made of MIDI "
        "arrangements may be recognised partly by their sound fonts rather than by style.",
        "- Genres with few test clips have noisy per-genre figures.",
        "",
    ]
    return "\n".join(parts)
