"""Errors shown in dialogs; the details (traceback) go to the log file under the user's data folder."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from melodygan_desktop.paths import display_text

log = logging.getLogger("melodygan_desktop.errors")


class ErrorReporter:
    """``report(title, message, details)`` logs the error and opens a non-blocking dialog over ``parent``.

    ``show_dialogs=False`` only logs and records (used by tests and the smoke test); ``reported`` keeps the
    (title, message) of every error of this session.
    """

    def __init__(
        self, parent: QWidget | None = None, log_path: Path | None = None, show_dialogs: bool = True
    ) -> None:
        self.parent = parent
        self.log_path = log_path
        self.show_dialogs = show_dialogs
        self.reported: list[tuple[str, str]] = []
        self._open: list[QMessageBox] = []

    def report(self, title: str, message: str, details: str = "") -> None:
        # Messages quote file and folder names: control characters are shown escaped, never acted on.
        title, message = display_text(title), display_text(message)
        log.error("%s: %s\n%s", title, message, details)
        self.reported.append((title, message))
        if not self.show_dialogs:
            return
        box = QMessageBox(
            QMessageBox.Icon.Critical, title, message, QMessageBox.StandardButton.Ok, self.parent
        )
        where = f"\n\nDetails are in the log file:\n{self.log_path}" if self.log_path else ""
        box.setInformativeText(where.strip())
        if details:
            box.setDetailedText(details)
        box.finished.connect(lambda *args, dialog=box: self._closed(dialog))
        self._open.append(box)
        box.open()

    def _closed(self, box: QMessageBox) -> None:
        if box in self._open:
            self._open.remove(box)
        box.deleteLater()

    def open_dialogs(self) -> list[QMessageBox]:
        return list(self._open)
