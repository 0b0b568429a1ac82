"""The mel codec on disk: ``codec.safetensors`` + ``meta.json`` (shape, mel settings, sha256, metrics).

Loaded like a generator: the meta is checked field by field and against sane ranges, the weights against
their hash and against a freshly built codec of the stated shape; nothing is unpickled.
"""

from __future__ import annotations

import json
import os
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
    read_regular_bytes,
    sha256_file,
    unique_tmp_path,
)
from melodygan_desktop.checkpoints.load import check_weights, load_generator, read_weights, verify_sha256
from melodygan_desktop.checkpoints.meta import FORMAT as GENERATOR_FORMAT
from melodygan_desktop.checkpoints.meta import MAX_META_BYTES, META_NAME, CheckpointError, read_format_meta
from melodygan_desktop.config import ConfigError, MelConfig, from_dict, to_dict
from melodygan_desktop.models.codec import CodecShape, MelCodec
from melodygan_desktop.paths import bundled_checkpoints_dir

CODEC_FORMAT = "melodygan-codec"
CODEC_VERSION = 1
CODEC_WEIGHTS = "codec.safetensors"
#: The codec shipped with the app: new ``melodygan-latent`` runs use it unless told otherwise.
BUNDLED_CODEC = "mel-codec"


def default_codec_dir() -> Path:
    return bundled_checkpoints_dir() / BUNDLED_CODEC


def _is_generator_folder(folder: Path) -> bool:
    try:
        meta = json.loads(read_regular_bytes(folder / META_NAME, MAX_META_BYTES))
        return meta.get("format") == GENERATOR_FORMAT
    except (OSError, ValueError, AttributeError, RecursionError):
        return False


def save_codec(
    codec: MelCodec,
    folder: str | os.PathLike[str],
    mel: MelConfig,
    metrics: dict[str, Any] | None = None,
    *,
    half: bool = False,
) -> Path:
    """Write the codec into ``folder`` (created); the weights first, then meta.json naming their hash.
    ``half`` stores float16 weights (half the size; loaded back into a float32 codec). ``folder`` must be
    new, empty, or a folder this app wrote (``FileExistsError`` otherwise): an ordinary folder of the
    user's files is never written into."""
    folder = Path(folder)
    check_replaceable(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / CODEC_WEIGHTS
    tmp = unique_tmp_path(weights)
    dtype = torch.float16 if half else torch.float32
    state = codec.state_dict()
    tensors = {name: value.detach().to(dtype).cpu().contiguous() for name, value in state.items()}
    try:
        save_file(tensors, str(tmp))
        os.replace(tmp, weights)
    finally:
        tmp.unlink(missing_ok=True)
    meta = {
        "format": CODEC_FORMAT,
        "format_version": CODEC_VERSION,
        "app_version": __version__,
        "shape": codec.shape.to_dict(),
        "mel": to_dict(mel),
        "sha256": sha256_file(weights),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "metrics": dict(metrics or {}),
    }
    atomic_write_bytes(folder / META_NAME, (json.dumps(meta, indent=2) + "\n").encode())
    fsync_dir(folder)
    return folder


def read_codec_meta(folder: str | os.PathLike[str]) -> tuple[CodecShape, MelConfig, dict[str, Any]]:
    """(shape, mel settings, whole meta dict) of a codec folder; ``CheckpointError`` if anything is off."""
    path, data = read_format_meta(folder, CODEC_FORMAT, CODEC_VERSION, "mel codec")
    try:
        shape = CodecShape.from_dict(data["shape"])
        mel = from_dict(MelConfig, data["mel"])
    except (KeyError, TypeError, ValueError, ConfigError) as exc:
        raise CheckpointError(f"{path}: bad codec description ({exc})") from None
    if shape.n_mels != mel.n_mels:
        raise CheckpointError(f"{path}: codec has {shape.n_mels} mel bins, its mel settings {mel.n_mels}")
    return shape, mel, data


def load_codec(folder: str | os.PathLike[str] | None = None) -> tuple[MelCodec, MelConfig, dict[str, Any]]:
    """The codec in ``folder`` (default: the bundled one) in eval mode on the CPU, its mel settings, its meta.

    ``folder`` is a codec folder (``melodygan codec train``) or a ``melodygan-latent`` model, whose codec is
    taken."""
    folder = Path(folder) if folder is not None else default_codec_dir()
    if _is_generator_folder(folder):
        model = load_generator(folder)
        codec = getattr(model.generator, "codec", None)
        if codec is None:
            raise CheckpointError(f"{folder}: a {model.meta.preset} model holds no mel codec")
        return codec, model.meta.mel, {"shape": codec.shape.to_dict(), "model": str(folder)}
    shape, mel, meta = read_codec_meta(folder)
    weights = folder / CODEC_WEIGHTS
    if not weights.is_file():
        raise CheckpointError(f"{folder}: no {CODEC_WEIGHTS}")
    verify_sha256(weights, meta["sha256"])
    tensors = read_weights(weights)
    codec = MelCodec(shape)
    check_weights(weights, tensors, codec.state_dict())
    codec.load_state_dict(tensors, strict=True)
    codec.eval().requires_grad_(False)
    return codec, mel, meta



__all__ = [
    "BUNDLED_CODEC",
    "CODEC_FORMAT",
    "CODEC_WEIGHTS",
    "default_codec_dir",
    "load_codec",
    "read_codec_meta",
    "save_codec",
]
