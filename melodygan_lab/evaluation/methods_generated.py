"""The mel-to-audio methods on the model's own takes (the ``generated`` part of the report's ``methods``
section). A generated mel has no original audio, so each method is measured by what it makes of the mel:

- mel consistency: the take's mel against the mel of the method's audio (the model's mel front end), mean
  |difference| in dB over bands and frames (unit difference x (db_ceil - db_floor)); and the mel-cepstral
  distortion between the two (dB, c1..c24 of the DCT of the ln mel amplitude, as ``resynthesis_scores``
  computes it from audio; both mels hold the same dB window, so power below ``db_floor`` is not counted);
- the classifier's accuracy on the method's audio (audio -> mel front end -> classifier) and the genre
  judge's (audio features): the asked genre heard;
- the musicality yardsticks of the method's audio (overall only).

Up to ``per_genre`` takes per asked genre (the first ones) go through every method, take by take, so a
change in the machine's load touches every method alike. Figures are means over takes per genre; overall
figures are means over genres. Returns a JSON-ready dict (see ``measure_generated``).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from melodygan_desktop.audio.spectral_distance import CEPSTRAL_COEFFICIENTS
from melodygan_desktop.config import MelConfig
from melodygan_desktop.evaluation.classifier_files import LoadedClassifier
from melodygan_lab.evaluation.judge_files import LoadedJudge
from melodygan_lab.evaluation.report_helpers import mean_present

#: Mel-consistency figures of a take (lower is better).
CONSISTENCY = ("mel_db", "mcd_db")
#: ``progress(stage, done, total)``; stage "methods: generated takes".
Progress = Callable[[str, int, int], None]


def mel_consistency(take: np.ndarray, again: np.ndarray, mel: MelConfig) -> tuple[float, float]:
    """(mean |dB difference|, mel-cepstral distortion in dB) between two unit log-mels (n_mels, frames)."""
    db = (np.asarray(again, np.float64) - np.asarray(take, np.float64)) * (mel.db_ceil - mel.db_floor)
    bands = db.shape[0]
    n, k = np.arange(bands), np.arange(1, CEPSTRAL_COEFFICIENTS + 1)
    basis = np.cos(math.pi / bands * (n[None, :] + 0.5) * k[:, None]) * math.sqrt(2.0 / bands)
    # ln amplitude = 0.5 ln(10) / 10 x dB + a constant, which c1..c24 do not see.
    cepstra = basis @ (0.5 * math.log(10.0) / 10.0 * db)  # (coefficients, frames)
    per_frame = (10.0 / math.log(10.0)) * np.sqrt(2.0 * (cepstra**2).sum(axis=0))
    return float(np.abs(db).mean()), float(per_frame.mean())


def pick_takes(asked: np.ndarray | None, n_genres: int, per_genre: int) -> np.ndarray:
    """Indices of the first ``per_genre`` takes of each asked genre (``asked`` None: the first
    ``per_genre`` x ``n_genres`` takes)."""
    if asked is None:
        return np.arange(per_genre * n_genres)
    asked = np.asarray(asked)
    rows = [np.flatnonzero(asked == g)[:per_genre] for g in range(n_genres)]
    return np.sort(np.concatenate(rows)) if rows else np.zeros(0, dtype=np.int64)


def measure_generated(
    generated: np.ndarray,
    asked: np.ndarray | None,
    genres: tuple[str, ...],
    mel: MelConfig,
    methods: Sequence[str],
    *,
    classifier: LoadedClassifier,
    judge: LoadedJudge | None = None,
    with_musicality: bool = True,
    per_genre: int = 8,
    seed: int = 0,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The methods on generated log-mels ``generated`` (N, n_mels, frames) in [0, 1] asked for ``asked`` (N,)
    genre indices into ``genres`` (None: an unconditional model of several genres: no accuracies, no
    per-genre figures).

    Returns ``{"methods", "takes": {genre: n} | {"all": n}, "per_method": {method: {"used", "genres":
    {genre: {"mel_db", "mcd_db", "classifier_accuracy", "judge_accuracy", "takes"} | None}, "overall":
    {the same, "musicality": {figure: mean} | None}}}, "notes"}``.
    """
    from melodygan_desktop.audio.inversion import invert, resolve_method
    from melodygan_desktop.audio.mel import MelFrontEnd, waveform_to_mel
    from melodygan_lab.evaluation.musicality import Musicality, aggregate_musicality, musicality

    report = progress or (lambda *_: None)
    methods = tuple(dict.fromkeys(methods))
    chosen = pick_takes(asked, len(genres), per_genre)
    chosen = chosen[chosen < len(generated)]
    takes = np.asarray(generated, dtype=np.float32)[chosen]
    labels = np.asarray(asked, dtype=np.int64)[chosen] if asked is not None else None
    front_end, frames = MelFrontEnd(mel), takes.shape[-1]

    def to_mel(audio: np.ndarray) -> np.ndarray:
        unit = waveform_to_mel(np.asarray(audio, dtype=np.float32), mel, front_end=front_end)
        if unit.shape[1] < frames:
            unit = np.pad(unit, ((0, 0), (0, frames - unit.shape[1])), mode="edge")
        return unit[:, :frames]

    scores = {m: {c: np.zeros(len(takes)) for c in CONSISTENCY} for m in methods}
    again = {m: np.zeros(takes.shape, dtype=np.float32) for m in methods}
    features: dict[str, list[np.ndarray]] = {m: [] for m in methods}
    music: dict[str, list[Musicality]] = {m: [] for m in methods}
    for index, take in enumerate(takes):
        for method in methods:
            audio = np.asarray(invert(take, mel, method, seed=seed + index), dtype=np.float32)
            again[method][index] = to_mel(audio)
            consistency = mel_consistency(take, again[method][index], mel)
            for name, value in zip(CONSISTENCY, consistency, strict=True):
                scores[method][name][index] = value
            if judge is not None and labels is not None:
                features[method].append(judge.features(audio, mel.sample_rate))
            if with_musicality:
                music[method].append(musicality(audio, mel.sample_rate))
        report("methods: generated takes", index + 1, len(takes))

    to_eval = np.array([genres.index(g) if g in genres else -1 for g in classifier.genres])
    known = np.array([judge.genres.index(g) if g in judge.genres else -1 for g in genres]) if judge else None

    def heard(method: str) -> dict[str, np.ndarray | None]:
        if labels is None or not len(takes):
            return {"classifier": None, "judge": None}
        right = {"classifier": to_eval[classifier.predict(again[method])] == labels, "judge": None}
        if judge is not None:
            heard_as = judge.predict(np.stack(features[method]))
            right["judge"] = (heard_as == known[labels]) & (known[labels] >= 0)
        return right

    def figures(method: str, rows: np.ndarray, right: dict[str, np.ndarray | None]) -> dict[str, Any]:
        entry: dict[str, Any] = {c: float(scores[method][c][rows].mean()) if rows.any() else None
                                 for c in CONSISTENCY}
        for who, hits in right.items():
            entry[f"{who}_accuracy"] = float(hits[rows].mean()) if hits is not None and rows.any() else None
        entry["takes"] = int(rows.sum())
        return entry

    per_method: dict[str, Any] = {}
    for method in methods:
        right = heard(method)
        if labels is not None:
            per_genre_figures = {g: figures(method, labels == i, right) for i, g in enumerate(genres)}
            present = [v for v in per_genre_figures.values() if v["takes"]]
            overall = {k: mean_present([v[k] for v in present]) for k in (*CONSISTENCY, "classifier_accuracy",
                                                                          "judge_accuracy")}
            overall["takes"] = len(takes)
        else:
            per_genre_figures = dict.fromkeys(genres)
            overall = figures(method, np.ones(len(takes), dtype=bool), right)
        if with_musicality and len(takes):
            groups = (labels, genres) if labels is not None else (np.zeros(len(takes), np.int64), ("all",))
            overall["musicality"] = aggregate_musicality(music[method], *groups)["overall"]
        else:
            overall["musicality"] = None
        per_method[method] = {"used": resolve_method(method, mel)[0], "genres": per_genre_figures,
                              "overall": overall}
    notes = [note for note in (resolve_method(m, mel)[1] for m in methods) if note]
    if labels is None:
        notes.append("unconditional model of several genres: no accuracies on generated takes")
    return {
        "methods": list(methods),
        "takes": {g: int((labels == i).sum()) for i, g in enumerate(genres)} if labels is not None
        else {"all": len(takes)},
        "judged": judge is not None and labels is not None,
        "musicality": with_musicality,
        "per_method": per_method,
        "notes": notes,
    }


