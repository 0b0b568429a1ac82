"""The corpus manifest (TSV + JSON), the per-genre summary and the attribution list for model cards."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from .split import SPLITS, save_json

MANIFEST_FORMAT = "melodygan-corpus"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class TrackRecord:
    """One audio file of the corpus, as listed in ``manifest.tsv`` (``file`` is relative to the corpus)."""

    file: str
    package: str
    licence: str
    attribution: str
    label: str
    kind: str
    seconds: float
    sha256: str
    split: str
    track_id: str
    source: str
    source_type: str
    group: str
    size: int


COLUMNS = tuple(f.name for f in fields(TrackRecord))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def record_path(work_dir: Path, track_id: str) -> Path:
    return work_dir / "records" / f"{hashlib.sha1(track_id.encode()).hexdigest()}.json"


def save_record(work_dir: Path, record: TrackRecord) -> None:
    save_json(record_path(work_dir, record.track_id), asdict(record))


def load_record(work_dir: Path, track_id: str, corpus_dir: Path) -> TrackRecord | None:
    """The finished record of a track when its audio file is still there at the recorded size."""
    path = record_path(work_dir, track_id)
    if not path.is_file():
        return None
    try:
        record = TrackRecord(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        return None
    audio = corpus_dir / record.file
    return record if audio.is_file() and audio.stat().st_size == record.size else None


def minutes_table(records: list[TrackRecord]) -> dict[str, dict[str, float]]:
    """Minutes per genre per split (and ``total``), rounded to 0.1."""
    table: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys((*SPLITS, "total"), 0.0))
    for record in records:
        table[record.label][record.split] += record.seconds / 60
        table[record.label]["total"] += record.seconds / 60
    return {g: {k: round(v, 1) for k, v in row.items()} for g, row in sorted(table.items())}


def _atomic_text(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_manifest(corpus_dir: Path, records: list[TrackRecord], meta: dict) -> None:
    """Write ``manifest.tsv`` (one row per file) and ``manifest.json`` (meta, genres, minutes, tracks)."""
    records = sorted(records, key=lambda r: r.file)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for record in records:
        writer.writerow([getattr(record, c) for c in COLUMNS])
    _atomic_text(corpus_dir / "manifest.tsv", buffer.getvalue())
    document = {
        "format": MANIFEST_FORMAT,
        "format_version": MANIFEST_VERSION,
        **meta,
        "minutes": minutes_table(records),
        "tracks": [asdict(r) for r in records],
    }
    save_json(corpus_dir / "manifest.json", document)


def read_manifest(corpus_dir: Path) -> list[TrackRecord]:
    """The records of ``manifest.tsv`` (for tools that read a finished corpus)."""
    with open(corpus_dir / "manifest.tsv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [TrackRecord(**{**row, "seconds": float(row["seconds"]), "size": int(row["size"])})
            for row in rows]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_attribution(corpus_dir: Path, records: list[TrackRecord], meta: dict,
                      packages: dict[str, dict[str, str]]) -> None:
    """``ATTRIBUTION.md``: per package its version, licences, copyright holders, and every track used.

    Model cards include this file as is (CC-BY / CC-BY-SA music requires the attribution).
    """
    by_package: dict[str, list[TrackRecord]] = defaultdict(list)
    for record in records:
        by_package[record.package].append(record)
    total_minutes = sum(r.seconds for r in records) / 60
    lines = [
        "# Training corpus: sources, licences and attribution",
        "",
        f"Built by `melodygan corpus build` (tier {meta.get('tier')}, seed {meta.get('seed')}): "
        f"{len(records)} files, {total_minutes:.0f} minutes. Recorded genres come from freely licensed "
        "Debian music packages; arranged genres are General-MIDI arrangements generated with MMA and "
        "rendered with the FluidR3_GM soundfont. Each package's full copyright file is in `licences/`.",
        "",
        str(meta.get("label_policy", "")),
        "",
    ]
    for package in sorted(by_package):
        items = sorted(by_package[package], key=lambda r: r.file)
        info = packages.get(package, {})
        licences = sorted({r.licence for r in items})
        minutes = sum(r.seconds for r in items) / 60
        lines += [
            f"## {package} {info.get('version', '')}".rstrip(),
            "",
            f"{len(items)} file(s), {minutes:.1f} minutes. Licences: {', '.join(licences)}. "
            f"Copyright file: `licences/{package}.copyright`.",
            "",
            "| file | genre | licence | attribution |",
            "|---|---|---|---|",
        ]
        lines += [f"| {_cell(r.source.rsplit('/', 1)[-1])} | {r.label} | {_cell(r.licence)} | "
                  f"{_cell(r.attribution)} |" for r in items]
        lines.append("")
    _atomic_text(corpus_dir / "ATTRIBUTION.md", "\n".join(lines))


def write_excluded(corpus_dir: Path, rows: list[tuple[str, str, str]]) -> None:
    """``excluded.tsv``: every found file that was left out or failed, with the reason."""
    text = "package\tsource\treason\n" + "".join(f"{p}\t{s}\t{r}\n" for p, s, r in sorted(rows))
    _atomic_text(corpus_dir / "excluded.tsv", text)
