"""The label policy: which genre each found music file gets, or why it is left out.

Order of rules (the first that applies decides):
1. ``label_overrides.tsv`` (package + file-name pattern): an explicit label or ``exclude``;
2. tracker modules are ``chiptune`` whatever the first-pass tagger said (the format is the genre here);
3. MIDI scores are kept only through an override (their packages mix styles; they render as General MIDI);
4. the first-pass label from ``track_labels.tsv`` when it names a *recorded* genre;
5. a recording tagged with an *arranged-only* genre (e.g. jazz) is left out, so that no genre mixes
   recordings with General-MIDI arrangements;
6. unlabelled or unknown tracks take the package's label hint when that hint is a plain genre name.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from .fetch import SourceFile
from .tables import CorpusTables, track_key

POLICY_SUMMARY = (
    "Labels: first-pass per-track tags from track_labels.tsv for recordings, corrected where the source "
    "format decides (tracker modules -> chiptune), recordings tagged with an arranged-only genre left out, "
    "untagged tracks labelled by their package's genre hint, MIDI scores kept only where the title names "
    "the genre (label_overrides.tsv). Arranged genres come from MMA grooves."
)


@dataclass(frozen=True)
class LabelDecision:
    """``label`` is None when the track is left out; ``rule`` says which rule decided, ``reason`` why."""

    label: str | None
    kind: str  # "recorded" | "arranged"
    rule: str
    reason: str
    estimated_seconds: float


def _hint_genre(hint: str, tables: CorpusTables) -> str | None:
    word = hint.split("(", 1)[0].strip().lower()
    return word if word in tables.genres else None


def decide_label(source: SourceFile, tables: CorpusTables, hint: str) -> LabelDecision:
    """Apply the rules in the module docstring to one found file."""
    name = source.relative.rsplit("/", 1)[-1]
    kind = "arranged" if source.source_type == "midi" else "recorded"
    first_pass = tables.labels.get((source.package, track_key(name)))
    if first_pass is None and source.source_type in ("tracker", "lmms"):
        stem = name.rsplit(".", 1)[0]
        first_pass = tables.labels.get((source.package, stem.lower()))
    seconds = first_pass.seconds if first_pass and first_pass.seconds > 0 else 0.0

    def result(label: str | None, rule: str, reason: str) -> LabelDecision:
        if label is not None and label not in tables.genres:
            return LabelDecision(None, kind, rule, f"label {label!r} is not a corpus genre", seconds)
        return LabelDecision(label, kind, rule, reason, seconds)

    for override in tables.overrides:
        if override.package == source.package and fnmatch.fnmatchcase(name, override.file_pattern):
            label = None if override.label == "exclude" else override.label
            return result(label, "override", override.reason)
    if source.source_type == "tracker":
        return result("chiptune", "format", "tracker module")
    if source.source_type == "midi":
        return result(None, "midi", "MIDI score with no genre in its title")
    tag = first_pass.label if first_pass else "unlabelled"
    tag_kind = tables.genre_kind(tag)
    if tag_kind == "recorded":
        return result(tag, "tagger", "first-pass tag")
    if tag_kind == "arranged":
        return result(None, "kind", f"recording tagged {tag!r}, a genre this corpus builds from arrangements")
    hinted = _hint_genre(hint, tables)
    if hinted is not None and tables.genre_kind(hinted) == "recorded":
        return result(hinted, "package", f"untagged; package genre hint {hint!r}")
    return result(None, "unlabelled", f"no usable tag and package hint {hint!r} is not a genre")


def genres_of_package(package: str, hint: str, tables: CorpusTables) -> set[str]:
    """Genres a package can contribute, judged from the tables alone (before downloading it)."""
    genres = set()
    for override in tables.overrides:
        if override.package == package and override.label != "exclude":
            genres.add(override.label)
    for (owner, _key), entry in tables.labels.items():
        if owner != package:
            continue
        if entry.kind.startswith("tracker"):
            genres.add("chiptune")
        elif tables.genre_kind(entry.label) == "recorded":
            genres.add(entry.label)
    hinted = _hint_genre(hint, tables)
    if hinted is not None and tables.genre_kind(hinted) == "recorded":
        genres.add(hinted)
    return genres
