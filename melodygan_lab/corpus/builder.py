"""``build_corpus``: packages -> labelled, split, rendered genre folders with a manifest and attribution.

Layout of a corpus folder: ``<split>/<genre>/<file>`` (split = train | validation | test),
``manifest.tsv`` / ``manifest.json``, ``ATTRIBUTION.md``, ``licences/``, ``arrangements/`` (MMA sources),
``excluded.tsv``, and ``.work/`` (downloads, scans, per-track records: what makes a rerun resume).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CorpusError, MissingToolError
from .fetch import AptFetcher, PackageFetcher, expand_archives
from .labels import POLICY_SUMMARY, genres_of_package
from .manifest import (
    TrackRecord,
    load_record,
    minutes_table,
    record_path,
    save_record,
    write_attribution,
    write_excluded,
    write_manifest,
)
from .packages import PackageScan, scan_package
from .produce import produce_song, produce_track
from .render import Tools
from .songplan import SOUNDFONT_CREDIT, copy_renderer_licences, song_candidates
from .split import DEFAULT_FRACTIONS, Candidate, assign_splits, load_splits, save_json, select
from .tables import CorpusTables, load_tables

#: progress(stage, done, total, message): stage is "scan", "render", "arrange" or "write".
ProgressCallback = Callable[[str, int, int, str], None]
WORK_DIR_NAME = ".work"
RENDER_ERRORS = (CorpusError, OSError, ValueError)


@dataclass(frozen=True)
class TierSettings:
    max_minutes_per_genre: float  # recorded material kept per genre (round-robin across packages)
    songs_per_genre: int  # MMA songs per arranged genre
    song_seconds: float


TIER_SETTINGS = {"core": TierSettings(75.0, 48, 75.0), "extended": TierSettings(240.0, 96, 75.0)}


@dataclass
class CorpusResult:
    corpus_dir: Path
    records: list[TrackRecord]
    minutes: dict[str, dict[str, float]]
    excluded: list[tuple[str, str, str]] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)
    elapsed_seconds: float = 0.0


def _check_tools(tools: Tools, genres: set[str], arranged: list[str]) -> None:
    needed = []
    if "chiptune" in genres and tools.openmpt123 is None:
        needed.append("openmpt123")
    if arranged:
        needed += [n for n in ("mma",) if getattr(tools, n) is None]
        if tools.fluidsynth is None and tools.timidity is None:
            needed.append("fluidsynth")
        if tools.soundfont is None:
            needed.append("fluid-soundfont-gm")
        if "metal" in arranged and tools.sox is None:
            needed.append("sox")
    if needed:
        raise MissingToolError(f"missing renderer(s): {', '.join(needed)}; install them with "
                               "`melodygan corpus deps --install` (needs root) and run the build again")


def _run_tasks(tasks: list[tuple[str, Callable[[], TrackRecord]]], jobs: int, stage: str,
               progress: ProgressCallback | None, work_dir: Path, failed: list) -> list[TrackRecord]:
    """Run (label, task) pairs on ``jobs`` threads; failures are recorded, never fatal."""
    done: list[TrackRecord] = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(task): label for label, task in tasks}
        for count, future in enumerate(as_completed(futures), start=1):
            label = futures[future]
            try:
                record = future.result()
                save_record(work_dir, record)
                done.append(record)
            except RENDER_ERRORS as exc:
                failed.append((label.split(":", 1)[0], label.split(":", 1)[-1], f"render: {exc}"))
            if progress:
                progress(stage, count, len(tasks), label)
    return done


def _all_records(work_dir: Path, corpus_dir: Path) -> list[TrackRecord]:
    records = []
    for path in sorted((work_dir / "records").glob("*.json")):
        track_id = json.loads(path.read_text(encoding="utf-8")).get("track_id", "")
        record = load_record(work_dir, track_id, corpus_dir)
        if record is not None:
            records.append(record)
    return records


def _needs_work(work_dir: Path, corpus_dir: Path, track_id: str, split: str) -> bool:
    """True unless the track's file is done and sits in its planned split (a stale one is removed)."""
    record = load_record(work_dir, track_id, corpus_dir)
    if record is None:
        return True
    if record.split == split:
        return False
    (corpus_dir / record.file).unlink(missing_ok=True)
    record_path(work_dir, track_id).unlink(missing_ok=True)
    return True


