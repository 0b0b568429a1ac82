"""One training process per run folder: an advisory lock on ``RUN_DIR/.lock``, held for the whole run.

Two processes resuming the same folder (the app and a terminal, or a command run twice) would interleave
their metrics and overwrite each other's checkpoints. The lock is the operating system's (``flock`` on
POSIX, ``msvcrt.locking`` on Windows), so it is released however the holder ends, crash included; the file
keeps the holder's process id only to name it in the message.

The lock file is opened without following symlinks and only if it is a regular file: a ``.lock`` planted
as a symlink (to a file elsewhere) or a named pipe is refused, never written through or blocked on.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

from .errors import TrainingError

LOCK_NAME = ".lock"


class RunFolderBusyError(TrainingError):
    """Another process is training in this run folder."""


def _try_lock(handle) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            handle.seek(0)  # every process locks the same first byte
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _holder(handle) -> str:
    """The process id the holder wrote, or "" (Windows keeps a locked byte unreadable)."""
    try:
        handle.seek(0)
        return handle.read().strip()
    except OSError:
        return ""


def _open_lock_file(path: Path):
    """``path`` opened read-write (created if missing): never through a symlink, only a regular file."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP or path.is_symlink():
            raise TrainingError(
                f"{path}: the run folder's lock file is a symbolic link; refusing to write through it "
                "(delete the link, then resume)"
            ) from None
        reason = exc.strerror or exc
        raise TrainingError(f"{path}: cannot open the run folder's lock file ({reason})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise TrainingError(f"{path}: the run folder's lock file is not a regular file; delete it, resume")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return os.fdopen(fd, "r+", encoding="ascii", errors="replace")


@contextlib.contextmanager
def run_folder_lock(run_dir: Path) -> Iterator[None]:
    """Hold the run folder's lock (creating the folder) or raise ``RunFolderBusyError`` at once."""
    run_dir.mkdir(parents=True, exist_ok=True)
    handle = _open_lock_file(run_dir / LOCK_NAME)
    try:
        if not _try_lock(handle):
            owner = _holder(handle)
            holder = f" (process {owner})" if owner.isdigit() else ""
            raise RunFolderBusyError(
                f"{run_dir}: another training process is using this run folder{holder}; "
                "wait for it to finish or stop it, then resume"
            )
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
        except OSError:
            pass  # the pid only names the holder in a message; a full disk must not stop a resume
        yield
    finally:
        handle.close()  # closing releases the lock
