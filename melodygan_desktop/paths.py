"""Where user data lives: models, runs, logs, caches; ``MELODYGAN_HOME`` overrides the base folder."""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

APP_DIR_NAME = "MELodyGAN"

#: Characters that act on a terminal or reorder text instead of being shown: C0 and C1 controls (ESC starts
#: the sequences that clear the screen or set the window title), DEL, zero-width and bidirectional marks.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_NEWLINES = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def display_text(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` (a file name, a genre from meta.json, a tag, an error naming them) safe to print or show.

    Control characters are written as visible escapes (ESC as ``\\x1b``, a bidi override as ``\\u202e``),
    so an untrusted string can never clear a terminal, set its title or hide part of a line; bytes of a
    file name that are not valid UTF-8 (held by Python as surrogate escapes) appear as U+FFFD. With
    ``keep_newlines`` a multi-line message keeps its line breaks (every other control is still escaped).
    """
    text = str(text).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return (_NEWLINES if keep_newlines else _CONTROL).sub(_escape, text)


class EscapingFormatter(logging.Formatter):
    """A log formatter whose messages show control characters escaped (file names and meta.json strings
    reach the log too); line breaks of multi-line messages and tracebacks are kept."""

    def format(self, record: logging.LogRecord) -> str:
        return display_text(super().format(record), keep_newlines=True)


def user_data_dir() -> Path:
    """Per-user data folder (XDG on Linux, Application Support on macOS, %APPDATA% on Windows)."""
    override = os.environ.get("MELODYGAN_HOME")
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / APP_DIR_NAME


def user_models_dir() -> Path:
    return user_data_dir() / "models"


def runs_dir() -> Path:
    return user_data_dir() / "runs"


def cache_dir() -> Path:
    return user_data_dir() / "cache"


def log_dir() -> Path:
    return user_data_dir() / "logs"


def bundled_checkpoints_dir() -> Path:
    """The ``checkpoints/`` folder shipped with the app (next to the package, or inside a frozen bundle)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "checkpoints"
    return Path(__file__).resolve().parent.parent / "checkpoints"


def resources_dir() -> Path:
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"
