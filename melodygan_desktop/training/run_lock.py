"""One training process per run folder: an advisory lock on ``RUN_DIR/.lock``, held for the whole run.

Two processes resuming the same folder (the app and a terminal, or a command run twice) would interleave
their metrics and overwrite each other's checkpoints. The lock is the operating system's (``flock`` on
POSIX, ``msvcrt.locking`` on Windows), so it is released however the holder ends, crash included; the file
keeps the holder's process id only to name it in the message.
"""

from __future__ import annotations

import contextlib
import os
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


@contextlib.contextmanager
def run_folder_lock(run_dir: Path) -> Iterator[None]:
    """Hold the run folder's lock (creating the folder) or raise ``RunFolderBusyError`` at once."""
    run_dir.mkdir(parents=True, exist_ok=True)
    handle = open(run_dir / LOCK_NAME, "a+", encoding="ascii")  # noqa: SIM115 - held open while training
    try:
        if not _try_lock(handle):
            owner = _holder(handle)
            holder = f" (process {owner})" if owner.isdigit() else ""
            raise RunFolderBusyError(
                f"{run_dir}: another training process is using this run folder{holder}; "
                "wait for it to finish or stop it, then resume"
            )
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()  # closing releases the lock
