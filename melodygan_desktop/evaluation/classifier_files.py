"""A genre classifier on disk: ``classifier.safetensors`` + ``meta.json`` + ``card.md`` in one folder.

Saved atomically (written beside the target, renamed into place); loaded trusting nothing: meta fields and
types, format version, the weights' sha256, the safetensors header (pickles are refused, never unpickled),
tensor names and shapes against a freshly built network, finite values.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch

from melodygan_desktop import __version__
from melodygan_desktop.checkpoints.meta import CheckpointError
from melodygan_desktop.config import MelConfig, from_dict, json_ready, to_dict
from melodygan_desktop.evaluation.classifier import (
    ClassifierArchitecture,
    GenreClassifier,
    embed_clips,
    predict_proba,
)
from melodygan_desktop.evaluation.model_folder import (
    CARD_NAME,
    META_NAME,
    check_header,
    check_names,
    load_weights_into,
    read_meta_json,
    resolve_folder,
    save_folder,
)

FORMAT = "melodygan-classifier"
FORMAT_VERSION = 1
WEIGHTS_NAME = "classifier.safetensors"
#: Folder name of the classifier shipped in ``checkpoints/``.
BUNDLED_NAME = "genre-classifier"


class ClassifierError(CheckpointError):
    """A classifier folder cannot be written, found or trusted; the message names the file and the reason."""


@dataclass(frozen=True)
class ClassifierMeta:
    """What a saved classifier is: mel settings it was trained on, genre names (logit i is ``genres[i]``),
    its architecture, the weights' sha256 and test metrics (``accuracy``, ``confusion``, ...)."""

    mel: MelConfig
    genres: tuple[str, ...]
    architecture: ClassifierArchitecture = field(default_factory=ClassifierArchitecture)
    sha256: str = ""
    created: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    app_version: str = __version__
    format: str = FORMAT
    format_version: int = FORMAT_VERSION


@dataclass
class LoadedClassifier:
    """A classifier in eval mode with its metadata; the NumPy helpers take clips (N, n_mels, frames)."""

    model: GenreClassifier
    meta: ClassifierMeta
    path: Path | None = None

    @property
    def genres(self) -> tuple[str, ...]:
        return self.meta.genres

    @property
    def mel(self) -> MelConfig:
        return self.meta.mel

    def embed(self, mels: np.ndarray, progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Embeddings (N, D) float32 of clips (N, n_mels, frames) in [0, 1]."""
        return embed_clips(self.model, mels, progress=progress)

    def predict_proba(self, mels: np.ndarray) -> np.ndarray:
        """Genre probabilities (N, n_genres)."""
        return predict_proba(self.model, mels)

    def predict(self, mels: np.ndarray) -> np.ndarray:
        """Genre indices (N,) int64 into ``genres``."""
        return self.predict_proba(mels).argmax(axis=1).astype(np.int64)


def meta_to_dict(meta: ClassifierMeta) -> dict[str, Any]:
    data = to_dict(meta)
    data["metrics"] = json_ready(meta.metrics)
    return data


def meta_from_dict(data: Any, where: str) -> ClassifierMeta:
    """Validate a parsed ``meta.json`` (``where`` names the file in messages)."""
    check_header(data, where, FORMAT, FORMAT_VERSION, "genre classifier", ClassifierError)
    missing = sorted({"mel", "genres", "architecture", "sha256"} - set(data))
    if missing:
        raise ClassifierError(f"{where}: missing field(s) {', '.join(missing)}")
    try:
        meta = from_dict(ClassifierMeta, data)
    except ValueError as exc:  # ConfigError, or a value refused by a dataclass's own checks
        raise ClassifierError(f"{where}: {exc}") from None
    check_names(meta.genres, meta.sha256, where, ClassifierError)
    return meta


def read_classifier_meta(folder: str | os.PathLike[str]) -> ClassifierMeta:
    """Read and validate ``folder/meta.json`` without touching the weights."""
    data = read_meta_json(folder, "genre classifier", ClassifierError)
    return meta_from_dict(data, str(Path(folder) / META_NAME))


def network_for(meta: ClassifierMeta) -> GenreClassifier:
    return GenreClassifier(meta.mel.n_mels, len(meta.genres), meta.architecture)


def load_classifier(path: str | os.PathLike[str], device: str | torch.device = "cpu") -> LoadedClassifier:
    """Load a classifier folder (or its ``meta.json`` / ``classifier.safetensors``); eval mode on ``device``.

    Raises ``ClassifierError`` naming the file and the problem; nothing is ever unpickled.
    """
    folder = resolve_folder(path, WEIGHTS_NAME, "classifier", ClassifierError)
    meta = read_classifier_meta(folder)
    try:
        model = network_for(meta)
    except ValueError as exc:
        raise ClassifierError(f"{folder / META_NAME}: the classifier cannot be built ({exc})") from None
    load_weights_into(model, folder / WEIGHTS_NAME, meta.sha256, ClassifierError)
    model.to(device).eval()
    return LoadedClassifier(model=model, meta=meta, path=folder)


def save_classifier(
    model: GenreClassifier,
    meta: ClassifierMeta,
    out_dir: str | os.PathLike[str],
    *,
    card: str | None = None,
) -> Path:
    """Write ``out_dir/{classifier.safetensors, meta.json, card.md}`` atomically (replacing an old folder).

    ``meta.sha256`` and ``meta.created`` are filled in here. Returns ``out_dir``; raises ``ClassifierError``
    (disk full, read-only folder) leaving any previous folder intact.
    """
    if (model.n_mels, model.n_genres) != (meta.mel.n_mels, len(meta.genres)):
        raise ClassifierError(f"{out_dir}: the network does not match meta (n_mels or genre count differ)")
    created = meta.created or datetime.now(timezone.utc).isoformat(timespec="seconds")

    def meta_json(sha256: str) -> str:
        final = dataclasses.replace(meta, sha256=sha256, created=created)
        return json.dumps(meta_to_dict(final), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    return save_folder(
        model, out_dir, WEIGHTS_NAME, FORMAT, meta_json, ClassifierError, what="classifier", card=card
    )


def bundled_classifier_path() -> Path:
    """Where the shipped classifier lives: ``checkpoints/genre-classifier``."""
    from melodygan_desktop import paths

    return paths.bundled_checkpoints_dir() / BUNDLED_NAME


__all__ = [
    "BUNDLED_NAME",
    "CARD_NAME",
    "ClassifierError",
    "ClassifierMeta",
    "FORMAT",
    "FORMAT_VERSION",
    "LoadedClassifier",
    "META_NAME",
    "WEIGHTS_NAME",
    "network_for",
    "bundled_classifier_path",
    "load_classifier",
    "meta_from_dict",
    "read_classifier_meta",
    "save_classifier",
]