def methods_section(
    real_folder: str | os.PathLike[str] | None,
    generated: np.ndarray,
    asked: np.ndarray | None,
    genres: tuple[str, ...],
    mel: MelConfig,
    methods: Sequence[str],
    *,
    classifier: LoadedClassifier,
    judge: LoadedJudge | None = None,
    with_musicality: bool = True,
    per_genre: int = 8,
    seed: int = 0,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The report's ``methods`` section: ``methods_report.methods_measures`` on up to ``per_genre`` real
    clips per genre of ``real_folder`` (when it is a folder; else only ``methods``, ``baseline`` and a note)
    and, under ``generated``, ``measure_generated`` on as many takes per genre (with its ``seconds``)."""
    from melodygan_lab.evaluation.methods_report import BASELINE, methods_measures

    if real_folder is not None and Path(real_folder).is_dir():
        section = methods_measures(real_folder, mel, methods, genres, classifier=classifier, judge=judge,
                                   per_genre=per_genre, seed=seed, progress=progress)
    else:
        section = {"methods": list(dict.fromkeys((*methods, BASELINE))), "baseline": BASELINE,
                   "notes": ["no folder of real audio: the methods are measured on generated takes only"]}
    started = time.perf_counter()
    section["generated"] = measure_generated(
        generated, asked, genres, mel, section["methods"], classifier=classifier, judge=judge,
        with_musicality=with_musicality, per_genre=per_genre, seed=seed, progress=progress,
    )  # fmt: skip
    section["generated"]["seconds"] = round(time.perf_counter() - started, 2)
    return section


__all__ = ["CONSISTENCY", "measure_generated", "mel_consistency", "methods_section", "pick_takes"]
