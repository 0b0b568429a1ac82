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
    headers = ["genre", "heard as asked", "real clips heard", "FD / KID generated", "FD / KID floor"]
    headers += [f"FD / KID {m}" for m in methods] + ["clips (gen / ref / floor)"]

    def distances(v: dict[str, Any]) -> list[str]:
        pairs = [(v["fd_generated"], v.get("kid_generated")), (v["fd_floor"], v.get("kid_floor"))]
        pairs += [(v["fd_resynth"][m], v.get("kid_resynth", {}).get(m)) for m in methods]
        return [f"{fmt(fd, 1)} / {fmt(kid, 3)}" for fd, kid in pairs]

    rows = []
    for genre, v in report["genres"].items():
        c = v["clips"]
        rows.append(
            [
                genre,
                percent(v["generated_accuracy"]),
                percent(v["real_accuracy"]),
                *distances(v),
                f"{c['generated']} / {c['reference']} / {c['floor']}",
            ]
        )
    o = report["overall"]
    rows.append(
        ["**overall**", percent(o["generated_accuracy"]), percent(o["real_accuracy"]), *distances(o), ""]
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
        "Frechet (FD) and kernel (KID, unbiased: about 0 for like sets) distances are between classifier "
        "embeddings; the floor is two halves of the real test clips (split by track), the distance of a "
        "method is real clips resynthesised through it.",
    ]
    if o.get("diversity_ratio") is not None:
        ratios = {g: v["diversity"]["ratio"] for g, v in report["genres"].items() if v.get("diversity")}
        ratios = {g: r for g, r in ratios.items() if r is not None}
        lowest = min(ratios, key=ratios.get) if ratios else None
        lines.append(
            f"Diversity: takes of a genre are {percent(o['diversity_ratio'])} as far apart as real clips "
            "of it (mean pairwise distance of classifier embeddings)"
            + (f"; lowest: {lowest} ({percent(ratios[lowest])})." if lowest else ".")
        )
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
    if report.get("audio"):
        lines += ["", audio_markdown(report["audio"])]
    if report.get("methods"):  # absent from format_version 2 reports
        lines += ["", methods_markdown(report["methods"])]
    return "\n".join(lines) + "\n"


def _pair(real: float | None, generated: float | None) -> str:
    return f"{fmt(real)} / {fmt(generated)}"


def audio_markdown(audio: dict[str, Any]) -> str:
    """The audio section of a report: per genre and overall, the judge's accuracy and the musicality
    yardsticks as ``real / generated`` (``audio_report.audio_measures``' dict)."""
    from melodygan_lab.evaluation.musicality import FEATURES, LABELS

    music, judge = audio["musicality"], audio["judge"]
    genres = list(audio["clips"]["real"])
    headers = ["genre"] + (["judge: heard as asked (real / gen)"] if judge else [])
    headers += [f"{LABELS[f]} (real / gen)" for f in FEATURES] if music else []
    headers.append("clips (real / gen)")
    rows = []
    for genre in [*genres, None]:
        row: list[str] = [genre or "**overall**"]
        if judge:
            v = judge["per_genre"][genre] if genre else judge["overall"]
            row.append(f"{percent(v['real_accuracy'])} / {percent(v['generated_accuracy'])}")
        if music:
            real = music["real"]["genres"][genre] if genre else music["real"]["overall"]
            gen = (music["generated"]["genres"][genre] if genre else music["generated"]["overall"]) or {}
            row += [_pair(real[f], gen.get(f)) for f in FEATURES]
        counts = audio["clips"]["generated"]
        row.append(f"{audio['clips']['real'][genre]} / {counts.get(genre, 'n/a')}" if genre else "")
        rows.append(row)
    lines = [
        f"### As audio (generated takes through {audio['method']}; real clips decoded from their files)",
        "",
        table(headers, rows),
        "",
    ]
    if judge:
        o = judge["overall"]
        lines.append(
            f"The genre judge (audio features, independent of the classifier) hears "
            f"{percent(o['generated_accuracy'])} of generated takes as asked: {percent(o['accuracy_ratio'])} "
            f"of its accuracy on real test clips ({percent(o['real_accuracy'])})."
        )
    if music:
        lines.append(
            "Musicality: beat regularity = onset autocorrelation peak at 0.25-2 s; harmonic share = HPSS "
            "harmonic energy / (harmonic + percussive); tonal clarity = top chroma bin's share (harmonic "
            "part); flatness = spectral flatness; beat interval CV = spread of tracked beat intervals "
            "(lower = steadier)."
        )
    lines += [f"- {note}" for note in audio["notes"]]
    return "\n".join(lines)


def _accuracy_cell(entry: dict[str, Any], who: str, original: float | None) -> str:
    if entry[f"{who}_accuracy"] is None:
        return "n/a"
    return f"{percent(original)} -> {percent(entry[f'{who}_accuracy'])} ({percent(entry[f'{who}_ratio'])})"


