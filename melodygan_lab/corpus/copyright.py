"""Licence and attribution of each music file, read from a Debian package's ``copyright`` file.

Machine-readable (DEP-5) files are matched stanza by stanza (the last matching ``Files:`` stanza wins);
free-form files give the package licence from ``music_packages.tsv`` and their copyright lines.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

_NOT_MUSIC_ROOTS = ("debian",)


@dataclass(frozen=True)
class FileLicence:
    licence: str
    attribution: str


@dataclass(frozen=True)
class _Stanza:
    patterns: tuple[str, ...]
    copyright: str
    licence: str


def _paragraphs(text: str) -> list[dict[str, str]]:
    """Split a control-style file into paragraphs of ``Field: value`` (continuation lines joined by \\n)."""
    paragraphs: list[dict[str, str]] = []
    current: dict[str, str] = {}
    field = None
    for line in text.splitlines():
        if not line.strip():
            if current:
                paragraphs.append(current)
            current, field = {}, None
            continue
        if line[0] in " \t" and field:
            value = line.strip()
            current[field] += "\n" + ("" if value == "." else value)
            continue
        name, sep, value = line.partition(":")
        if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", name):
            field = name.lower()
            current[field] = value.strip()
    if current:
        paragraphs.append(current)
    return paragraphs


def _one_line(text: str, limit: int = 300) -> str:
    joined = "; ".join(part.strip() for part in text.splitlines() if part.strip())
    return joined if len(joined) <= limit else joined[: limit - 3] + "..."


def _pattern_matches(pattern: str, path_parts: list[str]) -> bool:
    """Match a source-tree glob against an installed path by trailing components.

    Debian installs ``data/music/x.ogg`` as ``usr/share/games/foo/music/x.ogg``, so every trailing
    component must match, and only the pattern's first (source root) component may differ when the
    pattern has three or more components.
    """
    parts = pattern.strip("/").split("/")
    if parts == ["*"]:
        return True
    if parts[0] in _NOT_MUSIC_ROOTS:
        return False
    matched = 0
    for glob, name in zip(reversed(parts), reversed(path_parts), strict=False):
        if not fnmatch.fnmatchcase(name, glob):
            break
        matched += 1
    if matched == len(parts):
        return True
    return len(parts) >= 3 and matched == len(parts) - 1


class CopyrightInfo:
    """The parsed copyright file of one package; ``lookup(path)`` gives licence and attribution."""

    def __init__(self, text: str, fallback_licence: str, package: str) -> None:
        self.package = package
        self.text = text
        self.fallback_licence = fallback_licence
        paragraphs = _paragraphs(text)
        self.machine_readable = bool(paragraphs) and "format" in paragraphs[0]
        self.upstream = paragraphs[0].get("upstream-name", package) if paragraphs else package
        self._stanzas = [
            _Stanza(tuple(p["files"].split()), p.get("copyright", ""), p.get("license", ""))
            for p in paragraphs
            if "files" in p
        ]
        self._free_form = _one_line(
            "\n".join(line for line in text.splitlines() if re.search(r"(?i)copyright|\(c\)|©", line)), 400
        )

    @classmethod
    def from_file(cls, path: Path | None, fallback_licence: str, package: str) -> CopyrightInfo:
        text = path.read_text(encoding="utf-8", errors="replace") if path and path.is_file() else ""
        return cls(text, fallback_licence, package)

    def lookup(self, installed_path: str) -> FileLicence:
        """Licence (short name) and attribution (copyright holders) for one installed or archived path."""
        parts = [p for p in installed_path.replace("\\", "/").split("/") if p]
        if self.machine_readable:
            for stanza in reversed(self._stanzas):
                if any(_pattern_matches(pattern, parts) for pattern in stanza.patterns):
                    licence = stanza.licence.splitlines()[0].strip() if stanza.licence else ""
                    attribution = _one_line(stanza.copyright) or self.upstream
                    return FileLicence(licence or self.fallback_licence, attribution)
        attribution = self._free_form or f"{self.upstream} authors (see the package copyright file)"
        return FileLicence(self.fallback_licence, attribution)
