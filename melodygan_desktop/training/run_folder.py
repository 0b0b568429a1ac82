"""The run folder as an interface: ``config.json`` written once, ``metrics.jsonl`` appended by rank 0.

``skipped.json`` lists the data folder's unusable files and why, rewritten by rank 0 at each start.
A run folder that already holds ``config.json`` is resumed; the stored settings that define the data and the
networks must match, while the number of steps may be raised to continue training.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..checkpoints.files import atomic_write_bytes, read_regular_bytes
from ..checkpoints.store import write_failure
from ..config import MAX_THREADS, ConfigError, TrainConfig, from_dict, to_dict
from .errors import TrainingError

#: Run-folder files larger than this are not ones the app wrote (metrics of a very long run stay far below).
MAX_RUN_FILE_BYTES = 256 << 20

CONFIG_NAME = "config.json"
METRICS_NAME = "metrics.jsonl"
SKIPPED_NAME = "skipped.json"

#: Settings that must not change when a run is resumed (they define data, networks and the random streams).
FROZEN_ON_RESUME = ("data_dir", "preset", "batch_size", "lr_g", "lr_d", "mel", "seed", "val_fraction")


def _write(run_dir: Path, name: str, data: bytes) -> None:
    """Atomic write of a run-folder file; a failure (a full disk) is one clear ``TrainingError``."""
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(run_dir / name, data)
    except OSError as exc:
        raise TrainingError(write_failure(exc, run_dir, f"could not write {run_dir / name}")) from None


def _read_text(path: Path) -> str:
    """A run-folder file as text: regular files only (a named pipe never blocks), bounded in size."""
    return read_regular_bytes(path, MAX_RUN_FILE_BYTES).decode("utf-8")


def read_run_config(run_dir: Path) -> TrainConfig | None:
    path = run_dir / CONFIG_NAME
    if not os.path.lexists(path):
        return None
    try:
        data = json.loads(_read_text(path))
        train = dict(data["train"])
        # The thread count is this machine's business (every resume sets it); a folder from a bigger one
        # keeps loading.
        if isinstance(train.get("threads"), int) and not isinstance(train["threads"], bool):
            train["threads"] = max(0, min(train["threads"], MAX_THREADS))
        return from_dict(TrainConfig, train)
    except (OSError, ValueError, KeyError, TypeError, ConfigError, RecursionError) as exc:
        detail = getattr(exc, "strerror", None) or exc
        raise TrainingError(f"{path}: not a readable run configuration ({detail})") from None


def reconcile(stored: TrainConfig, requested: TrainConfig) -> TrainConfig:
    """Settings for a resumed run: the stored ones, with the requested step count and runtime knobs.

    A requested ``None`` (batch size, learning rates, mel) means "the run's own"; any other difference in a
    frozen setting is an error.
    """
    changed = [
        name for name in FROZEN_ON_RESUME
        if getattr(requested, name) is not None and getattr(stored, name) != getattr(requested, name)
    ]
    if changed:
        raise TrainingError(
            "cannot resume: this run folder was started with different " + ", ".join(changed)
            + "; start a new run folder or use the original settings"
        )
    return dataclasses.replace(
        stored,
        steps=requested.steps,
        device=requested.device,
        threads=requested.threads,
        checkpoint_every=requested.checkpoint_every,
        keep_last=requested.keep_last,
        log_every=requested.log_every,
        preview_every=requested.preview_every,
        max_minutes=requested.max_minutes,
        budget_clock=requested.budget_clock,
    )


def write_run_config(run_dir: Path, config: TrainConfig, extra: dict[str, Any]) -> None:
    payload = {"train": to_dict(config), **extra}
    _write(run_dir, CONFIG_NAME, json.dumps(payload, indent=2).encode("utf-8"))


def write_skipped(run_dir: Path, data_dir: str, skipped: Sequence[tuple[str, str]]) -> None:
    """``skipped.json``: every file of ``data_dir`` this start of the run could not use, with its reason.

    Rewritten (atomically) at each start, so after a resume it describes the folder as it was read then.
    """
    payload = {
        "data_dir": str(data_dir),
        "count": len(skipped),
        "skipped": [{"path": str(path), "reason": str(reason)} for path, reason in skipped],
    }
    # ASCII escapes keep file names that are not valid UTF-8 (surrogate-escaped) representable in JSON.
    _write(run_dir, SKIPPED_NAME, json.dumps(payload, indent=2, ensure_ascii=True).encode("ascii"))


def read_skipped(run_dir: Path) -> list[tuple[str, str]]:
    """The ``(path, reason)`` pairs of ``skipped.json`` (empty when the run has none recorded)."""
    path = Path(run_dir) / SKIPPED_NAME
    if not path.exists():
        return []
    payload = json.loads(_read_text(path))
    return [(item["path"], item["reason"]) for item in payload.get("skipped", [])]


class MetricsLog:
    """Appends one JSON line per logged step; on resume, lines past the resumed step are dropped first."""

    def __init__(self, run_dir: Path, resume_step: int) -> None:
        self.run_dir = run_dir
        self.path = run_dir / METRICS_NAME
        if os.path.lexists(self.path):
            self._truncate_after(resume_step)
        try:  # appended to, never through a planted symlink
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            raise TrainingError(write_failure(exc, run_dir, f"could not open {self.path}")) from None
        self._file = os.fdopen(fd, "a", encoding="utf-8")

    def _truncate_after(self, step: int) -> None:
        kept = []
        try:
            text = read_regular_bytes(self.path, MAX_RUN_FILE_BYTES).decode("utf-8", "replace")
        except (OSError, ValueError) as exc:
            detail = getattr(exc, "strerror", None) or exc
            raise TrainingError(f"{self.path}: not a readable metrics log ({detail})") from None
        for line in text.splitlines():
            try:
                if json.loads(line).get("step", 0) <= step:
                    kept.append(line)
            except (ValueError, AttributeError):
                continue  # a line cut short by a crash
        # A kill mid-rewrite must not lose the history: a temporary file, then an atomic rename.
        _write(self.run_dir, METRICS_NAME, "".join(f"{line}\n" for line in kept).encode("utf-8"))

    def write(self, step: int, values: dict[str, float]) -> None:
        try:
            self._file.write(json.dumps({"step": step, "time": round(time.time(), 3), **values}) + "\n")
            self._file.flush()
        except OSError as exc:
            message = write_failure(exc, self.run_dir, f"could not append to {self.path}")
            raise TrainingError(message) from None

    def close(self) -> None:
        try:
            self._file.close()
        except OSError:
            pass  # a buffered line lost to a full disk was already reported by write()


def read_metrics(run_dir: Path) -> list[dict[str, float]]:
    """All complete lines of ``metrics.jsonl`` (for plots and for following a torchrun run from the GUI)."""
    path = Path(run_dir) / METRICS_NAME
    rows = []
    if path.exists():
        for line in _read_text(path).splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue
    return rows
