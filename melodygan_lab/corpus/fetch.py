"""Fetch Debian music packages (``apt-get download`` + ``dpkg -x``, no root) and find their music files.

``.pk3`` / ``.zip`` archives inside a package are opened in place: their members appear under
``<archive>.d/_zip/...``, which is what the regexes in ``music_packages.tsv`` expect.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from .errors import CorpusError, MissingToolError
from .tables import MusicPackage

RECORDING_EXTENSIONS = frozenset({".ogg", ".oga", ".opus", ".mp3", ".wav", ".flac"})
TRACKER_EXTENSIONS = frozenset({".mod", ".xm", ".it", ".s3m"})
MIDI_EXTENSIONS = frozenset({".mid", ".midi"})
LMMS_EXTENSIONS = frozenset({".mmp", ".mmpz"})
ARCHIVE_EXTENSIONS = frozenset({".pk3", ".zip"})
_COMPLETE = ".complete"


@dataclass(frozen=True)
class SourceFile:
    """One music file found in a package: ``relative`` is its POSIX path inside the extracted tree."""

    package: str
    relative: str
    path: Path
    source_type: str  # "recording" | "tracker" | "midi" | "lmms"


class PackageFetcher(Protocol):
    """Makes a package's files available on disk and returns the root of the extracted tree."""

    def fetch(self, package: str) -> Path: ...

    def release(self, package: str) -> None: ...


def source_type(path: str) -> str | None:
    suffix = PurePosixPath(path).suffix.lower()
    for kind, extensions in (
        ("recording", RECORDING_EXTENSIONS), ("tracker", TRACKER_EXTENSIONS),
        ("midi", MIDI_EXTENSIONS), ("lmms", LMMS_EXTENSIONS),
    ):
        if suffix in extensions:
            return kind
    return None


def _run(command: list[str], cwd: Path, what: str, timeout: float) -> None:
    if shutil.which(command[0]) is None:
        raise MissingToolError(f"{what}: `{command[0]}` is not installed (Debian: apt install {command[0]})")
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise CorpusError(f"{what}: `{' '.join(command)}` took longer than {timeout:.0f} s") from exc
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise CorpusError(f"{what}: `{' '.join(command)}` failed: {' / '.join(detail)}")


class AptFetcher:
    """``apt-get download`` into ``debs_dir`` (kept: a rerun downloads nothing), ``dpkg -x`` beside it."""

    def __init__(self, debs_dir: Path, extract_dir: Path, *, offline: bool = False, timeout: float = 3600.0):
        self.debs_dir = Path(debs_dir)
        self.extract_dir = Path(extract_dir)
        self.offline = offline
        self.timeout = timeout

    def deb_path(self, package: str) -> Path | None:
        found = sorted(self.debs_dir.glob(f"{package}_*.deb"))
        return found[-1] if found else None

    def download(self, package: str) -> Path:
        existing = self.deb_path(package)
        if existing is not None:
            return existing
        if self.offline:
            raise CorpusError(f"{package}: no downloaded .deb in {self.debs_dir} and downloads are off")
        partial = self.debs_dir / ".partial" / package
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        _run(["apt-get", "download", package], partial, f"downloading {package}", self.timeout)
        debs = sorted(partial.glob("*.deb"))
        if not debs:
            raise CorpusError(f"downloading {package}: apt-get wrote no .deb file")
        target = self.debs_dir / debs[-1].name
        os.replace(debs[-1], target)
        shutil.rmtree(partial, ignore_errors=True)
        return target

    def fetch(self, package: str) -> Path:
        root = self.extract_dir / package
        if (root / _COMPLETE).exists():
            return root
        deb = self.download(package)
        partial = self.extract_dir / f"{package}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
        partial.mkdir(parents=True)
        _run(["dpkg", "-x", str(deb), str(partial)], partial, f"extracting {deb.name}", self.timeout)
        (partial / _COMPLETE).touch()
        os.replace(partial, root)
        return root

    def release(self, package: str) -> None:
        """Delete the extracted tree (the .deb stays for the next run)."""
        shutil.rmtree(self.extract_dir / package, ignore_errors=True)


def _safe_member(name: str) -> PurePosixPath | None:
    member = PurePosixPath(name)
    if member.is_absolute() or ".." in member.parts or not member.name:
        return None
    return member


def expand_archives(root: Path, package: MusicPackage) -> int:
    """Open every ``.pk3``/``.zip`` under ``root``; extract only members the package regex selects.

    Returns the number of members written. Already extracted members are kept (resumable).
    """
    written = 0
    archives = [p for p in root.rglob("*") if p.suffix.lower() in ARCHIVE_EXTENSIONS and p.is_file()]
    for archive in sorted(archives):
        base = archive.with_name(archive.name + ".d") / "_zip"
        try:
            with zipfile.ZipFile(archive) as bundle:
                for info in bundle.infolist():
                    member = _safe_member(info.filename)
                    if member is None or info.is_dir():
                        continue
                    target = base / member
                    relative = target.relative_to(root).as_posix()
                    if not package.pattern.fullmatch(relative):
                        continue
                    if target.exists() and target.stat().st_size == info.file_size:
                        continue
                    target.parent.mkdir(parents=True, exist_ok=True)
                    temporary = target.with_name(target.name + ".part")
                    with bundle.open(info) as source, open(temporary, "wb") as sink:
                        shutil.copyfileobj(source, sink)
                    os.replace(temporary, target)
                    written += 1
        except zipfile.BadZipFile as exc:
            raise CorpusError(f"{package.name}: {archive.name} is not a readable zip/pk3: {exc}") from exc
    return written


def discover(package: MusicPackage, root: Path) -> list[SourceFile]:
    """All files under ``root`` whose relative path the package regex matches, sorted by path."""
    expand_archives(root, package)
    found = []
    for path in root.rglob("*"):
        if not path.is_file() or path.name.endswith(".part"):
            continue
        relative = path.relative_to(root).as_posix()
        kind = source_type(relative)
        if kind is not None and package.pattern.fullmatch(relative):
            found.append(SourceFile(package.name, relative, path, kind))
    return sorted(found, key=lambda item: item.relative)


def find_copyright(root: Path, package: str) -> Path | None:
    path = root / "usr" / "share" / "doc" / package / "copyright"
    return path if path.is_file() else None
