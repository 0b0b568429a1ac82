"""Markdown tables for classifier cards and evaluation reports (``report_markdown`` renders
``report.evaluate_model``'s dict)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def fmt(value: float | int | None, digits: int = 3) -> str:
    """A number for a table cell; ``None`` (not measurable) shows as ``n/a``."""
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-style Markdown table; cells are converted with ``str`` and ``|`` escaped."""

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def confusion_table(
    confusion: Sequence[Sequence[int]], genres: Sequence[str], corner: str = "true \\ heard"
) -> str:
    """Confusion matrix (rows: true or asked genre, columns: predicted) with per-row recall."""
    rows = []
    for genre, counts in zip(genres, confusion, strict=True):
        total = sum(counts)
        recall = percent(counts[genres.index(genre)] / total) if total else "n/a"
        rows.append([genre, *counts, recall])
    return table([corner, *genres, "recall"], rows)


def report_markdown(report: dict[str, Any]) -> str:
    """A Markdown summary of ``evaluate_model``'s dict: one row per genre plus overall, and the confusion."""
    methods = report["settings"]["methods"]
    headers = ["genre", "heard as asked", "real clips heard", "FD generated", "FD floor (real vs real)"]
    headers += [f"FD {m}" for m in methods] + ["clips (gen / ref / floor)"]
    rows = []
    for genre, v in report["genres"].items():
        c = v["clips"]
        rows.append(
            [
                genre,
                percent(v["generated_accuracy"]),
                percent(v["real_accuracy"]),
                fmt(v["fd_generated"]),
                fmt(v["fd_floor"]),
                *[fmt(v["fd_resynth"][m]) for m in methods],
                f"{c['generated']} / {c['reference']} / {c['floor']}",
            ]
        )
    o = report["overall"]
    rows.append(
        [
            "**overall**",
            percent(o["generated_accuracy"]),
            percent(o["real_accuracy"]),
            fmt(o["fd_generated"]),
            fmt(o["fd_floor"]),
            *[fmt(o["fd_resynth"][m]) for m in methods],
            "",
        ]
    )
    model = report["model"]
    lines = [
        f"## {model['name']} ({model['preset']}, step {model['step']})",
        "",
        table(headers, rows),
        "",
        f"Generated genre accuracy is {percent(o['accuracy_ratio'])} of the classifier's accuracy on real "
        "clips."
        if o["accuracy_ratio"] is not None
        else "Unconditional model of several genres: genre accuracy does not apply.",
        "Frechet distances are between classifier embeddings; the floor is two halves of the real test clips "
        "(split by track), the FD of a method is real clips resynthesised through it.",
    ]
    if model.get("asks_genre", model["conditional"]):
        c = report["confusion"]
        lines += [
            "",
            confusion_table(c["counts"], c["asked"], corner="asked \\ heard")
            if c["asked"] == c["heard"]
            else table(
                ["asked \\ heard", *c["heard"]],
                [[g, *r] for g, r in zip(c["asked"], c["counts"], strict=True)],
            ),
        ]
    lines += [f"- {note}" for note in report["notes"]]
    return "\n".join(lines) + "\n"
