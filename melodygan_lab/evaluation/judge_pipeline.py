"""From a data folder to a shipped genre judge: audio features of every clip of each split, training,
accuracy on the real test clips, and the folder with its ``meta.json`` metrics and card.

A corpus folder (``train/``, ``validation/``, ``test/``) is used as split; a plain genre folder has 15 % of
each genre's tracks held out (by the same seeded rule as training) for validation, which then also serves as
the (optimistic) test split.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from melodygan_desktop.data.prepared import split_tracks
from melodygan_lab.evaluation.audio_clips import ClipFolder
from melodygan_lab.evaluation.data import is_split_corpus, split_folder
from melodygan_lab.evaluation.judge import JudgeTrainConfig, TrainedJudge, predict, train_judge
from melodygan_lab.evaluation.judge_card import judge_card
from melodygan_lab.evaluation.judge_features import JudgeFeatureSettings, feature_names, judge_features
from melodygan_lab.evaluation.judge_files import LoadedJudge, load_judge, meta_for, save_judge
from melodygan_lab.evaluation.train_classifier import ClassifierMetrics, classification_metrics

#: ``progress(split, tracks_done, tracks_total)`` while features are computed.
FeatureProgress = Callable[[str, int, int], None]
#: Share of each genre's tracks held out when the folder has no splits.
HOLD_OUT = 0.15


@dataclass(frozen=True)
class FeatureSet:
    """Feature vectors float32 (N, D) of real clips, ``labels`` (N,) indexing ``genres``, ``tracks`` (N,)
    (clips of one track share a value), and the files that could not be used."""

    features: np.ndarray
    labels: np.ndarray
    tracks: np.ndarray
    genres: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...] = ()

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def counts(self) -> dict[str, int]:
        return {g: int((self.labels == i).sum()) for i, g in enumerate(self.genres)}

    def subset(self, rows: np.ndarray) -> FeatureSet:
        return FeatureSet(
            self.features[rows], self.labels[rows], self.tracks[rows], self.genres, self.skipped
        )


def folder_features(
    folder: str | os.PathLike[str],
    settings: JudgeFeatureSettings,
    genres: tuple[str, ...] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FeatureSet:
    """Judge features of every non-silent clip of a genre folder; labels index ``genres`` (default: the
    folder's own), clips of other genres are left out."""
    clips = ClipFolder(folder)
    genres = clips.genres if genres is None else tuple(genres)
    rows, labels, tracks = [], [], []
    for clip in clips.iter_clips(settings.sample_rate, settings.clip_seconds, progress):
        if clip.genre in genres:
            rows.append(judge_features(clip.audio, settings.sample_rate, settings))
            labels.append(genres.index(clip.genre))
            tracks.append(clip.track)
    width = len(feature_names(settings))
    return FeatureSet(
        features=np.stack(rows) if rows else np.zeros((0, width), dtype=np.float32),
        labels=np.array(labels, dtype=np.int64),
        tracks=np.array(tracks, dtype=np.int64),
        genres=genres,
        skipped=tuple(clips.skipped),
    )


def evaluate_judge(trained: TrainedJudge, data: FeatureSet) -> ClassifierMetrics:
    """Accuracy, balanced accuracy and confusion of a trained judge on a feature set."""
    predicted = predict(trained.model, data.features, trained.mean, trained.std)
    return classification_metrics(data.labels, predicted, data.genres)


@dataclass(frozen=True)
class JudgeBuild:
    """The saved judge, its metrics on the test split (validation when the folder has none) and the data."""

    judge: LoadedJudge
    test: ClassifierMetrics
    test_split: str
    validation: ClassifierMetrics | None
    trained: TrainedJudge
    splits: dict[str, FeatureSet]
    seconds_features: float


def load_feature_splits(
    data_dir: str | os.PathLike[str], settings: JudgeFeatureSettings, seed: int, progress: FeatureProgress
) -> tuple[dict[str, FeatureSet], str]:
    """``({"train": ..., "validation": ..., "test": ...}, layout)``; a plain folder gives no "test"."""
    if is_split_corpus(data_dir):
        train_dir = split_folder(data_dir, "train")
        splits = {"train": folder_features(train_dir, settings, None, lambda d, t: progress("train", d, t))}
        genres = splits["train"].genres
        for name in ("validation", "test"):
            folder = split_folder(data_dir, name)
            if folder is not None:
                splits[name] = folder_features(
                    folder, settings, genres, lambda d, t, n=name: progress(n, d, t)
                )
        return splits, "corpus"
    everything = folder_features(data_dir, settings, None, lambda d, t: progress("all", d, t))
    scan = ClipFolder(data_dir)
    held_out = np.array(split_tracks(scan.tracks, HOLD_OUT, seed), dtype=bool)
    in_validation = held_out[everything.tracks] if len(everything) else np.zeros(0, dtype=bool)
    return {
        "train": everything.subset(np.flatnonzero(~in_validation)),
        "validation": everything.subset(np.flatnonzero(in_validation)),
    }, "folder"


def train_judge_folder(
    data_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    settings: JudgeFeatureSettings | None = None,
    config: JudgeTrainConfig | None = None,
    progress: FeatureProgress | None = None,
    epoch_progress: Callable[[int, float, ClassifierMetrics | None], None] | None = None,
) -> JudgeBuild:
    """Train a judge on ``data_dir`` and save it to ``out_dir`` with its card; see the module docstring."""
    settings = settings or JudgeFeatureSettings()
    config = config or JudgeTrainConfig()
    started = time.perf_counter()
    splits, layout = load_feature_splits(data_dir, settings, config.seed, progress or (lambda *_: None))
    seconds_features = time.perf_counter() - started
    train, genres = splits["train"], splits["train"].genres
    if len(train) == 0:
        raise ValueError(f"{data_dir}: no usable training clip of {settings.clip_seconds:g} s")
    validation = splits.get("validation")
    trained = train_judge(
        train.features,
        train.labels,
        genres,
        (validation.features, validation.labels) if validation is not None and len(validation) else None,
        config,
        progress=epoch_progress,
    )
    if "test" in splits and len(splits["test"]):
        test, test_split = evaluate_judge(trained, splits["test"]), "test"
    else:
        test = evaluate_judge(trained, validation if validation is not None else train)
        test_split = "validation (no test split: optimistic, it also chose the epoch)"
    metrics = {
        "test": test.to_dict(),
        "test_split": test_split,
        "validation": trained.validation.to_dict() if trained.validation is not None else None,
        "best_epoch": trained.best_epoch,
        "epochs_run": trained.epochs_run,
        "train_seconds": round(trained.seconds, 1),
        "threads": torch.get_num_threads(),
        "feature_seconds": round(seconds_features, 1),
        "clips": {name: split.counts() for name, split in splits.items()},
        "recipe": config.to_dict(),
        "data_layout": layout,
    }
    meta = meta_for(trained, genres, settings, metrics)
    card = judge_card(meta, Path(data_dir).name)
    folder = save_judge(trained.model, meta, out_dir, card=card)
    return JudgeBuild(
        judge=load_judge(folder),
        test=test,
        test_split=test_split,
        validation=trained.validation,
        trained=trained,
        splits=splits,
        seconds_features=seconds_features,
    )
