"""The audio half of ``evaluate_model``: generated takes turned into sound with the app's mel-to-audio method
and real test clips decoded from their files (never resynthesised), measured with the musicality yardsticks
and heard by the independent genre judge. Returns a JSON-ready dict (see ``audio_measures``)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from melodygan_desktop.config import MelConfig
from melodygan_lab.evaluation.judge_files import LoadedJudge
from melodygan_lab.evaluation.musicality import SAMPLE_RATE, Musicality, aggregate_musicality, musicality
from melodygan_lab.evaluation.report_helpers import mean_present

#: ``progress(stage, done, total)``.
Progress = Callable[[str, int, int], None]


def judge_section(
    judge: LoadedJudge,
    genres: tuple[str, ...],
    generated: tuple[np.ndarray, np.ndarray | None],
    real: tuple[np.ndarray, np.ndarray],
) -> dict[str, Any]:
    """How often the judge hears each genre as asked: ``generated = (features (N, D), asked (N,) | None)``,
    ``real = (features (M, D), labels (M,))``, labels indexing ``genres``; genres the judge does not know
    score None. Overall figures are means over genres; ``accuracy_ratio`` = generated / real."""
    known = np.array([judge.genres.index(g) if g in judge.genres else -1 for g in genres], dtype=np.int64)

    def heard_right(features: np.ndarray, labels: np.ndarray) -> np.ndarray:
        heard = judge.predict(features) if len(features) else np.zeros(0, dtype=np.int64)
        return heard == known[labels], heard

    (gen_x, asked), (real_x, real_labels) = generated, real
    gen_right, gen_heard = heard_right(gen_x, asked) if asked is not None else (None, None)
    real_right, _ = heard_right(real_x, real_labels)
    per_genre: dict[str, dict[str, float | None]] = {}
    for index, genre in enumerate(genres):
        scored = known[index] >= 0
        gen_rows = asked == index if asked is not None else None
        real_rows = real_labels == index
        per_genre[genre] = {
            "generated_accuracy": float(gen_right[gen_rows].mean())
            if scored and gen_rows is not None and gen_rows.any()
            else None,
            "real_accuracy": float(real_right[real_rows].mean()) if scored and real_rows.any() else None,
        }
    generated_overall = mean_present([v["generated_accuracy"] for v in per_genre.values()])
    real_overall = mean_present([v["real_accuracy"] for v in per_genre.values()])
    confusion = np.zeros((len(genres), len(judge.genres)), dtype=np.int64)
    if asked is not None and len(asked):
        np.add.at(confusion, (asked, gen_heard), 1)
    return {
        "path": str(judge.path) if judge.path else None,
        "sha256": judge.meta.sha256,
        "genres": list(judge.genres),
        "test_accuracy": judge.meta.metrics.get("test", {}).get("accuracy"),
        "per_genre": per_genre,
        "overall": {
            "generated_accuracy": generated_overall,
            "real_accuracy": real_overall,
            "accuracy_ratio": generated_overall / real_overall
            if generated_overall is not None and real_overall
            else None,
        },
        "confusion": {"asked": list(genres), "heard": list(judge.genres), "counts": confusion.tolist()},
    }


def _musicality_summary(
    rows: list[Musicality], labels: np.ndarray | None, genres: tuple[str, ...]
) -> dict[str, Any]:
    if labels is not None:
        return aggregate_musicality(rows, labels, genres)
    pooled = aggregate_musicality(rows, np.zeros(len(rows), dtype=np.int64), ("all",))["genres"]["all"]
    pooled.pop("clips")
    return {"genres": {g: None for g in genres}, "overall": pooled}


def audio_measures(
    generated: np.ndarray,
    asked: np.ndarray | None,
    genres: tuple[str, ...],
    mel: MelConfig,
    real_folder: str | os.PathLike[str] | None,
    *,
    judge: LoadedJudge | None,
    with_musicality: bool = True,
    per_genre: int = 32,
    seed: int = 0,
    method: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Musicality (real vs generated, per genre and overall) and the judge's accuracy (generated vs real) for
    generated log-mels ``generated`` (N, n_mels, frames) in [0, 1] asked for ``asked`` (N,) genre indices
    (None: an unconditional model of several genres, so only pooled figures apply), and up to ``per_genre``
    real clips per genre of ``real_folder`` (sub-folders named like ``genres``).

    Returns ``{"method", "real_source", "clips": {"real", "generated"}, "musicality": {"real",
    "generated"} | None, "judge": judge_section(...) | None, "notes", "seconds"}``.
    """
    from melodygan_desktop.audio.inversion import default_method, invert
    from melodygan_lab.evaluation.audio_clips import ClipFolder

    method = method or default_method()
    report = progress or (lambda *_: None)
    notes: list[str] = []
    timings: dict[str, float] = {}
    tick = time.perf_counter()
    gen_music: list[Musicality] = []
    gen_features = []
    for index, clip in enumerate(generated):
        audio = invert(np.asarray(clip, dtype=np.float32), mel, method, seed=seed + index)
        if with_musicality:
            gen_music.append(musicality(audio, mel.sample_rate))
        if judge is not None:
            gen_features.append(judge.features(audio, mel.sample_rate))
        report("audio: generated takes", index + 1, len(generated))
    timings["generated"] = time.perf_counter() - tick
    tick = time.perf_counter()
    real_music: list[Musicality] = []
    real_features, real_labels = [], []
    if real_folder is not None and Path(real_folder).is_dir():
        folder = ClipFolder(real_folder)
        picks = folder.pick_clips(
            per_genre,
            SAMPLE_RATE,
            mel.clip_seconds,
            seed=seed,
            genres=genres,
            progress=lambda d, t: report("audio: real clips", d, t),
        )
        for clip in picks:
            real_labels.append(genres.index(clip.genre))
            if with_musicality:
                real_music.append(musicality(clip.audio, SAMPLE_RATE))
            if judge is not None:
                real_features.append(judge.features(clip.audio, SAMPLE_RATE))
        notes += [f"{path}: {reason}" for path, reason in folder.skipped[:10]]
    else:
        notes.append("no folder of real audio: real musicality and the judge's real accuracy are missing")
    timings["real"] = time.perf_counter() - tick
    labels = np.array(real_labels, dtype=np.int64)
    width = len(judge.meta.feature_names) if judge is not None else 0

    def stack(rows: list[np.ndarray]) -> np.ndarray:
        return np.stack(rows) if rows else np.zeros((0, width), dtype=np.float32)

    if judge is not None and not set(genres) & set(judge.genres):
        notes.append(f"the judge knows none of the model's genres ({', '.join(judge.genres)})")
    asked_counts = np.bincount(asked, minlength=len(genres)) if asked is not None else None
    return {
        "method": method,
        "real_source": str(real_folder) if real_folder is not None else None,
        "clips": {
            "real": {g: int((labels == i).sum()) for i, g in enumerate(genres)},
            "generated": {g: int(asked_counts[i]) for i, g in enumerate(genres)}
            if asked_counts is not None
            else {"all": len(generated)},
        },
        "musicality": {
            "real": aggregate_musicality(real_music, labels, genres),
            "generated": _musicality_summary(gen_music, asked, genres),
        }
        if with_musicality
        else None,
        "judge": judge_section(judge, genres, (stack(gen_features), asked), (stack(real_features), labels))
        if judge is not None
        else None,
        "notes": notes,
        "seconds": {k: round(v, 2) for k, v in timings.items()},
    }
