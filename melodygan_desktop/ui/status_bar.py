"""Status bar whose messages are elided with "…" when the window is narrow (QStatusBar clips them silently);
the whole message stays in the tooltip."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QStatusBar, QWidget

from melodygan_desktop.ui.elided_label import ElidedLabel


class StatusBar(QStatusBar):
    """``showMessage``/``currentMessage``/``clearMessage`` as QStatusBar's, drawn by an ``ElidedLabel``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message_label = ElidedLabel(minimum_width=80)
        self.addWidget(self.message_label, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clearMessage)

    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802 (Qt's name)
        self.message_label.setText(text)
        if timeout > 0:
            self._timer.start(timeout)
        else:
            self._timer.stop()

    def currentMessage(self) -> str:  # noqa: N802 (Qt's name)
        return self.message_label.text()

    def clearMessage(self) -> None:  # noqa: N802 (Qt's name)
        self._timer.stop()
        self.message_label.setText("")
