"""A genre classifier on disk: ``classifier.safetensors`` + ``meta.json`` + ``card.md`` in one folder.

Saved atomically (written beside the target, renamed into place); loaded trusting nothing: meta fields and
types, format version, the weights' sha256, the safetensors header (pickles are refused, never unpickled),
tensor names and shapes against a freshly built network, finite values.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save_file

from melodygan_desktop import __version__
from melodygan_desktop.checkpoints.files import (
    TMP_SUFFIX,
    atomic_write_bytes,
    fsync_dir,
    fsync_file,
    sha256_file,
    swap_in_folder,
)
from melodygan_desktop.checkpoints.load import read_weights, verify_sha256
from melodygan_desktop.checkpoints.meta import MAX_META_BYTES, CheckpointError
from melodygan_desktop.config import MelConfig, from_dict, json_ready, to_dict
from melodygan_desktop.evaluation.classifier import (
    ClassifierArchitecture,
    GenreClassifier,
    embed_clips,
    predict_proba,
)

FORMAT = "melodygan-classifier"
FORMAT_VERSION = 1
WEIGHTS_NAME = "classifier.safetensors"
META_NAME = "meta.json"
CARD_NAME = "card.md"
#: Folder name of the classifier shipped in ``checkpoints/``.
BUNDLED_NAME = "genre-classifier"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


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
    if not isinstance(data, dict):
        raise ClassifierError(f"{where}: expected a JSON object, got {type(data).__name__}")
    if data.get("format") != FORMAT:
        raise ClassifierError(f"{where}: not a MELodyGAN genre classifier (format {data.get('format')!r})")
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ClassifierError(f"{where}: format_version must be a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise ClassifierError(
            f"{where}: format_version {version} was written by a newer MELodyGAN; this one reads up to "
            f"{FORMAT_VERSION} (update the app)"
        )
    missing = sorted({"mel", "genres", "architecture", "sha256"} - set(data))
    if missing:
        raise ClassifierError(f"{where}: missing field(s) {', '.join(missing)}")
    try:
        meta = from_dict(ClassifierMeta, data)
    except ValueError as exc:  # ConfigError, or a value refused by a dataclass's own checks
        raise ClassifierError(f"{where}: {exc}") from None
    if (
        not meta.genres
        or len(set(meta.genres)) != len(meta.genres)
        or not all(g.strip() for g in meta.genres)
    ):
        raise ClassifierError(f"{where}: genres must be distinct non-empty names, got {list(meta.genres)}")
    if not _SHA256.match(meta.sha256):
        raise ClassifierError(f"{where}: sha256 must be 64 lower-case hex digits, got {meta.sha256!r}")
    return meta


def read_classifier_meta(folder: str | os.PathLike[str]) -> ClassifierMeta:
    """Read and validate ``folder/meta.json`` without touching the weights."""
    path = Path(folder) / META_NAME
    try:
        size = path.stat().st_size
        if size > MAX_META_BYTES:
            raise ClassifierError(f"{path}: {size} bytes is too large for a meta.json")
        data = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise ClassifierError(f"{Path(folder)}: no {META_NAME}, so not a genre classifier folder") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ClassifierError(f"{path}: not valid JSON ({type(exc).__name__}: {exc})") from None
    except OSError as exc:
        raise ClassifierError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return meta_from_dict(data, str(path))


def network_for(meta: ClassifierMeta) -> GenreClassifier:
    return GenreClassifier(meta.mel.n_mels, len(meta.genres), meta.architecture)


def load_classifier(path: str | os.PathLike[str], device: str | torch.device = "cpu") -> LoadedClassifier:
    """Load a classifier folder (or its ``meta.json`` / ``classifier.safetensors``); eval mode on ``device``.

    Raises ``ClassifierError`` naming the file and the problem; nothing is ever unpickled.
    """
    folder = Path(path).expanduser()
    if folder.is_file() and folder.name in (META_NAME, WEIGHTS_NAME):
        folder = folder.parent
    if not folder.is_dir():
        raise ClassifierError(f"{folder}: no such classifier folder")
    meta = read_classifier_meta(folder)
    weights = folder / WEIGHTS_NAME
    if not weights.is_file():
        raise ClassifierError(f"{folder}: no {WEIGHTS_NAME}")
    verify_sha256(weights, meta.sha256, ClassifierError)
    try:
        tensors = read_weights(weights)
        model = network_for(meta)
    except CheckpointError as exc:
        raise ClassifierError(str(exc)) from None
    except ValueError as exc:
        raise ClassifierError(f"{folder / META_NAME}: the classifier cannot be built ({exc})") from None
    bad = [name for name, t in tensors.items() if t.is_floating_point() and not bool(torch.isfinite(t).all())]
    if bad:
        raise ClassifierError(f"{weights}: tensor(s) {', '.join(bad[:5])} hold NaN or infinite values")
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())[:400]
        raise ClassifierError(
            f"{weights}: weights do not fit the architecture in meta.json ({detail})"
        ) from None
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
    final = Path(out_dir).expanduser()
    tmp = final.with_name(f"{final.name}{TMP_SUFFIX}")
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        save_file(tensors, str(tmp / WEIGHTS_NAME), metadata={"format": FORMAT})
        fsync_file(tmp / WEIGHTS_NAME)
        created = meta.created or datetime.now(timezone.utc).isoformat(timespec="seconds")
        meta = dataclasses.replace(meta, sha256=sha256_file(tmp / WEIGHTS_NAME), created=created)
        text = json.dumps(meta_to_dict(meta), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        atomic_write_bytes(tmp / META_NAME, text.encode("utf-8"))
        if card is not None:
            atomic_write_bytes(tmp / CARD_NAME, card.encode("utf-8"))
        fsync_dir(tmp)
        swap_in_folder(tmp, final)
    except (OSError, ValueError) as exc:  # ValueError: metrics that are not plain finite JSON
        shutil.rmtree(tmp, ignore_errors=True)
        raise ClassifierError(
            f"could not write classifier {final}: {getattr(exc, 'strerror', None) or exc}"
        ) from exc
    return final


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
