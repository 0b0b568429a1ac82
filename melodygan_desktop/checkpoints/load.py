"""Loading a generator for inference from ``generator.safetensors`` + ``meta.json``, trusting nothing.

Order of checks: meta.json fields, the weights file's sha256 against meta, the safetensors header (a pickle
or zip archive in its place is named as such and refused), tensor names/shapes/dtypes against the preset's
freshly built generator, finite values. Nothing is ever unpickled.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from melodygan_desktop.checkpoints.files import open_regular, sha256_file
from melodygan_desktop.checkpoints.meta import (
    META_NAME,
    WEIGHTS_NAME,
    CheckpointError,
    CheckpointMeta,
    read_meta,
)
from melodygan_desktop.checkpoints.store import resolve_checkpoint_dir
from melodygan_desktop.config import MelConfig

#: A safetensors JSON header larger than this is not one we wrote.
MAX_HEADER_BYTES = 16 << 20


@dataclass
class LoadedModel:
    """A generator ready for inference (eval mode), its metadata and the folder it came from."""

    generator: torch.nn.Module
    meta: CheckpointMeta
    path: Path

    @property
    def name(self) -> str:
        return self.meta.name or self.path.name


def build_generator(
    preset: str, mel: MelConfig, n_genres: int, architecture: dict[str, Any] | None = None
) -> torch.nn.Module:
    """A freshly initialised generator of ``preset`` (the reference for names and shapes)."""
    from melodygan_desktop.models.presets import get_preset

    return get_preset(preset).make_generator(mel, n_genres, architecture)


def _check_header(path: Path) -> None:
    """Refuse files that are not safetensors before handing them to the parser, with a useful name."""
    try:
        with open_regular(path) as handle:  # a named pipe is refused, never blocked on
            head = handle.read(9)
            size = os.fstat(handle.fileno()).st_size
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(head) == 9:
        (header_bytes,) = struct.unpack("<Q", head[:8])
        if header_bytes <= MAX_HEADER_BYTES and header_bytes + 8 <= size and head[8:9] == b"{":
            return
    if head[:1] == b"\x80" or head[:4] == b"PK\x03\x04":
        raise CheckpointError(
            f"{path}: is a Python pickle / PyTorch archive, not safetensors: refused (pickles can run code)"
        )
    raise CheckpointError(f"{path}: not a safetensors file (bad or truncated header, {size} bytes)")


def read_weights(path: Path) -> dict[str, torch.Tensor]:
    """Tensors of a safetensors file on the CPU; anything else raises ``CheckpointError``."""
    _check_header(path)
    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: damaged safetensors file ({str(exc)[:200]})") from None


def check_weights(path: Path, tensors: dict[str, torch.Tensor], reference: dict[str, torch.Tensor]) -> None:
    """Names, shapes and dtype kinds of ``tensors`` must match the preset's ``reference`` state dict."""
    missing = sorted(set(reference) - set(tensors))
    unexpected = sorted(set(tensors) - set(reference))
    problems = []
    if missing:
        problems.append(f"missing tensors {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
    if unexpected:
        more = " ..." if len(unexpected) > 5 else ""
        problems.append(f"unexpected tensors {', '.join(unexpected[:5])}{more}")
    for name in sorted(set(reference) & set(tensors)):
        want, got = reference[name], tensors[name]
        if tuple(want.shape) != tuple(got.shape):
            problems.append(f"{name} has shape {tuple(got.shape)}, the preset needs {tuple(want.shape)}")
        elif want.is_floating_point() != got.is_floating_point():
            problems.append(f"{name} has dtype {got.dtype}, the preset needs {want.dtype}")
        elif got.is_floating_point() and not bool(torch.isfinite(got).all()):
            problems.append(f"{name} holds NaN or infinite values")
        if len(problems) >= 6:
            break
    if problems:
        raise CheckpointError(f"{path}: weights do not fit the preset: {'; '.join(problems)}")


def verify_sha256(weights_path: Path, expected: str, error: type[CheckpointError] = CheckpointError) -> None:
    """Raise ``error`` naming the file unless its sha256 is ``expected`` (the hash meta.json records)."""
    try:
        digest = sha256_file(weights_path)
    except OSError as exc:
        raise error(f"{weights_path}: cannot be read ({exc.strerror or exc})") from None
    if digest != expected:
        raise error(
            f"{weights_path}: sha256 mismatch (file {digest[:12]}..., meta.json says {expected[:12]}...): "
            "the weights were changed or damaged"
        )


def load_generator(path: str | os.PathLike[str], device: str | torch.device = "cpu") -> LoadedModel:
    """Load and validate a generator from a step folder, an exported folder, or a run folder (latest step).

    Returns the generator in eval mode on ``device``. Raises ``CheckpointError`` naming the file and problem.
    """
    folder = resolve_checkpoint_dir(path)
    meta = read_meta(folder)
    weights_path = folder / WEIGHTS_NAME
    if not weights_path.exists():  # anything else there (a pipe) is refused when it is read
        raise CheckpointError(f"{folder}: no {WEIGHTS_NAME}")
    verify_sha256(weights_path, meta.sha256)
    tensors = read_weights(weights_path)
    try:
        generator = build_generator(meta.preset, meta.mel, len(meta.genres), meta.architecture)
    except Exception as exc:  # the preset cannot be built for these settings: the meta is at fault
        raise CheckpointError(f"{folder / META_NAME}: preset {meta.preset} cannot be built ({exc})") from None
    reference: dict[str, Any] = generator.state_dict()
    check_weights(weights_path, tensors, reference)
    generator.load_state_dict(tensors, strict=True)
    generator.to(device).eval()
    return LoadedModel(generator=generator, meta=meta, path=folder)
