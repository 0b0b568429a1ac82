"""The vocoder on disk: ``vocoder.safetensors`` + ``meta.json`` (shape, mel settings, sha256, metrics).

A training run keeps ``<run>/step_%08d/`` folders in the same layout plus ``training.pt`` (the resume
state, read with ``torch.load(weights_only=True)``), so every checkpoint is itself a loadable vocoder. Folders
are written as ``.tmp`` and renamed into place; the meta is checked field by field, the weights against
their hash and a freshly built network of the stated shape; nothing is unpickled.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from melodygan_desktop import __version__
from melodygan_desktop.checkpoints.files import (
    atomic_write_bytes,
    check_replaceable,
    fsync_dir,
    fsync_file,
    make_tmp_folder,
    remove_tree,
    sha256_file,
    swap_in_folder,
)
from melodygan_desktop.checkpoints.load import check_weights, read_weights, verify_sha256
from melodygan_desktop.checkpoints.meta import META_NAME, TRAINING_NAME, CheckpointError, read_format_meta
from melodygan_desktop.checkpoints.pointers import LATEST_NAME, list_checkpoints, step_folder_name
from melodygan_desktop.config import ConfigError, MelConfig, from_dict, to_dict
from melodygan_desktop.models.vocoder import MelVocoder, VocoderShape
from melodygan_desktop.paths import bundled_checkpoints_dir

VOCODER_FORMAT = "melodygan-vocoder"
VOCODER_VERSION = 1
VOCODER_WEIGHTS = "vocoder.safetensors"
#: The vocoder shipped with the app (the "vocoder" mel-to-audio method).
BUNDLED_VOCODER = "mel-vocoder"


def default_vocoder_dir() -> Path:
    return bundled_checkpoints_dir() / BUNDLED_VOCODER


def _write_into(
    folder: Path, vocoder: MelVocoder, mel: MelConfig, metrics: Mapping[str, Any], half: bool
) -> None:
    weights = folder / VOCODER_WEIGHTS
    dtype = torch.float16 if half else torch.float32
    state = vocoder.state_dict()
    tensors = {name: value.detach().to(dtype).cpu().contiguous() for name, value in state.items()}
    save_file(tensors, str(weights), metadata={"format": VOCODER_FORMAT})
    fsync_file(weights)
    meta = {
        "format": VOCODER_FORMAT,
        "format_version": VOCODER_VERSION,
        "app_version": __version__,
        "shape": vocoder.shape.to_dict(),
        "mel": to_dict(mel),
        "sha256": sha256_file(weights),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "metrics": dict(metrics),
    }
    atomic_write_bytes(folder / META_NAME, (json.dumps(meta, indent=2) + "\n").encode())


def save_vocoder(
    vocoder: MelVocoder,
    folder: str | os.PathLike[str],
    mel: MelConfig,
    metrics: Mapping[str, Any] | None = None,
    *,
    half: bool = False,
) -> Path:
    """Write a vocoder folder (weights and meta, float16 weights with ``half``), replacing it atomically.
    ``folder`` must be new, empty, or one this app wrote (``FileExistsError`` otherwise)."""
    folder = Path(folder)
    check_replaceable(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_tmp_folder(folder)
    try:
        _write_into(tmp, vocoder, mel, metrics or {}, half)
        fsync_dir(tmp)
        swap_in_folder(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _is_step_folder(folder: Path) -> bool:
    return (folder / VOCODER_WEIGHTS).is_file() and (folder / META_NAME).is_file()


def vocoder_checkpoints(run_dir: str | os.PathLike[str]) -> list[Path]:
    """Complete step folders of a vocoder run, oldest first."""
    return list_checkpoints(run_dir, complete=_is_step_folder)


def save_vocoder_checkpoint(
    run_dir: str | os.PathLike[str],
    step: int,
    vocoder: MelVocoder,
    mel: MelConfig,
    training_state: Mapping[str, Any],
    metrics: Mapping[str, Any] | None = None,
    keep_last: int = 3,
) -> Path:
    """``run_dir/step_%08d`` (vocoder + resume state) written atomically; ``latest.txt`` names it and only
    the newest ``keep_last`` step folders stay. Raises ``CheckpointError`` with earlier checkpoints intact."""
    run_dir = Path(run_dir)
    final = run_dir / step_folder_name(step)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        tmp = make_tmp_folder(final)
        try:
            _write_into(tmp, vocoder, mel, metrics or {"steps": step}, half=False)
            torch.save(dict(training_state), tmp / TRAINING_NAME)
            fsync_file(tmp / TRAINING_NAME)
            fsync_dir(tmp)
            swap_in_folder(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        atomic_write_bytes(run_dir / LATEST_NAME, f"{final.name}\n".encode())
    except OSError as exc:
        raise CheckpointError(f"could not write checkpoint {final}: {exc.strerror or exc}") from exc
    for old in vocoder_checkpoints(run_dir)[:-keep_last]:
        try:
            remove_tree(old)
        except OSError:
            pass  # an old checkpoint that could not go costs disk space, not correctness
    return final


def resolve_vocoder_dir(folder: str | os.PathLike[str] | None = None) -> Path:
    """A vocoder folder from ``folder``: itself, or a run folder's newest checkpoint (default: bundled)."""
    folder = Path(folder) if folder is not None else default_vocoder_dir()
    if not (folder / META_NAME).exists():
        steps = vocoder_checkpoints(folder)
        if steps:
            return steps[-1]
    return folder


def read_vocoder_meta(folder: str | os.PathLike[str]) -> tuple[VocoderShape, MelConfig, dict[str, Any]]:
    """(shape, mel settings, whole meta dict) of a vocoder folder; ``CheckpointError`` if anything is off."""
    path, data = read_format_meta(folder, VOCODER_FORMAT, VOCODER_VERSION, "vocoder")
    try:
        shape = VocoderShape.from_dict(data["shape"])
        mel = from_dict(MelConfig, data["mel"])
    except (KeyError, TypeError, ValueError, ConfigError) as exc:
        raise CheckpointError(f"{path}: bad vocoder description ({exc})") from None
    if (shape.n_mels, shape.n_fft, shape.hop_length) != (mel.n_mels, mel.n_fft, mel.hop_length):
        raise CheckpointError(f"{path}: the network's mel bins, n_fft or hop do not match its mel settings")
    return shape, mel, data


def load_vocoder(
    folder: str | os.PathLike[str] | None = None,
) -> tuple[MelVocoder, MelConfig, dict[str, Any]]:
    """The vocoder in ``folder`` (default: the bundled one; a run folder means its newest checkpoint) in
    eval mode on the CPU, float32, with its mel settings and meta."""
    folder = resolve_vocoder_dir(folder)
    shape, mel, meta = read_vocoder_meta(folder)
    weights = folder / VOCODER_WEIGHTS
    if not weights.is_file():
        raise CheckpointError(f"{folder}: no {VOCODER_WEIGHTS}")
    verify_sha256(weights, meta["sha256"])
    tensors = read_weights(weights)
    vocoder = MelVocoder(shape, mel)
    check_weights(weights, tensors, vocoder.state_dict())
    vocoder.load_state_dict({name: value.float() for name, value in tensors.items()}, strict=True)
    vocoder.eval().requires_grad_(False)
    return vocoder, mel, meta


__all__ = [
    "BUNDLED_VOCODER",
    "VOCODER_FORMAT",
    "VOCODER_WEIGHTS",
    "default_vocoder_dir",
    "load_vocoder",
    "read_vocoder_meta",
    "resolve_vocoder_dir",
    "save_vocoder",
    "save_vocoder_checkpoint",
    "vocoder_checkpoints",
]
