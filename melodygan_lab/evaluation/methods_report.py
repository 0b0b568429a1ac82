"""The mel-to-audio methods section of ``evaluate_model``: real test clips, decoded from their files, turned
into the model's log-mel and back into audio through each inversion method, then measured against the
original audio (multi-resolution STFT distance, log-spectral distance, mel-cepstral distortion, spectral
convergence; ``audio.spectral_distance``), timed (process CPU seconds per 10 s of audio) and heard by the
genre classifier (audio -> the model's mel front end -> classifier) and the genre judge, beside what they
hear on the original clips. ``nnls-fgla`` is always measured: the win counts are against it.

Distances are means over clips (per genre and overall); accuracies are per genre and, overall, their mean
over genres (as in the rest of the report). Returns a JSON-ready dict (see ``methods_measures``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from melodygan_desktop.config import MelConfig
from melodygan_desktop.evaluation.classifier_files import LoadedClassifier
from melodygan_lab.evaluation.judge_files import LoadedJudge
from melodygan_lab.evaluation.report_helpers import mean_present

#: The method every other one is counted against.
BASELINE = "nnls-fgla"
#: Real clips per genre the section measures unless told otherwise.
METHOD_CLIPS = 8
#: The four distances of ``ResynthesisScores`` (lower is better).
DISTANCES = ("mrstft", "lsd_db", "mcd_db", "convergence")
#: ``progress(stage, done, total)``; stages "methods: real clips", "methods: resynthesising".
Progress = Callable[[str, int, int], None]


def register_vocoders(folder: str | os.PathLike[str] | None = None) -> bool:
    """Offer the "vocoder" method: the vocoder (or vocoder run) in ``folder``, else the bundled one when it is
    installed. True when a vocoder is registered."""
    import melodygan_desktop.inference  # noqa: F401  (registers the bundled vocoder on import: first, so

    # that ``folder`` wins)
    from melodygan_desktop.checkpoints.vocoder_method import register_vocoder_method

    return register_vocoder_method(Path(folder) if folder is not None else None)


def _accuracies(right: np.ndarray | None, labels: np.ndarray, genres: Sequence[str]) -> dict[str, Any]:
    """Per genre share of ``right`` (bool per clip; None: not measured) and their mean over genres."""
    per_genre = {
        g: float(right[labels == i].mean()) if right is not None and (labels == i).any() else None
        for i, g in enumerate(genres)
    }
    return {"genres": per_genre, "overall": mean_present(list(per_genre.values()))}


def _ratio(part: float | None, whole: float | None) -> float | None:
    return part / whole if part is not None and whole else None


def measure_methods(
    clips: Sequence[np.ndarray],
    labels: np.ndarray,
    genres: tuple[str, ...],
    mel: MelConfig,
    methods: Sequence[str],
    *,
    classifier: LoadedClassifier,
    judge: LoadedJudge | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The section for real audio ``clips`` (mono float32 at ``mel.sample_rate``, at least a clip long) of
    genres ``labels`` (indices into ``genres``, which the classifier knows), through each of ``methods``
    (``BASELINE`` is added when missing). The clip-by-clip loop runs the methods in turn, so a change in
    the machine's load touches every method alike."""
    import torch

    from melodygan_desktop.audio.inversion import invert, resolve_method
    from melodygan_desktop.audio.mel import MelFrontEnd, waveform_to_mel
    from melodygan_desktop.audio.spectral_distance import resynthesis_scores

    report = progress or (lambda *_: None)
    methods = tuple(dict.fromkeys((*methods, BASELINE)))
    labels = np.asarray(labels, dtype=np.int64)
    front_end, frames = MelFrontEnd(mel), mel.frames
    samples = mel.samples_for_frames(frames)

    def to_mel(audio: np.ndarray) -> np.ndarray:
        unit = waveform_to_mel(np.asarray(audio, dtype=np.float32), mel, front_end=front_end)
        if unit.shape[1] < frames:
            unit = np.pad(unit, ((0, 0), (0, frames - unit.shape[1])), mode="edge")
        return unit[:, :frames]

    notes = [note for note in (resolve_method(m, mel)[1] for m in methods) if note]
    # Cut to what a clip's mel turns back into, so the original and every method's audio line up exactly.
    originals = [np.asarray(c, dtype=np.float32)[:samples] for c in clips]
    mels = np.stack([to_mel(a) for a in originals]) if originals else np.zeros((0, mel.n_mels, frames))
    scores = {m: {d: np.zeros(len(mels)) for d in DISTANCES} for m in methods}
    cpu = dict.fromkeys(methods, 0.0)
    again = {m: np.zeros(mels.shape, dtype=np.float32) for m in methods}
    features: dict[str, list[np.ndarray]] = {m: [] for m in ("original", *methods)}
    for index, unit in enumerate(mels):
        if judge is not None:
            features["original"].append(judge.features(originals[index], mel.sample_rate))
        for method in methods:
            tick = time.process_time()
            audio = invert(unit, mel, method, seed=seed + index)
            cpu[method] += time.process_time() - tick
            clip_scores = resynthesis_scores(originals[index], audio, mel)
            for name in DISTANCES:
                scores[method][name][index] = float(getattr(clip_scores, name)[0])
            again[method][index] = to_mel(audio)
            if judge is not None:
                features[method].append(judge.features(audio, mel.sample_rate))
        report("methods: resynthesising", index + 1, len(mels))

    to_eval = np.array([genres.index(g) if g in genres else -1 for g in classifier.genres])
    known = np.array([judge.genres.index(g) if g in judge.genres else -1 for g in genres]) if judge else None

    def classifier_right(batch: np.ndarray) -> np.ndarray | None:
        return to_eval[classifier.predict(batch)] == labels if len(batch) else None

    def judge_right(rows: list[np.ndarray]) -> np.ndarray | None:
        if judge is None or not rows:
            return None
        return (judge.predict(np.stack(rows)) == known[labels]) & (known[labels] >= 0)

    original = {"classifier": _accuracies(classifier_right(mels), labels, genres),
                "judge": _accuracies(judge_right(features["original"]), labels, genres) if judge else None}
    audio_seconds = len(mels) * samples / mel.sample_rate
    per_method: dict[str, Any] = {}
    for method in methods:
        heard = {"classifier": _accuracies(classifier_right(again[method]), labels, genres),
                 "judge": _accuracies(judge_right(features[method]), labels, genres) if judge else None}

        def figures(rows: np.ndarray, genre: str | None, method: str = method, heard=heard) -> dict[str, Any]:
            entry: dict[str, Any] = {
                d: float(scores[method][d][rows].mean()) if rows.any() else None for d in DISTANCES
            }
            entry["clips"] = int(rows.sum())
            for d, key in (("mrstft", "wins_mrstft"), ("mcd_db", "wins_mcd")):
                entry[key] = int((scores[method][d][rows] < scores[BASELINE][d][rows]).sum())
            for who in ("classifier", "judge"):
                if heard[who] is None:
                    entry[f"{who}_accuracy"] = entry[f"{who}_ratio"] = None
                    continue
                mine = heard[who]["genres"][genre] if genre else heard[who]["overall"]
                base = original[who]["genres"][genre] if genre else original[who]["overall"]
                entry[f"{who}_accuracy"], entry[f"{who}_ratio"] = mine, _ratio(mine, base)
            return entry

        per_method[method] = {
            "used": resolve_method(method, mel)[0],
            "cpu_seconds_per_10s": 10.0 * cpu[method] / audio_seconds if audio_seconds else None,
            "realtime": audio_seconds / cpu[method] if audio_seconds and cpu[method] > 0 else None,
            "genres": {g: figures(labels == i, g) for i, g in enumerate(genres)},
            "overall": figures(np.ones(len(labels), dtype=bool), None),
            "per_clip": {d: [round(float(v), 5) for v in scores[method][d]] for d in DISTANCES},
        }
    return {
        "methods": list(methods),
        "baseline": BASELINE,
        "threads": torch.get_num_threads(),
        "clips": {g: int((labels == i).sum()) for i, g in enumerate(genres)},
        "original": original,
        "per_method": per_method,
        "notes": notes,
    }


