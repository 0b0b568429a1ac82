"""The card of a model trained or fine-tuned in the app, written from what the run knows.

``TrainingRecord`` collects the facts (base model, data folder and its summary, steps, time, device, final
losses); ``card_fields`` turns them into plain JSON for ``meta.json``'s card (what the model manager lists)
and ``card_markdown`` into ``card.md`` (what "Model card…" shows). Both go to ``export_checkpoint(card=...,
card_fields=...)``. Nothing here is guessed: a fact the run did not record is left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from melodygan_desktop.paths import display_text

#: Keys ``card_fields`` writes into meta.json's card (read back by ``sharing.model_details``).
BASE_MODEL_KEY = "base_model"
BASE_MODEL_ID_KEY = "base_model_id"
DATA_FOLDER_KEY = "data_folder"
DATA_KEY = "data"
TRAINING_KEY = "training"


@dataclass(frozen=True)
class TrainingRecord:
    """What is known about a finished (or stopped) run. ``base_model`` / ``base_model_id`` are the display
    name and folder name of the model it was fine-tuned from (None when trained from scratch);
    ``clips_per_genre`` counts the data folder's clips; ``seconds`` is the time spent training."""

    preset: str
    genres: tuple[str, ...]
    data_folder: str
    step: int
    total_steps: int
    ended: str = "completed"  # "completed" or "stopped"
    base_model: str | None = None
    base_model_id: str | None = None
    tracks: int | None = None
    data_seconds: float | None = None
    clips_per_genre: dict[str, int] = field(default_factory=dict)
    seconds: float | None = None
    device: str | None = None
    final_losses: dict[str, float] = field(default_factory=dict)
    finished_at: str = ""  # ISO date and time


def _finite(value: float | None, digits: int = 4) -> float | None:
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def card_fields(record: TrainingRecord) -> dict:
    """Plain-JSON card fields for ``meta.json`` (no NaN or infinity: those are left out)."""
    fields: dict = {DATA_FOLDER_KEY: record.data_folder}
    if record.base_model_id or record.base_model:
        fields[BASE_MODEL_KEY] = record.base_model or record.base_model_id
        if record.base_model_id:
            fields[BASE_MODEL_ID_KEY] = record.base_model_id
    data: dict = {}
    if record.tracks is not None:
        data["tracks"] = int(record.tracks)
    minutes = _finite(record.data_seconds / 60.0 if record.data_seconds is not None else None, 2)
    if minutes is not None:
        data["minutes"] = minutes
    if record.clips_per_genre:
        data["clips_per_genre"] = {str(g): int(n) for g, n in record.clips_per_genre.items()}
    if data:
        fields[DATA_KEY] = data
    training: dict = {
        "steps": int(record.step), "total_steps": int(record.total_steps), "ended": record.ended
    }
    seconds = _finite(record.seconds, 1)
    if seconds is not None:
        training["seconds"] = seconds
    if record.device:
        training["device"] = record.device
    rounded = ((str(k), _finite(v)) for k, v in record.final_losses.items())
    losses = {k: v for k, v in rounded if v is not None}
    if losses:
        training["final_losses"] = losses
    if record.finished_at:
        training["finished"] = record.finished_at
    fields[TRAINING_KEY] = training
    return fields


def format_duration(seconds: float) -> str:
    """``3725 -> "1 h 2 min"``, ``95 -> "1 min 35 s"``, ``12 -> "12 s"``."""
    seconds = max(0, round(float(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def card_markdown(record: TrainingRecord, name: str) -> str:
    """``card.md`` of the model: what it was trained from, on what, how long, and where the losses ended."""
    shown = display_text(name)
    folder = display_text(record.data_folder)
    lines = [f"# {shown} (`{record.preset}`)", ""]
    if record.base_model or record.base_model_id:
        base = display_text(record.base_model or record.base_model_id or "")
        base_id = f" (`{display_text(record.base_model_id)}`)" if record.base_model_id else ""
        lines.append(f"Fine-tuned from **{base}**{base_id} on the music in `{folder}`.")
    else:
        lines.append(f"Trained from scratch on the music in `{folder}`.")
    lines += ["", f"Genres: {', '.join(display_text(g) for g in record.genres)}.", "", "## Data", ""]
    facts = [f"Folder: `{folder}` ({display_text(Path(record.data_folder).name)})"]
    if record.tracks is not None:
        facts.append(f"Tracks: {record.tracks}")
    if record.data_seconds is not None and math.isfinite(record.data_seconds):
        facts.append(f"Minutes of audio: {record.data_seconds / 60.0:.1f}")
    lines += [f"- {fact}" for fact in facts]
    if record.clips_per_genre:
        lines += ["", "| genre | clips |", "|---|---|"]
        lines += [f"| {display_text(g)} | {n} |" for g, n in record.clips_per_genre.items()]
    lines += ["", "## Training", ""]
    ended = "stopped early" if record.ended == "stopped" else record.ended
    facts = [f"Steps: {record.step} of {record.total_steps} ({ended})"]
    if record.seconds is not None and math.isfinite(record.seconds):
        facts.append(f"Time: {format_duration(record.seconds)}")
    if record.device:
        facts.append(f"Device: {display_text(record.device)}")
    if record.finished_at:
        facts.append(f"Finished: {display_text(record.finished_at)}")
    lines += [f"- {fact}" for fact in facts]
    losses = {k: v for k, v in record.final_losses.items() if math.isfinite(float(v))}
    if losses:
        lines += ["", "Final losses:", "", "| loss | value |", "|---|---|"]
        lines += [f"| {display_text(k)} | {float(v):.4g} |" for k, v in sorted(losses.items())]
    lines += [
        "",
        "## Licence",
        "",
        "The weights are derived from the music above"
        + (" and from the base model (see its card)" if record.base_model or record.base_model_id else "")
        + ": share them only as far as their licences allow.",
        "",
    ]
    return "\n".join(lines)
