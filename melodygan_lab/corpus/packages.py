"""Scan one music package: fetch it, find its music, label each file, read licences; cached per package."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import soundfile

from .copyright import CopyrightInfo
from .fetch import PackageFetcher, discover, find_copyright
from .labels import decide_label
from .manifest import sha256_of
from .split import Candidate, family_of, save_json, stable_hash
from .tables import CorpusTables, MusicPackage

SCAN_VERSION = 1
DEFAULT_RENDER_ESTIMATE = 180.0  # seconds assumed for a module/MIDI file the tables do not know


@dataclass
class PackageScan:
    """What one package offers: labelled candidates, files left out (with the reason), its version."""

    package: str
    version: str = ""
    candidates: list[Candidate] = field(default_factory=list)
    excluded: list[tuple[str, str, str]] = field(default_factory=list)
    copyright_found: bool = False
    fingerprint: str = ""

    def to_json(self) -> dict:
        return {"scan_version": SCAN_VERSION, "package": self.package, "version": self.version,
                "copyright_found": self.copyright_found, "fingerprint": self.fingerprint,
                "candidates": [asdict(c) for c in self.candidates], "excluded": self.excluded}

    @classmethod
    def from_json(cls, data: dict) -> PackageScan | None:
        if data.get("scan_version") != SCAN_VERSION:
            return None
        return cls(data["package"], data.get("version", ""), [Candidate(**c) for c in data["candidates"]],
                   [tuple(row) for row in data["excluded"]], bool(data.get("copyright_found")),
                   data.get("fingerprint", ""))


def table_fingerprint(package: MusicPackage, tables: CorpusTables) -> str:
    """What the scan of ``package`` depends on in the tables: an edit there makes the cached scan stale."""
    parts = [package.name, package.label_hint, package.licence, package.pattern.pattern,
             sorted((g.name, g.kind) for g in tables.genres.values()),
             sorted(repr(o) for o in tables.overrides if o.package == package.name),
             sorted(repr(v) for (owner, _key), v in tables.labels.items() if owner == package.name)]
    return stable_hash(json.dumps(parts))


def _version_of(root: Path, fetcher: PackageFetcher, package: str) -> str:
    deb_path = getattr(fetcher, "deb_path", None)
    deb = deb_path(package) if callable(deb_path) else None
    if deb is not None:
        parts = deb.name.split("_")
        return parts[1].replace("%3a", ":") if len(parts) >= 3 else ""
    version_file = root / "VERSION"
    return version_file.read_text(encoding="utf-8").strip() if version_file.is_file() else ""


def _estimate_seconds(path: Path, source_type: str, table_seconds: float) -> float:
    if table_seconds > 0:
        return table_seconds
    if source_type == "recording":
        try:
            return float(soundfile.info(str(path)).duration)
        except (RuntimeError, soundfile.LibsndfileError):
            return 0.0
    return DEFAULT_RENDER_ESTIMATE


def scan_package(package: MusicPackage, fetcher: PackageFetcher, tables: CorpusTables, *,
                 work_dir: Path, licences_dir: Path) -> PackageScan:
    """Fetch and scan ``package`` (or reuse the cached scan in ``work_dir/packages``)."""
    cache = work_dir / "packages" / f"{package.name}.json"
    if cache.is_file() and (licences_dir / f"{package.name}.copyright").is_file():
        cached = PackageScan.from_json(json.loads(cache.read_text(encoding="utf-8")))
        if cached is not None and cached.fingerprint == table_fingerprint(package, tables):
            return cached
    root = fetcher.fetch(package.name)
    copyright_path = find_copyright(root, package.name)
    info = CopyrightInfo.from_file(copyright_path, package.licence, package.name)
    licences_dir.mkdir(parents=True, exist_ok=True)
    target = licences_dir / f"{package.name}.copyright"
    if copyright_path is not None:
        shutil.copyfile(copyright_path, target)
    else:
        target.write_text(f"No copyright file in the package; music licence per music_packages.tsv: "
                          f"{package.licence}\n", encoding="utf-8")
    scan = PackageScan(package.name, _version_of(root, fetcher, package.name),
                       copyright_found=copyright_path is not None,
                       fingerprint=table_fingerprint(package, tables))
    seen: dict[str, str] = {}
    for source in discover(package, root):
        decision = decide_label(source, tables, package.label_hint)
        if decision.label is None:
            scan.excluded.append((package.name, source.relative, f"{decision.rule}: {decision.reason}"))
            continue
        digest = sha256_of(source.path)
        if digest in seen:
            scan.excluded.append((package.name, source.relative, f"duplicate of {seen[digest]}"))
            continue
        seen[digest] = source.relative
        licence = info.lookup(source.relative)
        scan.candidates.append(Candidate(
            track_id=f"{package.name}:{source.relative}", package=package.name, genre=decision.label,
            kind=decision.kind, source_type=source.source_type, source=source.relative,
            seconds=_estimate_seconds(source.path, source.source_type, decision.estimated_seconds),
            licence=licence.licence, attribution=licence.attribution,
            group=family_of(package.name, source.relative), source_sha256=digest,
        ))
    save_json(cache, scan.to_json())
    return scan
