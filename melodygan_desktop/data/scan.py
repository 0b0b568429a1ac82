"""Find the audio tracks in a data folder and label each with its genre (the sub-folder it sits in).

Walks the folder without following symlink loops, reports files that cannot be used before any decoding
(empty, unreadable, broken or looping links, directories named like audio files) and never raises for a
single bad entry.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from melodygan_desktop.paths import display_text

#: Fallback when the audio module does not list its extensions; kept in step with ``audio.io``.
DEFAULT_AUDIO_EXTENSIONS = frozenset(
    {".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif", ".aifc", ".au", ".snd"}
)


class DataFolderError(Exception):
    """The data folder itself cannot be used (missing, not a folder, unreadable)."""


class NoUsableAudioError(DataFolderError):
    """A data folder gave no usable clip; ``skipped`` lists every file that was tried, with its reason."""

    def __init__(
        self, folder: str | os.PathLike[str], skipped: Iterable[tuple[str, str]] = (), note: str = ""
    ):
        self.folder = str(folder)
        self.skipped = tuple(skipped)
        # File names are untrusted: shown with control characters escaped, one line each.
        lines = [f"No usable audio in {display_text(self.folder)}: {note or 'no audio files found'}."]
        if self.skipped:
            lines.append(f"{len(self.skipped)} file(s) skipped:")
            lines.extend(
                f"  {display_text(path)}: {display_text(reason)}" for path, reason in self.skipped[:20]
            )
            if len(self.skipped) > 20:
                lines.append(f"  ... and {len(self.skipped) - 20} more")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Track:
    """One audio file and its genre label; ``relative`` is its path inside the data folder (POSIX style)."""

    path: Path
    genre: str
    relative: str = ""


@dataclass(frozen=True)
class ScanResult:
    """Candidate tracks (not decoded yet), the sorted genre names, and entries refused while walking."""

    tracks: list[Track]
    genres: tuple[str, ...]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    ignored_files: int = 0  # files with a non-audio extension (cover art, CSV sheets ...)


def audio_extensions() -> frozenset[str]:
    """Lower-case extensions (with the dot) that count as audio files."""
    try:
        from melodygan_desktop.audio.io import SUPPORTED_EXTENSIONS
    except ImportError:
        return DEFAULT_AUDIO_EXTENSIONS
    return frozenset(ext.lower() for ext in SUPPORTED_EXTENSIONS) | DEFAULT_AUDIO_EXTENSIONS


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENOENT:
        return "broken symlink or file vanished"
    if exc.errno == errno.ENAMETOOLONG:
        return "file name too long"
    return exc.strerror or type(exc).__name__


def check_file(path: Path) -> str | None:
    """Why ``path`` cannot be an audio file before decoding it (None when it may be one)."""
    try:
        info = path.stat()  # follows symlinks: ELOOP / ENOENT for loops and broken links
    except OSError as exc:
        return _os_reason(exc)
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, not an audio file"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (device, pipe or socket)"
    if info.st_size == 0:
        return "empty file (0 bytes)"
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as exc:
        return _os_reason(exc)
    return None


def _walk(root: Path, extensions: frozenset[str], found: list[Path], skipped: list[tuple[str, str]]) -> int:
    """Depth-first walk that follows directory symlinks once per real folder; returns ignored files."""
    visited: set[tuple[int, int]] = set()
    ignored = 0
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            info = folder.stat()
            key = (info.st_dev, info.st_ino)
            if key in visited:
                skipped.append((str(folder), "symlink loop (folder already scanned)"))
                continue
            visited.add(key)
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as exc:
            skipped.append((str(folder), f"folder not readable: {_os_reason(exc)}"))
            continue
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue  # hidden files and folders (.DS_Store, ._AppleDouble, caches)
            path = Path(entry.path)
            is_audio_name = path.suffix.lower() in extensions
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                is_dir = False
            if is_dir and not is_audio_name:
                subfolders.append(path)
            elif is_audio_name:
                reason = check_file(path)
                if reason is None:
                    found.append(path)
                elif reason.startswith("is a folder") and _contains_audio(path, extensions):
                    subfolders.append(path)  # a folder named "album.mp3" that holds real tracks
                else:
                    skipped.append((str(path), reason))
            else:
                ignored += 1
        stack.extend(reversed(subfolders))
    return ignored


def _contains_audio(folder: Path, extensions: frozenset[str]) -> bool:
    try:
        return any(entry.name.lower().endswith(tuple(extensions)) for entry in os.scandir(folder))
    except OSError:
        return False


def label_tracks(root: Path, paths: list[Path]) -> list[Track]:
    """Genre labels: drop the leading folders shared by every track, then the first folder left is the genre.

    Files directly in the (stripped) root take the root folder's own name, so a flat folder is one label and
    GTZAN's ``genres_original/<genre>/*.wav`` gives its ten genres when pointed at either level.
    A genre is a folder name shown as text: control characters in it are escaped (``display_text``), so a
    label never carries terminal escape sequences into the CLI, the GUI, config.json or a model's meta.json.
    """
    relatives = [path.relative_to(root) for path in paths]
    parents = [rel.parts[:-1] for rel in relatives]
    common: list[str] = []
    if parents:
        for parts in zip(*parents):  # noqa: B905 (shortest path bounds the prefix)
            if any(part != parts[0] for part in parts):
                break
            common.append(parts[0])
    root_name = display_text(root.joinpath(*common).name if common else root.resolve().name) or "audio"
    tracks = []
    for path, rel, parent in zip(paths, relatives, parents, strict=True):
        rest = parent[len(common):]
        genre = display_text(rest[0]) if rest else root_name
        tracks.append(Track(path=path, genre=genre, relative=rel.as_posix()))
    return tracks


def scan_folder(data_dir: str | os.PathLike[str]) -> ScanResult:
    """The audio files under ``data_dir`` with genre labels; ``DataFolderError`` if the folder is unusable.

    Bad entries are returned in ``skipped`` as ``(path, reason)``; a folder without any candidate track
    still returns (``prepare_dataset`` turns that into ``NoUsableAudioError`` with the reasons).
    """
    root = Path(data_dir).expanduser().absolute()  # reported paths stay unambiguous
    if not root.exists():
        raise DataFolderError(f"Data folder {root} does not exist")
    if not root.is_dir():
        raise DataFolderError(f"Data folder {root} is not a folder")
    try:
        next(iter(os.scandir(root)), None)
    except OSError as exc:
        raise DataFolderError(f"Data folder {root} cannot be read: {_os_reason(exc)}") from None
    found: list[Path] = []
    skipped: list[tuple[str, str]] = []
    ignored = _walk(root, audio_extensions(), found, skipped)
    tracks = label_tracks(root, found)
    genres = tuple(sorted({track.genre for track in tracks}))
    return ScanResult(tracks=tracks, genres=genres, skipped=skipped, ignored_files=ignored)
