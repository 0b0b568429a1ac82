"""A table comparing training recipes trained on the same data with the same CPU budget.

Each row comes from one run folder (``config.json``, ``metrics.jsonl``, checkpoint) and the JSON report that
``melodygan evaluate`` wrote for it; ``scripts/compare_presets.py`` produces both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from melodygan_desktop.training.run_folder import read_metrics
from melodygan_lab.evaluation.markdown import fmt, percent, table


@dataclass(frozen=True)
class ComparisonRow:
    preset: str
    paper: str
    clip_seconds: float
    steps: int
    cpu_minutes: float | None
    fd_generated: float | None
    fd_floor: float | None
    generated_accuracy: float | None
    real_accuracy: float | None


def row_from_run(run_dir: str | Path, report: dict[str, Any]) -> ComparisonRow:
    """One table row: the run's preset, how far it got and at what CPU cost, and its evaluation."""
    from melodygan_desktop.models.presets import get_preset

    model, overall = report["model"], report["overall"]
    cpu = _checkpoint_cpu_seconds(model.get("path"))
    if cpu is None:  # older checkpoints: the last logged row up to the evaluated step
        metrics = [row for row in read_metrics(Path(run_dir)) if row.get("step", 0) <= model["step"]]
        cpu = next((row["cpu_seconds"] for row in reversed(metrics) if "cpu_seconds" in row), None)
    return ComparisonRow(
        preset=model["preset"],
        paper=get_preset(model["preset"]).paper.split(":")[0],
        clip_seconds=float(report["settings"]["mel"]["clip_seconds"]),
        steps=int(model["step"]),
        cpu_minutes=None if cpu is None else cpu / 60.0,
        fd_generated=overall["fd_generated"],
        fd_floor=overall["fd_floor"],
        generated_accuracy=overall["generated_accuracy"],
        real_accuracy=overall["real_accuracy"],
    )


def _checkpoint_cpu_seconds(path: str | None) -> float | None:
    """CPU seconds the run had spent when it wrote the checkpoint at ``path`` (its resume state), or None.

    Exact at the evaluated step, unlike ``metrics.jsonl``, which logs every few steps: a preset that takes
    two minutes a step would otherwise be shown with the CPU time of its last logged step."""
    from melodygan_desktop.checkpoints import CheckpointError, load_training_state

    if not path:
        return None
    try:
        spent = load_training_state(path).get("spent_seconds", {})
    except CheckpointError:
        return None
    cpu = spent.get("cpu") if isinstance(spent, dict) else None
    return float(cpu) if cpu is not None else None


def comparison_markdown(rows: Sequence[ComparisonRow]) -> str:
    """Rows ranked by Frechet distance to real clips (lower is better; rows without one last)."""
    ranked = sorted(rows, key=lambda r: (r.fd_generated is None, r.fd_generated or 0.0))
    headers = ["rank", "preset", "paper", "clip", "steps", "CPU min", "FD generated", "FD floor",
               "heard as asked", "real clips heard"]  # fmt: skip
    body = [
        [
            str(rank), row.preset, row.paper, f"{row.clip_seconds:g} s", str(row.steps),
            fmt(row.cpu_minutes, 1), fmt(row.fd_generated, 1), fmt(row.fd_floor, 1),
            percent(row.generated_accuracy), percent(row.real_accuracy),
        ]
        for rank, row in enumerate(ranked, start=1)
    ]  # fmt: skip
    return table(headers, body)
