"""Crash-safe file operations for checkpoints: fsync, atomic replace, hashing, two-phase folder removal."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

#: Suffix of folders and files being written or deleted; every reader ignores them.
TMP_SUFFIX = ".tmp"


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable; a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new content, never a mix."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}{TMP_SUFFIX}")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    fsync_dir(path.parent)


def sha256_file(path: Path, chunk_bytes: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def remove_tree(path: Path) -> None:
    """Delete a folder in two phases (rename to ``*.tmp``, then remove) so a crash never leaves a
    half-deleted folder under its real name."""
    if not path.exists():
        return
    doomed = path.with_name(f"{path.name}.del{TMP_SUFFIX}")
    if doomed.exists():
        shutil.rmtree(doomed, ignore_errors=True)
    os.replace(path, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def swap_in_folder(tmp: Path, final: Path) -> None:
    """Move the finished ``tmp`` folder to ``final``, replacing an existing ``final`` (moved aside first)."""
    aside = None
    if final.exists():
        aside = final.with_name(f"{final.name}.old{TMP_SUFFIX}")
        if aside.exists():
            shutil.rmtree(aside, ignore_errors=True)
        os.replace(final, aside)
    os.replace(tmp, final)
    fsync_dir(final.parent)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
