"""The corpus data tables (packages, track labels, MMA grooves, genres, label overrides) from TSV files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusError

TIERS = ("core", "extended")
KINDS = ("recorded", "arranged")


@dataclass(frozen=True)
class MusicPackage:
    """One Debian package with free music; ``pattern`` finds its music files (relative POSIX paths)."""

    name: str
    tier: str
    label_hint: str
    licence: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class TrackLabel:
    """A first-pass label for one track: ``key`` is the lower-case file name (render suffix removed)."""

    package: str
    key: str
    label: str
    kind: str
    seconds: float


@dataclass(frozen=True)
class Groove:
    """One MMA groove suited to a genre, with its tempo range (bpm) and lead voices (GM names)."""

    genre: str
    library: str
    name: str
    tempo_min: int
    tempo_max: int
    lead_voices: tuple[str, ...]


@dataclass(frozen=True)
class Genre:
    name: str
    kind: str
    display: str


@dataclass(frozen=True)
class LabelOverride:
    package: str
    file_pattern: str
    label: str
    reason: str


@dataclass(frozen=True)
class CorpusTables:
    """Everything the builder reads from ``resources/corpus`` (or a test folder with the same files)."""

    packages: tuple[MusicPackage, ...]
    labels: dict[tuple[str, str], TrackLabel]
    grooves: tuple[Groove, ...]
    genres: dict[str, Genre]
    overrides: tuple[LabelOverride, ...]

    def packages_for_tier(self, tier: str) -> list[MusicPackage]:
        """Core packages for ``core``; core plus extended for ``extended``."""
        if tier not in TIERS:
            raise CorpusError(f"unknown tier {tier!r}: choose one of {', '.join(TIERS)}")
        return [p for p in self.packages if tier == "extended" or p.tier == "core"]

    def genre_kind(self, genre: str) -> str | None:
        entry = self.genres.get(genre)
        return entry.kind if entry else None


def track_key(file_name: str) -> str:
    """Normalise a file name to the key used in ``track_labels.tsv`` (``rendered:x.mod.wav`` -> ``x.mod``)."""
    name = file_name.rsplit("/", 1)[-1]
    if name.startswith("rendered:"):
        name = name[len("rendered:"):]
        if name.lower().endswith(".wav"):
            name = name[:-4]
    return name.lower()


def _rows(path: Path, columns: int) -> list[list[str]]:
    if not path.is_file():
        raise CorpusError(f"{path}: corpus table not found")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < columns:
            raise CorpusError(f"{path}:{number}: expected {columns} tab-separated columns, "
                              f"found {len(fields)}")
        rows.append([f.strip() for f in fields])
    return rows


def _read_packages(path: Path) -> tuple[MusicPackage, ...]:
    packages = []
    for name, tier, hint, licence, pattern, *_ in _rows(path, 5):
        if tier not in TIERS:
            raise CorpusError(f"{path}: package {name} has unknown tier {tier!r}")
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise CorpusError(f"{path}: package {name} has a bad regex {pattern!r}: {exc}") from exc
        packages.append(MusicPackage(name, tier, hint, licence, compiled))
    return tuple(packages)


def _read_labels(path: Path) -> dict[tuple[str, str], TrackLabel]:
    labels = {}
    for package, track_path, label, kind, seconds, *_ in _rows(path, 5):
        key = track_key(track_path)
        labels[(package, key)] = TrackLabel(package, key, label, kind, float(seconds or 0.0))
    return labels


def _read_grooves(path: Path) -> tuple[Groove, ...]:
    grooves = []
    for genre, library, name, tempo, voices, *_ in _rows(path, 5):
        low, _, high = tempo.partition("-")
        voice_list = tuple(v.strip() for v in voices.split(",") if v.strip())
        grooves.append(Groove(genre, library, name, int(low), int(high or low), voice_list))
    return tuple(grooves)


def _read_genres(path: Path) -> dict[str, Genre]:
    genres = {}
    for name, kind, display, *_ in _rows(path, 3):
        if kind not in KINDS:
            raise CorpusError(f"{path}: genre {name} has kind {kind!r}, expected one of {', '.join(KINDS)}")
        genres[name] = Genre(name, kind, display)
    return genres


def _read_overrides(path: Path) -> tuple[LabelOverride, ...]:
    return tuple(LabelOverride(p, f, label, reason) for p, f, label, reason, *_ in _rows(path, 4))


def load_tables(tables_dir: str | Path | None = None) -> CorpusTables:
    """Read the five corpus tables from ``tables_dir`` (default: the app's ``resources/corpus``)."""
    if tables_dir is None:
        from melodygan_desktop.paths import resources_dir

        tables_dir = resources_dir() / "corpus"
    folder = Path(tables_dir)
    return CorpusTables(
        packages=_read_packages(folder / "music_packages.tsv"),
        labels=_read_labels(folder / "track_labels.tsv"),
        grooves=_read_grooves(folder / "mma_grooves.tsv"),
        genres=_read_genres(folder / "genres.tsv"),
        overrides=_read_overrides(folder / "label_overrides.tsv"),
    )
