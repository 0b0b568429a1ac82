"""Remembered window layout, folders and choices, stored in an INI file under the user's data folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from melodygan_desktop import paths


class AppSettings:
    """Typed access to ``QSettings``; ``path`` defaults to ``<user data>/settings.ini``.

    An INI file under ``paths.user_data_dir()`` (instead of the platform registry) keeps every setting of
    the app next to its models and logs, and lets ``MELODYGAN_HOME`` isolate tests and portable installs.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else paths.user_data_dir() / "settings.ini"
        self._settings = QSettings(str(self.path), QSettings.Format.IniFormat)

    # -- generic
    def value(self, key: str, default: Any = None, kind: type | None = None) -> Any:
        """Value of ``key`` converted to ``kind`` (str, int, float, bool); ``default`` if missing or bad."""
        raw = self._settings.value(key, None)
        if raw is None:
            return default
        if kind is None:
            return raw
        try:
            if kind is bool:
                if isinstance(raw, str):
                    return raw.strip().lower() in ("1", "true", "yes", "on")
                return bool(raw)
            return kind(raw)
        except (TypeError, ValueError):
            return default

    def set_value(self, key: str, value: Any) -> None:
        self._settings.setValue(key, value)

    def remove(self, key: str) -> None:
        self._settings.remove(key)

    def sync(self) -> None:
        self._settings.sync()

    # -- window
    def window_geometry(self) -> QByteArray | None:
        value = self._settings.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def window_state(self) -> QByteArray | None:
        value = self._settings.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._settings.setValue("window/geometry", geometry)
        self._settings.setValue("window/state", state)

    # -- folders
    def folder(self, name: str) -> str:
        """Last folder used for ``name`` ("data", "export", "model"), or the home folder."""
        value = self.value(f"folders/{name}", "", str)
        return value if value and Path(value).is_dir() else str(Path.home())

    def set_folder(self, name: str, folder: str | Path) -> None:
        self.set_value(f"folders/{name}", str(folder))
