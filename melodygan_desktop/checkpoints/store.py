"""A run folder's checkpoints: atomic save, keep-last-N, and loading the resume state safely.

Layout: ``<run>/step_%08d/{generator.safetensors, meta.json, training.pt}``, ``<run>/latest.txt`` and, when
the run scores its checkpoints on held-out clips, ``<run>/best.txt`` (the best step folder's name, then its
score; lower is better). Pruning never deletes the folder ``best.txt`` names.
A step folder is written as ``step_X.tmp`` and renamed into place only when complete, so a crash at any
moment leaves the previous checkpoint loadable; leftover ``*.tmp`` folders are ignored and cleaned up.
Reading and writing ``latest.txt`` / ``best.txt`` and listing the step folders is ``checkpoints/pointers.py``.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import pickle
import shutil
import zipfile
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from melodygan_desktop.checkpoints.files import (
    TMP_SUFFIX,
    NotRegularFileError,
    atomic_write_bytes,
    fsync_dir,
    fsync_file,
    is_app_file_name,
    open_regular,
    remove_tree,
    sha256_file,
    swap_in_folder,
)
from melodygan_desktop.checkpoints.meta import (
    FORMAT,
    META_NAME,
    TRAINING_NAME,
    WEIGHTS_NAME,
    CheckpointError,
    CheckpointMeta,
    meta_json_bytes,
    validate_meta,
)
from melodygan_desktop.checkpoints.pointers import (  # noqa: F401  (re-exported: the store's names)
    BEST_NAME,
    LATEST_NAME,
    STEP_PATTERN,
    best_checkpoint,
    is_complete,
    latest_checkpoint,
    list_checkpoints,
    read_best,
    step_folder_name,
    write_best,
)


def _plain_tensors(state: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    tensors = {}
    for name, value in state.items():
        if not isinstance(name, str) or not isinstance(value, torch.Tensor):
            kind = type(value).__name__
            raise CheckpointError(f"generator state entry {name!r} is not a named tensor ({kind})")
        # clone: safetensors refuses tensors that share storage
        tensors[name] = value.detach().to("cpu").contiguous().clone()
    return tensors


_PLAIN = (int, float, bool, str, bytes, type(None), torch.Tensor, torch.Size, torch.dtype, torch.device)


def _check_plain(value: Any, where: str = "training_state") -> None:
    """Refuse values that ``torch.load(weights_only=True)`` could not read back (NumPy arrays, objects)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_plain(key, f"{where} key")
            _check_plain(item, f"{where}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_plain(item, f"{where}[{index}]")
    elif not isinstance(value, _PLAIN):
        raise CheckpointError(
            f"{where} is a {type(value).__name__}: resume state may hold only tensors, numbers, strings and "
            "lists/dicts of them (convert NumPy arrays with torch.from_numpy)"
        )


def _own_tmp_folder(folder: Path) -> bool:
    """A leftover step folder of this app: a real folder holding only the files a checkpoint holds."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return False
    return all(is_app_file_name(entry.name) and entry.is_file(follow_symlinks=False) for entry in entries)


def clean_stale(run_dir: Path) -> None:
    """Remove ``*.tmp`` leftovers of writes or deletions that a crash interrupted (only the app's own:
    a folder holding anything a checkpoint does not hold is left alone)."""
    for entry in run_dir.iterdir() if run_dir.is_dir() else ():
        if entry.name.startswith(("step_", LATEST_NAME, BEST_NAME)) and entry.name.endswith(TMP_SUFFIX):
            if entry.is_dir() and not entry.is_symlink():
                if _own_tmp_folder(entry):
                    shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


#: Errors of a failed write: torch.save reports a full disk as RuntimeError ("unexpected pos ..."),
#: safetensors as its own error type.
_WRITE_ERRORS = (OSError, RuntimeError, ValueError)
_DISK_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
#: Below this much free space a write error that names no errno is taken for a full disk.
_NEARLY_FULL_BYTES = 1 << 20


def is_disk_full(exc: BaseException, folder: Path) -> bool:
    """True when ``exc`` (raised while writing into ``folder``) means there is no space left."""
    for error in (exc, exc.__cause__, exc.__context__):
        if isinstance(error, OSError) and error.errno in _DISK_FULL_ERRNOS:
            return True
        if error is not None and "No space left" in str(error):
            return True
    for candidate in (folder, *folder.parents):
        try:
            return shutil.disk_usage(candidate).free < _NEARLY_FULL_BYTES
        except OSError:
            continue
    return False


def last_good_checkpoint(run_dir: Path) -> str:
    """"the last good checkpoint is step N (<folder>)" or "no checkpoint has been saved yet"."""
    latest = latest_checkpoint(run_dir)
    if latest is None:
        return "no checkpoint has been saved yet"
    match = STEP_PATTERN.match(latest.name)
    step = int(match.group(1)) if match else "?"
    return f"the last good checkpoint is step {step} ({latest})"


def write_failure(exc: BaseException, run_dir: Path, what: str, *, disk_full: bool | None = None) -> str:
    """A one-line message for a failed write of ``what`` into the run folder ``run_dir``.

    A full disk reads "disk full: <what> not written (No space left on device); the last good checkpoint
    is step N (<folder>); free some space, then resume"; other failures name the reason the same way.
    """
    reason = getattr(exc, "strerror", None) or str(exc).strip().splitlines()[0][:200] or type(exc).__name__
    if disk_full if disk_full is not None else is_disk_full(exc, run_dir):
        if "No space left" not in reason:
            reason = f"No space left on device ({reason})"
        return (f"disk full: {what}: {reason}; {last_good_checkpoint(run_dir)}; "
                "free some space, then resume the run")
    return f"{what}: {reason}; {last_good_checkpoint(run_dir)}"


def save_checkpoint(
    run_dir: str | os.PathLike[str],
    step: int,
    generator_state: Mapping[str, torch.Tensor],
    meta: CheckpointMeta,
    training_state: Mapping[str, Any] | None = None,
    keep_last: int = 3,
) -> Path:
    """Write ``run_dir/step_%08d`` atomically, point ``latest.txt`` at it and keep the newest ``keep_last``.

    ``meta.step`` and ``meta.sha256`` are filled in here (``created`` too when empty). Raises
    ``CheckpointError`` (disk full, read-only folder, unsupported state) with earlier checkpoints intact.
    """
    if step < 0:
        raise CheckpointError(f"step must be >= 0, got {step}")
    if keep_last < 1:
        raise CheckpointError(f"keep_last must be >= 1, got {keep_last}")
    run_dir = Path(run_dir)
    name = step_folder_name(step)
    final, tmp = run_dir / name, run_dir / f"{name}{TMP_SUFFIX}"
    validate_meta(meta, f"checkpoint meta for {final}", require_sha=False)
    tensors = _plain_tensors(generator_state)
    if training_state is not None:
        _check_plain(training_state)
    created = False
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        clean_stale(run_dir)
        tmp.mkdir()  # fails if anything (not ours, so left alone by clean_stale) has this name
        created = True
        weights = tmp / WEIGHTS_NAME
        save_file(tensors, str(weights), metadata={"format": FORMAT})
        fsync_file(weights)
        created = meta.created or datetime.now(timezone.utc).isoformat(timespec="seconds")
        meta = dataclasses.replace(meta, step=step, sha256=sha256_file(weights), created=created)
        atomic_write_bytes(tmp / META_NAME, meta_json_bytes(meta))
        if training_state is not None:
            torch.save(dict(training_state), tmp / TRAINING_NAME)
            fsync_file(tmp / TRAINING_NAME)
        fsync_dir(tmp)
        swap_in_folder(tmp, final)
        atomic_write_bytes(run_dir / LATEST_NAME, f"{name}\n".encode())
    except _WRITE_ERRORS as exc:
        full = is_disk_full(exc, run_dir)  # before the clean-up below frees the space again
        if created and tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        for leftover in run_dir.glob(f"{LATEST_NAME}.*{TMP_SUFFIX}") if run_dir.is_dir() else ():
            leftover.unlink(missing_ok=True)
        message = write_failure(exc, run_dir, f"could not write checkpoint {final}", disk_full=full)
        raise CheckpointError(message) from exc
    prune(run_dir, keep_last, keep=final)
    return final


def prune(run_dir: Path, keep_last: int, keep: Path | None = None) -> None:
    """Delete all but the newest ``keep_last`` step folders (``keep`` and the best checkpoint survive)."""
    steps = list_checkpoints(run_dir)
    best = read_best(run_dir)
    survivors = set(steps[-keep_last:]) | ({keep} if keep else set()) | ({best[0]} if best else set())
    for folder in steps:
        if folder not in survivors:
            try:
                remove_tree(folder)
            except OSError:  # includes a folder that is not provably the app's: it is left alone
                pass  # an old checkpoint we could not delete costs disk space, not correctness


def resolve_checkpoint_dir(path: str | os.PathLike[str]) -> Path:
    """A step/export folder from a folder, a file inside one, or a run folder (its latest checkpoint)."""
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        if path.name in (WEIGHTS_NAME, META_NAME, TRAINING_NAME):
            return path.parent
        raise CheckpointError(f"{path}: expected a checkpoint folder (or its {WEIGHTS_NAME} / {META_NAME})")
    if not path.is_dir():
        raise CheckpointError(f"{path}: no such checkpoint folder")
    if (path / META_NAME).exists() or (path / WEIGHTS_NAME).exists():
        return path
    latest = latest_checkpoint(path)
    if latest is None:
        raise CheckpointError(f"{path}: no complete checkpoint here (no {META_NAME}, no step_* folders)")
    return latest


def load_training_state(step_dir: str | os.PathLike[str], map_location: Any = "cpu") -> dict[str, Any]:
    """Read ``training.pt`` with ``torch.load(weights_only=True)``: tensors and plain data only, never code.

    ``step_dir`` may also be a run folder (its latest checkpoint). Pickles that name any other Python
    object, damaged or truncated files all raise ``CheckpointError``.
    """
    path = resolve_checkpoint_dir(step_dir) / TRAINING_NAME
    if not path.exists():
        raise CheckpointError(f"{path.parent}: has no resume state ({TRAINING_NAME})")
    try:
        with open_regular(path) as handle:
            state = torch.load(handle, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise CheckpointError(
            f"{path}: refused: it holds Python objects other than tensors and plain data, which could run "
            f"code when loaded ({first_line[:200]})"
        ) from None
    except NotRegularFileError as exc:
        raise CheckpointError(f"{path}: {exc.strerror}: refused") from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile, KeyError, TypeError) as exc:
        raise CheckpointError(f"{path}: damaged or truncated resume state ({str(exc)[:200]})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: resume state must be a dict, got {type(state).__name__}")
    return state