def methods_markdown(section: dict[str, Any]) -> str:
    """The mel-to-audio methods section (``methods_report.methods_measures``' dict): one row per method
    (means over the real clips) and, per genre, MR-STFT / MCD and the classifier's accuracy of each."""
    lines = _real_methods_lines(section) if "original" in section else []  # absent without real audio
    lines += [f"- {note}" for note in section["notes"]]
    if section.get("generated"):  # absent before format_version 4
        lines += ["", generated_methods_markdown(section["generated"])] if lines else [
            generated_methods_markdown(section["generated"])]
    return "\n".join(lines)


def _real_methods_lines(section: dict[str, Any]) -> list[str]:
    methods, baseline, original = section["methods"], section["baseline"], section["original"]
    judged = original["judge"] is not None
    headers = ["method", "MR-STFT", "LSD dB", "MCD dB", "SC", f"wins vs {baseline} (MR-STFT / MCD)",
               "CPU s per 10 s (x RT)", "classifier: original -> resynth (ratio)"]
    headers += ["judge: original -> resynth (ratio)"] if judged else []
    rows = []
    for method in methods:
        entry = section["per_method"][method]
        o = entry["overall"]
        used = entry.get("used", method)
        row = [method if used == method else f"{method} (used {used})",
               fmt(o["mrstft"]), fmt(o["lsd_db"], 2), fmt(o["mcd_db"], 2), fmt(o["convergence"]),
               f"{o['wins_mrstft']} / {o['wins_mcd']} of {o['clips']}",
               f"{fmt(entry['cpu_seconds_per_10s'])} ({fmt(entry['realtime'], 0)}x)",
               _accuracy_cell(o, "classifier", original["classifier"]["overall"])]
        if judged:
            row.append(_accuracy_cell(o, "judge", original["judge"]["overall"]))
        rows.append(row)
    genre_rows = []
    for genre, count in section["clips"].items():
        cells = []
        for method in methods:
            g = section["per_method"][method]["genres"][genre]
            cells.append(f"{fmt(g['mrstft'])} / {fmt(g['mcd_db'], 2)} / {percent(g['classifier_accuracy'])}")
        genre_rows.append([genre, count, percent(original["classifier"]["genres"][genre]), *cells])
    clips = sum(section["clips"].values())
    lines = [
        f"### Mel-to-audio methods on {clips} real test clips (decoded from their files, sent through the "
        "model's mel and back)",
        "",
        table(headers, rows),
        "",
        table(["genre", "clips", "classifier, original",
               *[f"{m}: MR-STFT / MCD / classifier" for m in methods]], genre_rows),
        "",
        "Distances to the original audio, lower is better: MR-STFT = multi-resolution STFT distance, LSD = "
        "log-spectral distance, MCD = mel-cepstral distortion, SC = spectral convergence (linear STFT). "
        f"Wins: clips where the method is closer than {baseline}. CPU: process CPU time on "
        f"{section['threads']} thread(s). Accuracies: genre heard as labelled, original clips -> "
        "resynthesised (share kept).",
    ]
    return lines


def generated_methods_markdown(part: dict[str, Any]) -> str:
    """The methods on generated takes (``methods_generated.measure_generated``' dict): one row per method
    (mel consistency, accuracies, musicality) and, per genre, consistency and accuracies of each."""
    from melodygan_lab.evaluation.musicality import LABELS

    music = ("beat_regularity", "harmonic_share", "tonal_clarity", "flatness") if part["musicality"] else ()
    judged = part["judged"]
    headers = ["method", "mel |diff| dB", "MCD dB", "classifier: heard as asked"]
    headers += ["judge: heard as asked"] if judged else []
    headers += [LABELS[f] for f in music]
    rows = []
    for method in part["methods"]:
        entry = part["per_method"][method]
        o, used = entry["overall"], entry.get("used", method)
        row = [method if used == method else f"{method} (used {used})", fmt(o["mel_db"], 2),
               fmt(o["mcd_db"], 2), percent(o["classifier_accuracy"])]
        row += [percent(o["judge_accuracy"])] if judged else []
        row += [fmt((o["musicality"] or {}).get(f)) for f in music]
        rows.append(row)
    lines = [f"### Mel-to-audio methods on generated takes ({sum(part['takes'].values())} takes)", "",
             table(headers, rows), ""]
    if any(part["per_method"][m]["genres"].get(g) for m in part["methods"] for g in part["takes"]):
        genre_rows = []
        for genre, count in part["takes"].items():
            cells = []
            for method in part["methods"]:
                g = part["per_method"][method]["genres"][genre]
                cell = f"{fmt(g['mel_db'], 2)} / {percent(g['classifier_accuracy'])}"
                cells.append(cell + (f" / {percent(g['judge_accuracy'])}" if judged else ""))
            genre_rows.append([genre, count, *cells])
        who = "classifier / judge" if judged else "classifier"
        lines += [table(["genre", "takes", *[f"{m}: mel dB / {who}" for m in part["methods"]]], genre_rows),
                  ""]
    lines.append(
        "A generated mel has no original audio: mel |diff| = mean |difference| between the take's mel and "
        "the mel of the method's audio (dB over bands and frames), MCD = mel-cepstral distortion between "
        "the two (lower is better). Accuracies: the asked genre heard in the method's audio (overall: mean "
        "over genres)." + (" Musicality as in the audio section, overall." if music else "")
    )
    lines += [f"- {note}" for note in part["notes"]]
    return "\n".join(lines)
