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

from ..config import ConfigError, TrainConfig, from_dict, to_dict
from .errors import TrainingError

CONFIG_NAME = "config.json"
METRICS_NAME = "metrics.jsonl"
SKIPPED_NAME = "skipped.json"

#: Settings that must not change when a run is resumed (they define data, networks and the random streams).
FROZEN_ON_RESUME = ("data_dir", "preset", "batch_size", "lr_g", "lr_d", "mel", "seed", "val_fraction")


def read_run_config(run_dir: Path) -> TrainConfig | None:
    path = run_dir / CONFIG_NAME
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return from_dict(TrainConfig, data["train"])
    except (OSError, ValueError, KeyError, ConfigError) as exc:
        raise TrainingError(f"{path}: not a readable run configuration ({exc})") from None


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
    run_dir.mkdir(parents=True, exist_ok=True)
    payload = {"train": to_dict(config), **extra}
    tmp = run_dir / (CONFIG_NAME + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    os.replace(tmp, run_dir / CONFIG_NAME)


def write_skipped(run_dir: Path, data_dir: str, skipped: Sequence[tuple[str, str]]) -> None:
    """``skipped.json``: every file of ``data_dir`` this start of the run could not use, with its reason.

    Rewritten (atomically) at each start, so after a resume it describes the folder as it was read then.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        "data_dir": str(data_dir),
        "count": len(skipped),
        "skipped": [{"path": str(path), "reason": str(reason)} for path, reason in skipped],
    }
    tmp = run_dir / (SKIPPED_NAME + ".tmp")
    # ASCII escapes keep file names that are not valid UTF-8 (surrogate-escaped) representable in JSON.
    tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=True), encoding="ascii")
    os.replace(tmp, run_dir / SKIPPED_NAME)


def read_skipped(run_dir: Path) -> list[tuple[str, str]]:
    """The ``(path, reason)`` pairs of ``skipped.json`` (empty when the run has none recorded)."""
    path = Path(run_dir) / SKIPPED_NAME
    if not path.exists():
        return []
    payload = json.loads(path.read_text(encoding="ascii"))
    return [(item["path"], item["reason"]) for item in payload.get("skipped", [])]


class MetricsLog:
    """Appends one JSON line per logged step; on resume, lines past the resumed step are dropped first."""

    def __init__(self, run_dir: Path, resume_step: int) -> None:
        self.path = run_dir / METRICS_NAME
        if self.path.exists():
            self._truncate_after(resume_step)
        self._file = self.path.open("a", encoding="utf-8")

    def _truncate_after(self, step: int) -> None:
        kept = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                if json.loads(line).get("step", 0) <= step:
                    kept.append(line)
            except ValueError:
                continue  # a line cut short by a crash
        tmp = self.path.with_name(self.path.name + ".tmp")  # a kill mid-rewrite must not lose the history
        tmp.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")
        os.replace(tmp, self.path)

    def write(self, step: int, values: dict[str, float]) -> None:
        self._file.write(json.dumps({"step": step, "time": round(time.time(), 3), **values}) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def read_metrics(run_dir: Path) -> list[dict[str, float]]:
    """All complete lines of ``metrics.jsonl`` (for plots and for following a torchrun run from the GUI)."""
    path = Path(run_dir) / METRICS_NAME
    rows = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue
    return rows