def _prune(work_dir: Path, corpus_dir: Path, genres: set[str], keep: set[str]) -> None:
    """Delete earlier outputs of the genres being built that this build no longer selects."""
    for record in _all_records(work_dir, corpus_dir):
        if record.label in genres and record.track_id not in keep:
            (corpus_dir / record.file).unlink(missing_ok=True)
            record_path(work_dir, record.track_id).unlink(missing_ok=True)


def _resolve_genres(tables: CorpusTables, genres: Sequence[str] | None,
                    arrange: Iterable[str]) -> tuple[set[str], list[str]]:
    """(every genre to build, the genres that get MMA arrangements); unknown names are an error."""
    wanted = set(genres) if genres else set(tables.genres)
    unknown = sorted(wanted - set(tables.genres))
    if unknown:
        raise CorpusError(f"unknown genre(s) {', '.join(unknown)}; "
                          f"corpus genres: {', '.join(sorted(tables.genres))}")
    groove_genres = {g.genre for g in tables.grooves}
    extra = sorted(set(arrange) - groove_genres)
    if extra:
        raise CorpusError(f"no MMA grooves for {', '.join(extra)}; "
                          f"arrangeable genres: {', '.join(sorted(groove_genres))}")
    arranged = sorted({g for g in wanted if tables.genre_kind(g) == "arranged"} | set(arrange))
    return wanted | set(arranged), arranged


def _renderable(candidate: Candidate, tools: Tools) -> str:
    """Empty when the tools to render ``candidate`` are installed, else why not (optional renderers)."""
    if candidate.source_type == "lmms" and tools.lmms is None:
        return "lmms is not installed (LMMS projects are optional)"
    if candidate.source_type == "midi" and not ((tools.fluidsynth and tools.soundfont) or tools.timidity):
        return "neither fluidsynth (with fluid-soundfont-gm) nor timidity is installed"
    return ""


def _unique_candidates(scans: list[PackageScan], wanted: set[str], tools: Tools,
                       excluded: list[tuple[str, str, str]]) -> list[Candidate]:
    """Renderable candidates of the wanted genres; identical files (same sha256) kept once."""
    unique: dict[str, Candidate] = {}
    for candidate in (c for scan in scans for c in scan.candidates):
        first = unique.get(candidate.source_sha256)
        reason = _renderable(candidate, tools)
        if first is not None:
            excluded.append((candidate.package, candidate.source, f"duplicate of {first.track_id}"))
        elif reason and candidate.genre in wanted:
            excluded.append((candidate.package, candidate.source, f"tool: {reason}"))
        elif candidate.genre in wanted:
            if candidate.source_type == "midi":
                credit = f"{candidate.attribution}; {SOUNDFONT_CREDIT}"
                candidate = dataclasses.replace(candidate, attribution=credit)
            unique[candidate.source_sha256] = candidate
    return list(unique.values())


