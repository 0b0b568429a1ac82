"""On-disk cache of per-file log-mel clips, reused across training runs.

An entry is ``<key>.npy`` (float16, (N, n_mels, frames)) plus ``<key>.json``; the key hashes the file's
resolved path, size, mtime_ns, the full ``MelConfig`` and ``CACHE_VERSION``, so editing a file or changing
any mel setting misses the cache. Files refused for content reasons (too short, silent, NaN) are cached too,
so a second run does not decode them again. A damaged entry is treated as a miss and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from melodygan_desktop.checkpoints.files import (
    check_regular,
    create_exclusive,
    read_regular_bytes,
    unique_tmp_path,
)
from melodygan_desktop.config import MelConfig, to_dict

#: Bump when clip cutting, silence rules or the mel front-end change what an entry would hold.
CACHE_VERSION = 2

_log = logging.getLogger(__name__)
_KEY = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class CacheEntry:
    """A cached result: ``mels`` float16 (N, n_mels, frames) for a usable file, else ``reason``."""

    mels: np.ndarray | None
    seconds: float
    silent_clips: int = 0
    reason: str | None = None


def default_cache_dir() -> Path:
    """The one default mel cache, the user cache: prepare, train, evaluate and the app share it."""
    from melodygan_desktop.paths import cache_dir

    return cache_dir()


def cache_key(path: Path, mel: MelConfig) -> str | None:
    """Hex key for ``path`` under ``mel``; None when the file cannot be stat-ed."""
    try:
        resolved = path.resolve(strict=True)
        info = resolved.stat()
    except (OSError, RuntimeError):  # RuntimeError: symlink loop on older Pythons
        return None
    identity = {
        "path": os.fsencode(resolved).hex(),  # bytes: file names need not be valid UTF-8
        "size": info.st_size,
        "mtime_ns": info.st_mtime_ns,
        "mel": to_dict(mel),
        "version": CACHE_VERSION,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


class ClipCache:
    """Reads and writes entries under ``directory``; a folder that cannot be written disables storing."""

    def __init__(self, directory: str | os.PathLike[str], mel: MelConfig):
        self.directory = Path(directory).expanduser()
        self.mel = mel
        self.writable = True

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.directory / f"{key}.npy", self.directory / f"{key}.json"

    def load(self, key: str) -> CacheEntry | None:
        """The entry for ``key``, or None on a miss or a damaged entry."""
        npy_path, json_path = self._paths(key)
        try:
            record = json.loads(read_regular_bytes(json_path, 1 << 20))  # a pipe never blocks the reader
            if not isinstance(record, dict) or record.get("version") != CACHE_VERSION:
                return None
            seconds = float(record["seconds"])
            silent = int(record.get("silent_clips", 0))
            if record.get("reason") is not None:
                reason = str(record["reason"])
                return CacheEntry(mels=None, seconds=seconds, silent_clips=silent, reason=reason)
            check_regular(npy_path)
            mels = np.load(npy_path, mmap_mode="r", allow_pickle=False)  # copied once into the ClipSet
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
            _log.info("ignoring damaged cache entry %s: %s", json_path, exc)
            return None
        expected = (self.mel.n_mels, self.mel.frames)
        if mels.dtype != np.float16 or mels.ndim != 3 or mels.shape[1:] != expected or mels.shape[0] < 1:
            return None
        if mels.shape[0] != int(record.get("clips", -1)):
            return None
        return CacheEntry(mels=mels, seconds=seconds, silent_clips=silent)

    def store(self, key: str, source: Path, entry: CacheEntry) -> None:
        """Write ``entry`` atomically (temp file + ``os.replace``); errors only log and disable storing."""
        if not self.writable:
            return
        npy_path, json_path = self._paths(key)
        record = {
            "version": CACHE_VERSION,
            "source": str(source),  # json escapes undecodable (surrogate) characters
            "seconds": entry.seconds,
            "silent_clips": entry.silent_clips,
            "clips": 0 if entry.mels is None else int(entry.mels.shape[0]),
            "reason": entry.reason,
        }
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if entry.mels is not None:
                _atomic_write(npy_path, lambda handle: np.save(handle, entry.mels, allow_pickle=False))
            _atomic_write(json_path, lambda handle: handle.write(json.dumps(record).encode()))
        except OSError as exc:
            self.writable = False
            _log.warning("mel cache %s is not writable (%s); continuing without caching", self.directory, exc)

    def clear(self) -> int:
        """Delete every entry; returns how many files were removed."""
        removed = 0
        if not self.directory.is_dir():
            return 0
        for path in self.directory.iterdir():  # only the cache's own files: <64 hex digits>.npy/.json[...tmp]
            key = path.name.split(".", 1)[0]
            if path.suffix in (".npy", ".json", ".tmp") and _KEY.match(key) and not path.is_dir():
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def _atomic_write(path: Path, write) -> None:
    """A fresh temporary name, created exclusively without following symlinks, then renamed into place."""
    tmp = unique_tmp_path(path)
    try:
        with create_exclusive(tmp) as handle:
            write(handle)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
