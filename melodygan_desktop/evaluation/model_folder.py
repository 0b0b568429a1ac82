"""A small measuring model on disk (the genre classifier, the genre judge): one folder holding
``<weights>.safetensors`` + ``meta.json`` (+ ``card.md``).

Saved atomically (written beside the target, renamed into place); loaded trusting nothing: meta.json size,
JSON, format name and version, the weights' sha256, the safetensors header (pickles are refused, never
unpickled), tensor names and shapes against a freshly built network, finite values. Every problem raises the
caller's ``CheckpointError`` subclass with the file and the reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

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

META_NAME = "meta.json"
CARD_NAME = "card.md"
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def resolve_folder(
    path: str | os.PathLike[str], weights_name: str, what: str, error: type[CheckpointError]
) -> Path:
    """The model folder for ``path`` (the folder, or its ``meta.json`` / weights file)."""
    folder = Path(path).expanduser()
    if folder.is_file() and folder.name in (META_NAME, weights_name):
        folder = folder.parent
    if not folder.is_dir():
        raise error(f"{folder}: no such {what} folder")
    return folder


def read_meta_json(folder: str | os.PathLike[str], what: str, error: type[CheckpointError]) -> Any:
    """Parsed ``folder/meta.json`` (at most ``MAX_META_BYTES``); ``what`` names the kind of folder."""
    path = Path(folder) / META_NAME
    try:
        size = path.stat().st_size
        if size > MAX_META_BYTES:
            raise error(f"{path}: {size} bytes is too large for a meta.json")
        return json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise error(f"{Path(folder)}: no {META_NAME}, so not a {what} folder") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise error(f"{path}: not valid JSON ({type(exc).__name__}: {exc})") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None


def check_header(
    data: Any, where: str, fmt: str, version: int, what: str, error: type[CheckpointError]
) -> None:
    """``data`` must be a JSON object of format ``fmt`` with a format_version in 1..``version``."""
    if not isinstance(data, dict):
        raise error(f"{where}: expected a JSON object, got {type(data).__name__}")
    if data.get("format") != fmt:
        raise error(f"{where}: not a MELodyGAN {what} (format {data.get('format')!r})")
    found = data.get("format_version")
    if not isinstance(found, int) or isinstance(found, bool) or found < 1:
        raise error(f"{where}: format_version must be a positive integer, got {found!r}")
    if found > version:
        raise error(
            f"{where}: format_version {found} was written by a newer MELodyGAN; this one reads up to "
            f"{version} (update the app)"
        )


def check_names(genres: tuple[str, ...], sha256: str, where: str, error: type[CheckpointError]) -> None:
    """Genre names must be distinct and non-empty; ``sha256`` 64 lower-case hex digits."""
    if not genres or len(set(genres)) != len(genres) or not all(g.strip() for g in genres):
        raise error(f"{where}: genres must be distinct non-empty names, got {list(genres)}")
    if not SHA256.match(sha256):
        raise error(f"{where}: sha256 must be 64 lower-case hex digits, got {sha256!r}")


def load_weights_into(
    module: torch.nn.Module, weights: Path, sha256: str, error: type[CheckpointError]
) -> None:
    """Verify ``weights`` against ``sha256`` and load them into ``module`` (names and shapes must match)."""
    if not weights.is_file():
        raise error(f"{weights.parent}: no {weights.name}")
    verify_sha256(weights, sha256, error)
    try:
        tensors = read_weights(weights)
    except CheckpointError as exc:
        raise error(str(exc)) from None
    bad = [name for name, t in tensors.items() if t.is_floating_point() and not bool(torch.isfinite(t).all())]
    if bad:
        raise error(f"{weights}: tensor(s) {', '.join(bad[:5])} hold NaN or infinite values")
    try:
        module.load_state_dict(tensors, strict=True)
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())[:400]
        raise error(f"{weights}: weights do not fit the architecture in meta.json ({detail})") from None


def save_folder(
    module: torch.nn.Module,
    out_dir: str | os.PathLike[str],
    weights_name: str,
    fmt: str,
    meta_json: Callable[[str], str],
    error: type[CheckpointError],
    *,
    what: str,
    card: str | None = None,
) -> Path:
    """Write ``out_dir/{weights_name, meta.json, card.md}`` atomically, replacing an old folder.

    ``meta_json(sha256)`` returns the meta.json text for the weights just written. Returns ``out_dir``;
    raises ``error`` (disk full, read-only folder, metrics that are not plain JSON) leaving any previous
    folder intact.
    """
    final = Path(out_dir).expanduser()
    tmp = final.with_name(f"{final.name}{TMP_SUFFIX}")
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in module.state_dict().items()}
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        save_file(tensors, str(tmp / weights_name), metadata={"format": fmt})
        fsync_file(tmp / weights_name)
        text = meta_json(sha256_file(tmp / weights_name))
        atomic_write_bytes(tmp / META_NAME, text.encode("utf-8"))
        if card is not None:
            atomic_write_bytes(tmp / CARD_NAME, card.encode("utf-8"))
        fsync_dir(tmp)
        swap_in_folder(tmp, final)
    except (OSError, ValueError) as exc:  # ValueError: metrics that are not plain finite JSON
        shutil.rmtree(tmp, ignore_errors=True)
        raise error(f"could not write {what} {final}: {getattr(exc, 'strerror', None) or exc}") from exc
    return final
