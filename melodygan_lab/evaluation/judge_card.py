"""The Markdown card shipped beside a genre judge's weights, written from its ``meta.json`` alone."""

from __future__ import annotations

import platform

from melodygan_lab.evaluation.judge_files import JudgeMeta
from melodygan_lab.evaluation.markdown import confusion_table, percent, table


def _parameters(meta: JudgeMeta) -> int:
    d, g, h = len(meta.feature_names), len(meta.genres), meta.architecture.hidden
    return (d + 1) * h + (h + 1) * g if h else (d + 1) * g


def _weakest(test: dict, genres: tuple[str, ...]) -> list[str]:
    """A line naming the genres recalled below 50 % and what they are mostly heard as."""
    confusion, recall = test.get("confusion") or [], test.get("per_genre") or {}
    weak = []
    for index, genre in enumerate(genres):
        if recall.get(genre) is None or recall[genre] >= 0.5 or index >= len(confusion):
            continue
        wrong = [(count, other) for other, count in zip(genres, confusion[index]) if other != genre]
        count, other = max(wrong) if wrong else (0, "?")
        weak.append(f"{genre} {percent(recall[genre])} (heard as {other} {count} times)")
    return [f"- Weakest on the test split: {'; '.join(weak)}."] if weak else []


def judge_card(meta: JudgeMeta, data_name: str) -> str:
    """Card text: data, features, classifier, accuracy on real test clips per genre, how to reproduce."""
    m, s, arch = meta.metrics, meta.features, meta.architecture
    recipe, test, clips = m.get("recipe", {}), m.get("test", {}), m.get("clips", {})
    split_names = [name for name in ("train", "validation", "test") if name in clips]
    counts = [[g, *[clips[name].get(g, 0) for name in split_names]] for g in meta.genres]
    recall = test.get("per_genre", {})
    params = _parameters(meta)
    network = (
        f"one hidden layer of {arch.hidden} ReLU units" if arch.hidden else "multinomial logistic regression"
    )
    parts = [
        "# Genre judge",
        "",
        "An independent listener for generated music: a small classifier on audio features computed from the "
        "waveform, with its own front end. It shares no data path, feature or weight with the log-mel genre "
        "classifier, so `melodygan evaluate` can ask both whether a generated take sounds like its genre and "
        "see whether they agree.",
        "",
        "## Data",
        "",
        f"Folder `{data_name}` ({m.get('data_layout', '?')} layout): every non-silent {s.clip_seconds:g}-s "
        "clip of every track (clips cut as for training), split by track so no track is on two sides.",
        "",
        table(["genre", *[f"{name} clips" for name in split_names]], counts),
        "",
        "## Features",
        "",
        f"From audio resampled to {s.sample_rate} Hz, the first {s.clip_seconds:g} s scaled to "
        f"{s.level_dbfs:g} dBFS RMS (loudness is not a cue); STFT of {s.n_fft} points, hop {s.hop_length}, "
        f"{s.n_mels} Slaney mel bands. Mean and standard deviation over frames of {s.n_mfcc} MFCCs, 12 "
        f"chroma bins, {s.contrast_bands + 1} spectral-contrast bands (octaves from {s.contrast_fmin:g} Hz), "
        "spectral centroid, 85 % roll-off, zero-crossing rate and frame RMS; plus the autocorrelation "
        f"tempogram of the onset envelope averaged over time and pooled into {s.tempo_bins} log-spaced bins "
        f"between {s.tempo_min_bpm:g} and {s.tempo_max_bpm:g} BPM: {len(meta.feature_names)} values, "
        "standardised with the training clips' mean and standard deviation (z-scores clipped to +-8).",
        "",
        "## Classifier",
        "",
        f"- {network}, dropout {arch.dropout:g}, {params:,} parameters ({params * 4 / 1e3:.0f} kB float32).",
        f"- AdamW, learning rate {recipe.get('learning_rate')}, weight decay {recipe.get('weight_decay')}, "
        f"batch {recipe.get('batch_size')}, class-balanced cross-entropy, seed {recipe.get('seed')}.",
        f"- Selected on validation balanced accuracy: epoch {m.get('best_epoch')} of {m.get('epochs_run')} "
        f"run; features {m.get('feature_seconds', 0) / 60:.1f} min, training "
        f"{m.get('train_seconds', 0):.0f} s on {m.get('threads', '?')} CPU thread(s) "
        f"({platform.machine() or 'unknown CPU'}).",
        "",
        f"## Accuracy on the {m.get('test_split', 'test')} split (real clips)",
        "",
        f"Accuracy {percent(test.get('accuracy'))}, balanced accuracy (mean per-genre recall) "
        f"{percent(test.get('balanced_accuracy'))} over {test.get('clips', 0)} clips: the ceiling for the "
        "judge's accuracy on generated takes.",
        "",
        table(["genre", "recall"], [[g, percent(recall.get(g))] for g in meta.genres]),
        "",
        confusion_table(test.get("confusion", []), list(meta.genres)) if test.get("confusion") else "",
        "",
        "## Reproduce",
        "",
        "```bash",
        ".venv/bin/melodygan corpus build ~/corpus --tier core",
        f".venv/bin/melodygan judge train ~/corpus -o my-judge --threads 1 --seed {recipe.get('seed', 0)}",
        "```",
        "",
        "## Known weaknesses",
        "",
        *_weakest(test, meta.genres),
        "- Frame statistics forget the order of events: it hears timbre, harmony and tempo, not form.",
        "- Genres made of General-MIDI arrangements share sound fonts, so it may partly recognise the fonts.",
        "- Genres with few test clips have noisy per-genre figures.",
        "",
    ]
    return "\n".join(parts)