def _package_versions(work_dir: Path) -> dict[str, dict[str, str]]:
    versions = {}
    for path in sorted((work_dir / "packages").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        versions[data.get("package", path.stem)] = {"version": data.get("version", "")}
    return versions


def build_corpus(
    out_dir: str | Path, *, tier: str = "core", genres: Sequence[str] | None = None,
    progress: ProgressCallback | None = None, jobs: int = 1, seed: int = 0,
    max_minutes_per_genre: float | None = None, songs_per_genre: int | None = None,
    song_seconds: float | None = None, split_fractions: tuple[float, float, float] = DEFAULT_FRACTIONS,
    arrange: Iterable[str] = (), fetcher: PackageFetcher | None = None, tools: Tools | None = None,
    tables: CorpusTables | None = None, offline: bool = False, keep_extracted: bool = False,
    max_render_seconds: float = 480.0,
) -> CorpusResult:
    """Build (or resume) the corpus in ``out_dir``; see the module docstring for the layout.

    ``genres`` limits the build to some genres; ``arrange`` adds MMA arrangements to genres that are
    recorded otherwise (kind "arranged" in the manifest). ``fetcher``/``tools``/``tables`` are injectable
    for tests. Returns the records of every file now in the corpus and minutes per genre and split.
    """
    started = time.monotonic()
    tables = tables or load_tables()
    tier_packages = tables.packages_for_tier(tier)
    settings = TIER_SETTINGS[tier]
    corpus_dir = Path(out_dir).expanduser().resolve()
    work_dir = corpus_dir / WORK_DIR_NAME
    wanted, arranged = _resolve_genres(tables, genres, arrange)
    tools = tools or Tools.detect()
    _check_tools(tools, wanted, arranged)
    fetcher = fetcher or AptFetcher(work_dir / "debs", work_dir / "extract", offline=offline)
    packages = [p for p in tier_packages
                if genres is None or genres_of_package(p.name, p.label_hint, tables) & wanted]

    scans: list[PackageScan] = []
    failed: list[tuple[str, str, str]] = []
    for index, package in enumerate(packages):
        if progress:
            progress("scan", index, len(packages), package.name)
        try:
            scans.append(scan_package(package, fetcher, tables, work_dir=work_dir,
                                      licences_dir=corpus_dir / "licences"))
        except RENDER_ERRORS as exc:
            failed.append((package.name, "", f"package: {exc}"))
            fetcher.release(package.name)
    if progress:
        progress("scan", len(packages), len(packages), "")

    excluded = [tuple(row) for scan in scans for row in scan.excluded]
    cap_minutes = settings.max_minutes_per_genre if max_minutes_per_genre is None else max_minutes_per_genre
    usable = _unique_candidates(scans, wanted, tools, excluded)
    chosen = select(usable, max_seconds_per_genre=cap_minutes * 60, seed=seed)
    songs = song_candidates(
        tables, arranged, count=settings.songs_per_genre if songs_per_genre is None else songs_per_genre,
        seed=seed, seconds=settings.song_seconds if song_seconds is None else song_seconds)
    everything = chosen + [candidate for candidate, _spec in songs]
    previous = load_splits(work_dir / "splits.json")
    splits = assign_splits(everything, previous, seed=seed, fractions=split_fractions)
    save_json(work_dir / "splits.json", {**previous, **splits})
    _prune(work_dir, corpus_dir, wanted, {c.track_id for c in everything})

    package_entries = {p.name: p for p in packages}
    by_package: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in chosen:
        if _needs_work(work_dir, corpus_dir, candidate.track_id, splits[candidate.track_id]):
            by_package[candidate.package].append(candidate)
    total = sum(len(items) for items in by_package.values())
    done = 0
    scratch = work_dir / "scratch"
    for package in sorted(by_package):
        try:
            root = fetcher.fetch(package)
            expand_archives(root, package_entries[package])  # a fresh extraction after a cached scan
        except RENDER_ERRORS as exc:
            failed += [(package, c.source, f"package: {exc}") for c in by_package[package]]
            continue
        tasks = [(f"{c.package}:{c.source}", functools.partial(
            produce_track, c, splits[c.track_id], root / c.source, corpus_dir, scratch, tools,
            max_render_seconds=max_render_seconds)) for c in by_package[package]]

        def shifted(stage: str, count: int, _total: int, label: str, offset: int = done) -> None:
            if progress:
                progress(stage, offset + count, total, label)

        _run_tasks(tasks, jobs, "render", shifted, work_dir, failed)
        done += len(tasks)
    if not keep_extracted:
        for package in sorted({s.package for s in scans} | set(by_package)):
            fetcher.release(package)

    song_tasks = [(f"mma:{spec.file_stem}", functools.partial(
        produce_song, c, spec, splits[c.track_id], corpus_dir, scratch, tools,
        max_render_seconds=max_render_seconds))
        for c, spec in songs if _needs_work(work_dir, corpus_dir, c.track_id, splits[c.track_id])]
    _run_tasks(song_tasks, jobs, "arrange", progress, work_dir, failed)
    copy_renderer_licences(corpus_dir / "licences")

    if progress:
        progress("write", 0, 1, "manifest")
    records = _all_records(work_dir, corpus_dir)
    versions = _package_versions(work_dir)
    meta = {
        "tier": tier, "seed": seed, "split_fractions": list(split_fractions), "label_policy": POLICY_SUMMARY,
        "genres": {g.name: {"kind": g.kind, "display": g.display} for g in tables.genres.values()},
        "arranged_extra": sorted(set(arrange)), "packages": versions,
    }
    write_manifest(corpus_dir, records, meta)
    write_attribution(corpus_dir, records, meta, versions)
    write_excluded(corpus_dir, excluded + failed)
    if progress:
        progress("write", 1, 1, "manifest")
    return CorpusResult(corpus_dir, records, minutes_table(records), excluded, failed,
                        time.monotonic() - started)