def methods_measures(
    real_folder: str | os.PathLike[str],
    mel: MelConfig,
    methods: Sequence[str],
    genres: tuple[str, ...],
    *,
    classifier: LoadedClassifier,
    judge: LoadedJudge | None = None,
    per_genre: int = METHOD_CLIPS,
    seed: int = 0,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """``measure_methods`` on up to ``per_genre`` real clips of each genre of ``real_folder`` (sub-folders
    named like ``genres``; clips picked as for the audio section), plus ``source``, ``clip_list`` (genre,
    track file, start) and ``seconds``."""
    from melodygan_lab.evaluation.audio_clips import ClipFolder

    report = progress or (lambda *_: None)
    started = time.perf_counter()
    folder = ClipFolder(real_folder)
    picks = list(folder.pick_clips(per_genre, mel.sample_rate, mel.clip_seconds, seed=seed, genres=genres,
                                   progress=lambda d, t: report("methods: real clips", d, t)))
    section = measure_methods([c.audio for c in picks], np.array([genres.index(c.genre) for c in picks]),
                              genres, mel, methods, classifier=classifier, judge=judge, seed=seed,
                              progress=progress)
    section["source"] = str(real_folder)
    section["clip_list"] = [
        {"genre": c.genre, "track": str(folder.tracks[c.track].path), "start_seconds": c.start_seconds}
        for c in picks
    ]
    section["notes"] += [f"{path}: {reason}" for path, reason in folder.skipped[:10]]
    section["seconds"] = round(time.perf_counter() - started, 2)
    return section


__all__ = ["BASELINE", "DISTANCES", "METHOD_CLIPS", "measure_methods", "methods_measures",
           "register_vocoders"]
