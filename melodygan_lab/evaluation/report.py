"""``evaluate_model``: how well a generator makes the genres it is asked for, as a JSON-ready dict and a
Markdown table.

Real test clips are split by track into halves A and B. Half A is the reference for every distance (Frechet
and kernel distance on the classifier's embeddings): generated clips vs A (the generator), B vs A (the
real-vs-real floor), B sent through each inversion method and back vs A (what mel-to-audio inversion loses).
B and the generated set have at most ``n_per_genre`` clips per genre, so the distances compare sets of
similar size. The generated takes are also turned into audio and measured beside real test audio with the
musicality yardsticks and the independent genre judge (``audio_report``), and real test audio goes through
each method and is compared with the original (``methods_report``); so do the takes (``methods_generated``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from melodygan_desktop.config import to_dict
from melodygan_desktop.evaluation.classifier import logits_from_embeddings
from melodygan_desktop.evaluation.classifier_files import LoadedClassifier, load_classifier
from melodygan_desktop.evaluation.frechet import (
    LEDOIT_WOLF,
    balanced_weights,
    frechet_by_genre,
    frechet_from_stats,
    gaussian_stats,
    split_halves,
)
from melodygan_desktop.evaluation.report_checks import EvaluationError, check_compatible
from melodygan_lab.evaluation.audio_report import audio_measures
from melodygan_lab.evaluation.data import LabelledClips, relabel
from melodygan_lab.evaluation.diversity import diversity_by_genre
from melodygan_lab.evaluation.judge_files import LoadedJudge, load_judge
from melodygan_lab.evaluation.kernel import kernel_by_genre, kernel_distance
from melodygan_lab.evaluation.methods_generated import methods_section as methods_section_of
from melodygan_lab.evaluation.methods_report import METHOD_CLIPS
from melodygan_lab.evaluation.report_helpers import default_methods, embed_sets, mean_present, model_genres
from melodygan_lab.evaluation.sampling import clip_frames, generate_mels, pick_per_genre, resynthesise

if TYPE_CHECKING:
    from melodygan_desktop.checkpoints import LoadedModel

REPORT_FORMAT = "melodygan-evaluation"
#: 3: adds ``methods`` (mel-to-audio methods on real audio); 4: ``methods.generated`` (on generated takes).
REPORT_VERSION = 4

#: ``progress(stage, done, total)``; stages: "generating", "resynthesising <method>", "embedding",
#: "audio: generated takes", "audio: real clips", "methods: real clips", "methods: resynthesising", ...
Progress = Callable[[str, int, int], None]


def _accuracy(heard: np.ndarray, asked: np.ndarray, labels: np.ndarray, index: int) -> float | None:
    rows = labels == index
    return float((heard[rows] == asked[rows]).mean()) if rows.any() else None


def evaluate_model(
    model_path: str | os.PathLike[str] | LoadedModel,
    classifier: LoadedClassifier | str | os.PathLike[str],
    real_test_clips: LabelledClips,
    n_per_genre: int = 32,
    method: str | Sequence[str] | None = None,
    *,
    seed: int = 0,
    shrinkage: float | str = LEDOIT_WOLF,
    judge: LoadedJudge | str | os.PathLike[str] | None = None,
    real_audio: str | os.PathLike[str] | None = None,
    musicality: bool = True,
    method_clips: int | None = None,
    only_genres: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Genre accuracy, Frechet and kernel distances of a generator (a checkpoint folder or a loaded model),
    and (``audio``) musicality and the genre ``judge``'s accuracy on its takes as audio.

    ``real_test_clips`` must be cut with the model's mel settings; ``method`` names the inversion(s) whose
    resynthesised real clips are measured (default: Griffin-Lim and the app's default). ``real_audio`` is the
    folder of the real test audio (default: ``real_test_clips.source`` when that is a folder); without a judge
    and with ``musicality`` False there is no audio section. Returns a plain JSON-ready dict (see
    ``report_markdown``); distances are None where a set has fewer than two clips. ``methods`` (with up to
    ``method_clips`` real audio clips per genre, default ``n_per_genre`` up to ``METHOD_CLIPS``; 0 skips it)
    measures the same methods on real audio and, under ``generated``, on as many generated takes per genre.
    ``only_genres`` restricts everything to those of the model's genres (e.g. the genre of a folder).
    """
    from melodygan_desktop.checkpoints import LoadedModel, load_generator

    started = time.perf_counter()
    loaded = model_path if isinstance(model_path, LoadedModel) else load_generator(model_path)
    clf = classifier if isinstance(classifier, LoadedClassifier) else load_classifier(classifier)
    if judge is not None and not isinstance(judge, LoadedJudge):
        judge = load_judge(judge)
    mel, generator = loaded.meta.mel, loaded.generator
    check_compatible(clf.mel, mel, str(loaded.path))
    if n_per_genre < 2:
        raise EvaluationError(f"n_per_genre must be at least 2, got {n_per_genre}")
    genres = model_genres(loaded.meta.genres, clf.genres, only_genres, str(loaded.path))
    real = relabel(real_test_clips, genres)
    # A conditional generator is asked for each genre; an unconditional one trained on a single genre (one
    # model per genre, as in both papers) is asked for that genre by construction.
    asks_genre = bool(generator.conditional) or len(loaded.meta.genres) == 1
    frames = clip_frames(generator, mel)
    if len(real) < 4 or real.clips.mels.shape[2] != frames:
        raise EvaluationError(
            f"{real_test_clips.source or 'real clips'}: need >= 4 real clips of {frames} frames in the "
            f"model's genres, got {len(real)} of {real.clips.mels.shape[2]} frames"
        )
    methods = (
        default_methods() if method is None else ((method,) if isinstance(method, str) else tuple(method))
    )
    from melodygan_desktop.audio.inversion import available_methods

    unknown = [m for m in methods if m not in available_methods()]
    if unknown:
        raise EvaluationError(
            f"unknown inversion method(s) {', '.join(unknown)}; choose from {', '.join(available_methods())}"
        )
    labels, report = real.clips.labels, progress or (lambda *_: None)
    in_a, single_track = split_halves(labels, real.clips.track_ids, seed)
    reference = np.flatnonzero(in_a)
    candidates = pick_per_genre(labels, ~in_a, n_per_genre, seed)
    timings: dict[str, float] = {}

    tick = time.perf_counter()
    asked = np.repeat(np.arange(len(genres)), n_per_genre)
    model_index = [loaded.meta.genres.index(genres[i]) for i in asked]
    generated = generate_mels(
        generator, model_index, frames, seed=seed, progress=lambda d, t: report("generating", d, t)
    )
    timings["generate"] = time.perf_counter() - tick
    tick = time.perf_counter()
    resynthesised = {
        m: resynthesise(
            real.clips.mels[candidates],
            mel,
            m,
            seed=seed,
            progress=lambda d, t, m=m: report(f"resynthesising {m}", d, t),
        )
        for m in methods
    }
    timings["resynthesise"] = time.perf_counter() - tick
    tick = time.perf_counter()
    sets = {
        "real": real.clips.mels,
        "generated": generated,
        **{f"resynth:{m}": v for m, v in resynthesised.items()},
    }
    embeddings, heard = embed_sets(clf, sets, report)
    timings["embed"] = time.perf_counter() - tick
    # Classifier indices -> evaluation genre indices (-1: a genre the model does not have).
    to_eval = np.array([genres.index(g) if g in genres else -1 for g in clf.genres])
    heard = {k: to_eval[v] for k, v in heard.items()}

    emb_real = embeddings["real"]

    def against_reference(candidate: np.ndarray, candidate_labels: np.ndarray):
        args = (candidate, candidate_labels, emb_real[reference], labels[reference], genres)
        return frechet_by_genre(*args, shrinkage=shrinkage), kernel_by_genre(*args)

    floor, floor_kid = against_reference(emb_real[candidates], labels[candidates])
    resynth = {m: against_reference(embeddings[f"resynth:{m}"], labels[candidates]) for m in methods}
    resynth_fd = {m: fd for m, (fd, _) in resynth.items()}
    resynth_kid = {m: kid for m, (_, kid) in resynth.items()}
    if asks_genre:
        generated_fd, generated_kid = against_reference(embeddings["generated"], asked)
        generated_overall, generated_kid_overall = generated_fd.overall, generated_kid.overall
    else:  # one unconditional generator for several genres: only the overall distance means something
        generated_fd = generated_kid = None
        ref_weights = balanced_weights(labels[reference])
        ref_stats = gaussian_stats(emb_real[reference], weights=ref_weights, shrinkage=shrinkage)
        generated_overall = frechet_from_stats(
            gaussian_stats(embeddings["generated"], shrinkage=shrinkage), ref_stats
        )
        generated_kid_overall = kernel_distance(
            embeddings["generated"], emb_real[reference], weights_b=ref_weights
        )

    per_genre: dict[str, dict[str, Any]] = {}
    for index, genre in enumerate(genres):
        per_genre[genre] = {
            "generated_accuracy": _accuracy(heard["generated"], asked, asked, index) if asks_genre else None,
            "real_accuracy": _accuracy(heard["real"], labels, labels, index),
            "resynth_accuracy": {
                m: _accuracy(heard[f"resynth:{m}"], labels[candidates], labels[candidates], index)
                for m in methods
            },
            "fd_generated": generated_fd.per_genre[genre] if generated_fd else None,
            "fd_floor": floor.per_genre[genre],
            "fd_resynth": {m: resynth_fd[m].per_genre[genre] for m in methods},
            "kid_generated": generated_kid.per_genre[genre] if generated_kid else None,
            "kid_floor": floor_kid.per_genre[genre],
            "kid_resynth": {m: resynth_kid[m].per_genre[genre] for m in methods},
            "clips": {
                "generated": n_per_genre,
                "reference": floor.counts[genre][1],
                "floor": floor.counts[genre][0],
            },
        }
    diversity = asks_genre and diversity_by_genre(
        embeddings["generated"], asked, emb_real[candidates], labels[candidates], genres
    )
    for genre, entry in per_genre.items():
        entry["diversity"] = diversity["per_genre"][genre] if diversity else None
    overall_generated = mean_present([v["generated_accuracy"] for v in per_genre.values()])
    overall_real = mean_present([v["real_accuracy"] for v in per_genre.values()])
    confusion = np.zeros((len(genres), len(clf.genres)), dtype=np.int64)
    if asks_genre:
        heard_raw = logits_from_embeddings(clf.model, embeddings["generated"]).argmax(axis=1)
        np.add.at(confusion, (asked, heard_raw), 1)
    audio = methods_section = None
    source = Path(real_test_clips.source) if real_test_clips.source else None
    audio_folder = real_audio if real_audio is not None else (source if source and source.is_dir() else None)
    if musicality or judge is not None:
        tick = time.perf_counter()
        audio = audio_measures(
            generated,
            asked if asks_genre else None,
            genres,
            mel,
            audio_folder,
            judge=judge,
            with_musicality=musicality,
            per_genre=n_per_genre,
            seed=seed,
            progress=report,
        )
        timings["audio"] = time.perf_counter() - tick
    method_clips = min(n_per_genre, METHOD_CLIPS) if method_clips is None else method_clips
    if methods and method_clips > 0:
        tick = time.perf_counter()
        methods_section = methods_section_of(
            audio_folder, generated, asked if asks_genre else None, genres, mel, methods, classifier=clf,
            judge=judge, with_musicality=musicality, per_genre=method_clips, seed=seed, progress=report,
        )  # fmt: skip
        timings["methods"] = time.perf_counter() - tick
    timings["total"] = time.perf_counter() - started
    return {
        "format": REPORT_FORMAT,
        "format_version": REPORT_VERSION,
        "model": {
            "name": loaded.name,
            "path": str(loaded.path),
            "preset": loaded.meta.preset,
            "step": loaded.meta.step,
            "conditional": bool(generator.conditional),
            "asks_genre": asks_genre,
        },
        "classifier": {
            "path": str(clf.path) if clf.path else None,
            "sha256": clf.meta.sha256,
            "genres": list(clf.genres),
        },
        "settings": {
            "n_per_genre": n_per_genre,
            "methods": list(methods),
            "seed": seed,
            "shrinkage": shrinkage,
            "mel": to_dict(mel),
            "real_clips": len(real),
            "real_source": real_test_clips.source,
        },
        "genres": per_genre,
        "overall": {
            "generated_accuracy": overall_generated,
            "real_accuracy": overall_real,
            "accuracy_ratio": overall_generated / overall_real
            if overall_generated is not None and overall_real
            else None,
            "resynth_accuracy": {
                m: mean_present([v["resynth_accuracy"][m] for v in per_genre.values()]) for m in methods
            },
            "fd_generated": generated_overall,
            "fd_floor": floor.overall,
            "fd_resynth": {m: resynth_fd[m].overall for m in methods},
            "kid_generated": generated_kid_overall,
            "kid_floor": floor_kid.overall,
            "kid_resynth": {m: resynth_kid[m].overall for m in methods},
            "diversity_ratio": diversity["overall_ratio"] if diversity else None,
        },
        "audio": audio,
        "methods": methods_section,
        "confusion": {"asked": list(genres), "heard": list(clf.genres), "counts": confusion.tolist()},
        "notes": [
            f"{genres[i]}: one real track only, its halves were split by clip (floor optimistic)"
            for i in single_track
        ],
        "seconds": {k: round(v, 2) for k, v in timings.items()},
    }


__all__ = ["REPORT_FORMAT", "REPORT_VERSION", "EvaluationError", "Progress", "check_compatible",
           "default_methods", "evaluate_model"]
