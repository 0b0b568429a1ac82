"""Crash-safe and hostile-file-safe file operations: fsync, atomic replace, hashing, two-phase folder removal.

Rules every writer and reader in the app goes through (docs/RELIABILITY.md, "Hostile files"):

- files read from a model, run or cache folder are opened only when they are regular files, checked on the
  opened descriptor (opened non-blocking, so a named pipe never blocks);
- temporary and lock files are created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` under a fresh name inside the
  folder they belong to, so a symlink planted under that name is never written through;
- a folder is deleted or replaced only when the app can prove it made it: a real folder (not a symlink)
  holding a ``meta.json`` of a MELodyGAN format and nothing but the files such a folder holds.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

#: Suffix of folders and files being written or deleted; every reader ignores them.
TMP_SUFFIX = ".tmp"
#: Files an app-made model, codec, classifier or step folder may hold (besides ``*.safetensors``).
APP_FILE_NAMES = frozenset({"meta.json", "card.md", "training.pt"})
APP_FORMAT_PREFIX = "melodygan-"

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)


class NotRegularFileError(OSError):
    """A path the app would read is a pipe, socket, device or folder instead of a regular file."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


@contextmanager
def open_regular(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open ``path`` for reading only if it is a regular file (symlinks to one are fine).

    Opened with ``O_NONBLOCK`` and checked with ``fstat`` on the descriptor, so a named pipe, device or
    socket raises ``NotRegularFileError`` at once instead of blocking the reader forever.
    """
    fd = os.open(path, os.O_RDONLY | _NONBLOCK | _BINARY)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(errno.EINVAL, f"is {_kind(mode)}, not a regular file", str(path))
        if _NONBLOCK and hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle


def check_regular(path: str | os.PathLike[str]) -> None:
    """Raise ``NotRegularFileError`` (or the ``OSError`` of opening) unless ``path`` is a regular file."""
    with open_regular(path):
        pass


def read_regular_bytes(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``; ``ValueError`` when it holds more than ``max_bytes``."""
    with open_regular(path) as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"{path}: larger than {max_bytes} bytes, too large for this kind of file")
    return data


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _BINARY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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


def unique_tmp_path(path: Path, tag: str = "") -> Path:
    """A fresh name beside ``path`` ending in ``.tmp`` (pid and random part: never an existing entry's)."""
    return path.with_name(f"{path.name}{tag}.{os.getpid()}.{secrets.token_hex(4)}{TMP_SUFFIX}")


def create_exclusive(path: Path, mode: int = 0o644) -> BinaryIO:
    """Create and open ``path`` for writing; fails if anything (a file, a planted symlink) is there."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, mode)
    return os.fdopen(fd, "wb")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new content, never a mix.

    The temporary file has a fresh name and is created exclusively without following symlinks; it is
    removed whatever happens (a full disk included), and ``os.replace`` swaps a symlink at ``path`` itself
    for the new file instead of writing through it.
    """
    tmp = unique_tmp_path(path)
    try:
        with create_exclusive(tmp) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
    fsync_dir(path.parent)


def sha256_file(path: Path, chunk_bytes: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open_regular(path) as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def is_app_file_name(name: str) -> bool:
    """A name the app gives files in its folders, or one of its temporary files (safetensors writes
    ``.tmpXXXXXX`` before renaming; the app's own end in ``.tmp``)."""
    return name in APP_FILE_NAMES or name.endswith((".safetensors", TMP_SUFFIX)) or name.startswith(".tmp")


def app_folder_problem(folder: Path) -> str | None:
    """Why ``folder`` is not provably a folder this app made (None when it is).

    App-made: a real folder (not a symlink) whose ``meta.json`` is a JSON object with a ``format`` starting
    with ``melodygan-``, holding only regular files named like the app's (``*.safetensors``, ``meta.json``,
    ``card.md``, ``training.pt``, and ``*.tmp`` leftovers of its own writes).
    """
    try:
        info = folder.lstat()
    except OSError as exc:
        return f"cannot be inspected ({exc.strerror or exc})"
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a folder"
    try:
        entries = list(os.scandir(folder))
    except OSError as exc:
        return f"cannot be listed ({exc.strerror or exc})"
    for entry in entries:
        if not is_app_file_name(entry.name) or not entry.is_file(follow_symlinks=False):
            return f"holds {entry.name!r}, which is not a file this app writes"
    try:
        meta = json.loads(read_regular_bytes(folder / "meta.json", 1 << 20))
    except (OSError, ValueError, RecursionError):
        return "has no readable meta.json of this app"
    fmt = meta.get("format") if isinstance(meta, dict) else None
    if not isinstance(fmt, str) or not fmt.startswith(APP_FORMAT_PREFIX):
        return "has no meta.json of this app"
    return None


def check_replaceable(folder: Path) -> None:
    """Raise ``FileExistsError`` unless ``folder`` is absent, an empty real folder, or one the app made."""
    try:
        info = folder.lstat()
    except FileNotFoundError:
        return
    except OSError:
        info = None
    if info is not None and stat.S_ISDIR(info.st_mode) and not any(os.scandir(folder)):
        return
    problem = app_folder_problem(folder)
    if problem is not None:
        raise FileExistsError(
            errno.EEXIST,
            f"refusing to replace {folder}: it {problem}, so it is not a folder this app made "
            "(choose a new folder name)",
            str(folder),
        )


def _remove_own_tree(path: Path) -> None:
    """Delete a folder the app just renamed aside (never follows symlinks inside it)."""
    shutil.rmtree(path, ignore_errors=True)


def remove_tree(path: Path) -> None:
    """Delete a folder the app made in two phases (rename to a fresh ``*.tmp`` name, then remove) so a
    crash never leaves a half-deleted folder under its real name. Refuses folders it cannot prove it made."""
    if not os.path.lexists(path):
        return
    check_replaceable(path)
    doomed = unique_tmp_path(path, ".del")
    os.replace(path, doomed)
    _remove_own_tree(doomed)


def swap_in_folder(tmp: Path, final: Path) -> None:
    """Move the finished ``tmp`` folder to ``final``, replacing an existing ``final`` (moved aside first).

    An existing ``final`` is replaced only when the app made it (``check_replaceable``); anything else
    raises ``FileExistsError`` and stays as it was.
    """
    aside = None
    if os.path.lexists(final):
        check_replaceable(final)
        aside = unique_tmp_path(final, ".old")
        os.replace(final, aside)
    os.replace(tmp, final)
    fsync_dir(final.parent)
    if aside is not None:
        _remove_own_tree(aside)


def make_tmp_folder(final: Path) -> Path:
    """A fresh, empty ``.tmp`` folder beside ``final`` to write a new version into (never an existing one)."""
    tmp = unique_tmp_path(final)
    tmp.mkdir()
    return tmp
