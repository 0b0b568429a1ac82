"""A run folder's pointer files and step folders: ``latest.txt``, ``best.txt`` and the complete ``step_*``.

``<run>/latest.txt`` names the newest step folder and, when the run scores its checkpoints on held-out
clips, ``<run>/best.txt`` the best one (its name, then its score; lower is better). Both are written
atomically; a step folder counts only once it is complete (renamed into place, weights and meta inside).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from melodygan_desktop.checkpoints.files import TMP_SUFFIX, atomic_write_bytes, read_regular_bytes
from melodygan_desktop.checkpoints.meta import META_NAME, WEIGHTS_NAME, CheckpointError

LATEST_NAME = "latest.txt"
BEST_NAME = "best.txt"
STEP_PATTERN = re.compile(r"^step_(\d{8,})$")


def step_folder_name(step: int) -> str:
    return f"step_{step:08d}"


def is_complete(folder: Path) -> bool:
    """A finished step/export folder: a real (non-tmp) folder holding weights and meta."""
    return (
        not folder.name.endswith(TMP_SUFFIX)
        and (folder / WEIGHTS_NAME).is_file()
        and (folder / META_NAME).is_file()
    )


def list_checkpoints(run_dir: str | os.PathLike[str], complete=None) -> list[Path]:
    """Complete step folders of ``run_dir``, oldest step first (``complete(folder)``: what counts as
    complete; default ``is_complete``, a generator checkpoint)."""
    complete = complete or is_complete
    run_dir = Path(run_dir)
    found = []
    try:
        entries = list(os.scandir(run_dir))
    except OSError:
        return []
    for entry in entries:
        match = STEP_PATTERN.match(entry.name)
        if match and entry.is_dir(follow_symlinks=False) and complete(Path(entry.path)):
            found.append((int(match.group(1)), Path(entry.path)))
    return [path for _, path in sorted(found)]


def latest_checkpoint(run_dir: str | os.PathLike[str]) -> Path | None:
    """The newest complete step folder, else None.

    A step folder only appears complete after its atomic rename, so it is safe to use even when a kill
    came before ``latest.txt`` was updated; ``latest.txt`` names the same folder for people and tools.
    """
    steps = list_checkpoints(run_dir)
    return steps[-1] if steps else None


def read_best(run_dir: str | os.PathLike[str]) -> tuple[Path, float | None] | None:
    """The complete step folder ``best.txt`` names and its score (None if unreadable), else None."""
    run_dir = Path(run_dir)
    try:
        lines = read_regular_bytes(run_dir / BEST_NAME, 4096).decode("utf-8", "replace").splitlines()
    except (OSError, ValueError):
        return None
    if not lines or not STEP_PATTERN.match(lines[0].strip()):
        return None
    folder = run_dir / lines[0].strip()
    if not folder.is_dir() or not is_complete(folder):
        return None
    score = None
    if len(lines) > 1:
        try:
            score = float(lines[1].strip())
        except ValueError:
            score = None
    return folder, score


def write_best(run_dir: str | os.PathLike[str], folder: str | os.PathLike[str], score: float) -> None:
    """Point ``best.txt`` (atomically) at the step folder ``folder`` with its ``score``."""
    name = Path(folder).name
    if not STEP_PATTERN.match(name):
        raise CheckpointError(f"{folder}: not a step folder")
    from melodygan_desktop.checkpoints.store import write_failure  # here: store imports this module

    try:
        atomic_write_bytes(Path(run_dir) / BEST_NAME, f"{name}\n{float(score)!r}\n".encode())
    except OSError as exc:
        raise CheckpointError(write_failure(exc, Path(run_dir), f"could not write {BEST_NAME}")) from exc


def best_checkpoint(run_dir: str | os.PathLike[str]) -> Path | None:
    """The step folder ``best.txt`` names (the best held-out score so far), else the newest, else None."""
    best = read_best(run_dir)
    return best[0] if best else latest_checkpoint(run_dir)


__all__ = [
    "BEST_NAME",
    "LATEST_NAME",
    "STEP_PATTERN",
    "best_checkpoint",
    "is_complete",
    "latest_checkpoint",
    "list_checkpoints",
    "read_best",
    "step_folder_name",
    "write_best",
]
