"""Musicality yardsticks (``evaluation.musicality``, NumPy/torch) against the same definitions written with
librosa calls, on real clips of a genre folder: per-genre and overall means, the largest differences, and the
time per clip of each.

Run: ``.venv/bin/python bench/musicality_vs_librosa.py CORPUS/test [--per-genre 16] [--json out.json]``
(needs the ``bench`` extra for librosa).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import benchlib
import numpy as np

from melodygan_lab.evaluation.audio_clips import ClipFolder
from melodygan_lab.evaluation.musicality import FEATURES, SAMPLE_RATE, aggregate_musicality, musicality


def librosa_figures(y: np.ndarray, sr: int = SAMPLE_RATE) -> dict[str, float | None]:
    """The five yardsticks with librosa's own functions (first 10 s, defaults n_fft 2048, hop 512)."""
    import librosa

    y = y[: 10 * sr]
    onset = librosa.onset.onset_strength(y=y, sr=sr)
    acf = librosa.autocorrelate(onset - onset.mean())
    low, high = round(0.25 * sr / 512), round(2.0 * sr / 512)
    harmonic, percussive = librosa.decompose.hpss(librosa.stft(y), kernel_size=31)
    harmonic_energy = (np.abs(harmonic) ** 2).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chroma = librosa.feature.chroma_stft(y=librosa.istft(harmonic, length=len(y)), sr=sr)
    sums = chroma.sum(axis=0)
    _, beats = librosa.beat.beat_track(y=y, sr=sr)
    intervals = np.diff(beats)
    return {
        "beat_regularity": float(acf[low : high + 1].max() / acf[0]) if acf[0] > 0 else None,
        "harmonic_share": float(harmonic_energy / (harmonic_energy + (np.abs(percussive) ** 2).sum())),
        "tonal_clarity": float(np.mean(chroma.max(axis=0)[sums > 0] / sums[sums > 0]))
        if (sums > 0).any()
        else None,
        "flatness": float(librosa.feature.spectral_flatness(y=y).mean()),
        "tempo_cv": float(intervals.std() / intervals.mean()) if beats.size >= 3 else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="genre folder of real audio (e.g. a corpus's test split)")
    parser.add_argument("--per-genre", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the figures as JSON")
    args = parser.parse_args()
    benchlib.set_threads(1)
    import librosa  # noqa: F401  (imported once here so its start-up is not timed)

    folder = ClipFolder(args.folder)
    ours, theirs, labels, seconds = [], [], [], {"ours": 0.0, "librosa": 0.0}
    for clip in folder.pick_clips(args.per_genre, SAMPLE_RATE, 10.0, seed=args.seed):
        start = time.process_time()
        ours.append(musicality(clip.audio))
        seconds["ours"] += time.process_time() - start
        start = time.process_time()
        theirs.append(librosa_figures(clip.audio))
        seconds["librosa"] += time.process_time() - start
        labels.append(folder.genres.index(clip.genre))
    ours_summary = aggregate_musicality(ours, labels, folder.genres)
    theirs_rows = [type(ours[0])(**row, tempo_bpm=None, beats=0) for row in theirs]
    theirs_summary = aggregate_musicality(theirs_rows, labels, folder.genres)
    print(f"{len(ours)} clips of {len(folder.genres)} genres from {args.folder}")
    print(f"{'feature':18s} {'ours':>8s} {'librosa':>8s} {'median |diff|':>14s} {'max |diff|':>11s}")
    for feature in FEATURES:
        pairs = [
            (getattr(a, feature), b[feature])
            for a, b in zip(ours, theirs)
            if getattr(a, feature) is not None and b[feature] is not None
        ]
        diffs = np.abs(np.subtract(*zip(*pairs))) if pairs else np.zeros(1)
        print(
            f"{feature:18s} {ours_summary['overall'][feature]:8.4f} "
            f"{theirs_summary['overall'][feature]:8.4f} {np.median(diffs):14.5f} {diffs.max():11.5f}"
        )
    per_clip = {k: 1000 * v / max(1, len(ours)) for k, v in seconds.items()}
    print(
        f"CPU time per clip: ours {per_clip['ours']:.0f} ms, librosa {per_clip['librosa']:.0f} ms (1 thread)"
    )
    if args.json:
        payload = {
            "ours": ours_summary,
            "librosa": theirs_summary,
            "ms_per_clip": per_clip,
            "clips": len(ours),
        }
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
