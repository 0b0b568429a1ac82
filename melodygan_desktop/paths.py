"""Where user data lives: models, runs, logs, caches; ``MELODYGAN_HOME`` overrides the base folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR_NAME = "MELodyGAN"


def display_text(text: str) -> str:
    """``text`` safe to print or show: bytes of a file name that are not valid UTF-8 (held by Python as
    surrogate escapes) appear as U+FFFD, instead of making a terminal write fail or vanishing in a widget."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


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
