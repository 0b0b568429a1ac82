"""A genre judge on disk: ``judge.safetensors`` + ``meta.json`` (genres, feature settings and names,
standardisation, architecture, sha256 of the weights, metrics) + ``card.md``, saved and loaded like the
classifier (``model_folder``: atomic writes, nothing unpickled, every field checked)."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from melodygan_desktop import __version__
from melodygan_desktop.checkpoints.meta import CheckpointError
from melodygan_desktop.config import from_dict, json_ready, to_dict
from melodygan_desktop.evaluation.model_folder import (
    META_NAME,
    check_header,
    check_names,
    load_weights_into,
    read_meta_json,
    resolve_folder,
    save_folder,
)
from melodygan_lab.evaluation.judge import JudgeArchitecture, JudgeNetwork, TrainedJudge, predict
from melodygan_lab.evaluation.judge_features import JudgeFeatureSettings, feature_names, judge_features

FORMAT = "melodygan-genre-judge"
FORMAT_VERSION = 1
WEIGHTS_NAME = "judge.safetensors"
#: Folder name of the judge shipped in ``checkpoints/``.
BUNDLED_NAME = "genre-judge"


class JudgeError(CheckpointError):
    """A judge folder cannot be written, found or trusted; the message names the file and the reason."""


@dataclass(frozen=True)
class JudgeMeta:
    """What a saved judge is: its genres (logit i is ``genres[i]``), the feature front end and the names of
    its values, the standardisation (per-feature training mean and standard deviation), the architecture,
    the weights' sha256 and its metrics (``test`` accuracy, confusion, ...)."""

    genres: tuple[str, ...]
    features: JudgeFeatureSettings
    feature_names: tuple[str, ...]
    feature_mean: tuple[float, ...]
    feature_std: tuple[float, ...]
    architecture: JudgeArchitecture = field(default_factory=JudgeArchitecture)
    sha256: str = ""
    created: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    app_version: str = __version__
    format: str = FORMAT
    format_version: int = FORMAT_VERSION


@dataclass
class LoadedJudge:
    """A judge in eval mode with its metadata."""

    model: JudgeNetwork
    meta: JudgeMeta
    path: Path | None = None

    @property
    def genres(self) -> tuple[str, ...]:
        return self.meta.genres

    def features(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """The judge's feature vector (D,) of one mono clip (samples,) at ``sample_rate``."""
        return judge_features(audio, sample_rate, self.meta.features)

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Genre indices (N,) int64 into ``genres`` for feature vectors (N, D)."""
        mean, std = np.array(self.meta.feature_mean), np.array(self.meta.feature_std)
        return predict(self.model, np.asarray(features).reshape(-1, len(mean)), mean, std)


def meta_for(
    trained: TrainedJudge,
    genres: tuple[str, ...],
    settings: JudgeFeatureSettings,
    metrics: dict[str, Any] | None = None,
) -> JudgeMeta:
    """The ``JudgeMeta`` of a freshly trained judge (sha256 and date are filled in when it is saved)."""
    return JudgeMeta(
        genres=genres,
        features=settings,
        feature_names=feature_names(settings),
        feature_mean=tuple(float(v) for v in trained.mean),
        feature_std=tuple(float(v) for v in trained.std),
        architecture=trained.model.architecture,
        metrics=dict(metrics or {}),
    )


def meta_from_dict(data: Any, where: str) -> JudgeMeta:
    """Validate a parsed ``meta.json`` (``where`` names the file in messages)."""
    check_header(data, where, FORMAT, FORMAT_VERSION, "genre judge", JudgeError)
    required = {"genres", "features", "feature_names", "feature_mean", "feature_std", "sha256"}
    missing = sorted(required - set(data))
    if missing:
        raise JudgeError(f"{where}: missing field(s) {', '.join(missing)}")
    try:
        meta = from_dict(JudgeMeta, data)
    except ValueError as exc:  # ConfigError, or a value refused by a dataclass's own checks
        raise JudgeError(f"{where}: {exc}") from None
    check_names(meta.genres, meta.sha256, where, JudgeError)
    expected = feature_names(meta.features)
    if meta.feature_names != expected:
        raise JudgeError(
            f"{where}: feature_names do not match this version's feature front end "
            f"({len(meta.feature_names)} stored, {len(expected)} computed): retrain the judge"
        )
    if not len(meta.feature_mean) == len(meta.feature_std) == len(expected):
        raise JudgeError(f"{where}: feature_mean and feature_std need {len(expected)} values each")
    if min(meta.feature_std) <= 0:
        raise JudgeError(f"{where}: feature_std values must be positive")
    return meta


def read_judge_meta(folder: str | os.PathLike[str]) -> JudgeMeta:
    """Read and validate ``folder/meta.json`` without touching the weights."""
    return meta_from_dict(read_meta_json(folder, "genre judge", JudgeError), str(Path(folder) / META_NAME))


def load_judge(path: str | os.PathLike[str]) -> LoadedJudge:
    """Load a judge folder (or its ``meta.json`` / ``judge.safetensors``) in eval mode on the CPU.

    Raises ``JudgeError`` naming the file and the problem; nothing is ever unpickled.
    """
    folder = resolve_folder(path, WEIGHTS_NAME, "judge", JudgeError)
    meta = read_judge_meta(folder)
    try:
        model = JudgeNetwork(len(meta.feature_names), len(meta.genres), meta.architecture)
    except ValueError as exc:
        raise JudgeError(f"{folder / META_NAME}: the judge cannot be built ({exc})") from None
    load_weights_into(model, folder / WEIGHTS_NAME, meta.sha256, JudgeError)
    return LoadedJudge(model=model.eval(), meta=meta, path=folder)


def save_judge(
    model: JudgeNetwork, meta: JudgeMeta, out_dir: str | os.PathLike[str], *, card: str | None = None
) -> Path:
    """Write ``out_dir/{judge.safetensors, meta.json, card.md}`` atomically (replacing an old folder);
    ``meta.sha256`` and ``meta.created`` are filled in here. Raises ``JudgeError``."""
    if (model.n_features, model.n_genres) != (len(meta.feature_names), len(meta.genres)):
        raise JudgeError(f"{out_dir}: the network does not match meta (feature or genre count differ)")
    created = meta.created or datetime.now(timezone.utc).isoformat(timespec="seconds")

    def meta_json(sha256: str) -> str:
        data = to_dict(dataclasses.replace(meta, sha256=sha256, created=created))
        data["metrics"] = json_ready(meta.metrics)
        return json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n"

    return save_folder(model, out_dir, WEIGHTS_NAME, FORMAT, meta_json, JudgeError, what="judge", card=card)


def bundled_judge_path() -> Path:
    """Where the shipped judge lives: ``checkpoints/genre-judge``."""
    from melodygan_desktop import paths

    return paths.bundled_checkpoints_dir() / BUNDLED_NAME
