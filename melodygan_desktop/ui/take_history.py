"""Take history: the takes (kept across restarts), to show, replay, compare at the same moment, reuse,
export and clear."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from melodygan_desktop.services.generation import Take


def entry_text(take: Take) -> str:
    """Two short lines, so an entry fits the narrow list: ``"#3  jazz"`` / ``"10.0 s · seed 1230038965"``."""
    return f"#{take.number}  {take.genre_label}\n{take.duration_seconds:.1f} s · seed {take.request.seed}"


class TakeList(QListWidget):
    """The list of takes; an entry dragged out (onto the desktop, a file manager or a DAW) is a WAV file,
    written when the drag starts by ``drag_file(take) -> Path | None`` (None: nothing to drag)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.drag_file: Callable[[Take], Path | None] | None = None
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)

    def mimeTypes(self) -> list[str]:  # noqa: N802 (Qt's name)
        return ["text/uri-list"]

    def mimeData(self, items) -> QMimeData | None:  # noqa: N802 (Qt's name)
        if self.drag_file is None:
            return None
        paths = [self.drag_file(item.data(Qt.ItemDataRole.UserRole)) for item in items]
        paths = [path for path in paths if path is not None]
        if not paths:
            return None
        data = QMimeData()
        data.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
        return data

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802 (Qt's name)
        return Qt.DropAction.CopyAction


class TakeHistory(QWidget):
    """Newest take on top. Selecting a take emits ``take_selected(take)``: it is shown and switched to at
    the current play position, so clicking through takes compares them at the same moment.
    ``play_requested(take)`` (double-click or Play) plays it from the start; ``reuse_requested(take)``
    copies its seed and settings back; ``export_requested(take)`` exports it. At most ``capacity`` takes
    are kept (a 10-minute take is ~50 MB of audio).
    """

    take_selected = Signal(object)
    play_requested = Signal(object)
    reuse_requested = Signal(object)
    export_requested = Signal(object)
    clear_requested = Signal()

    def __init__(self, parent: QWidget | None = None, capacity: int = 30) -> None:
        super().__init__(parent)
        self.capacity = capacity
        self.list = TakeList()
        self.list.setToolTip(
            "Click: switch takes at the same moment (compare). Double-click: play from the start. "
            "Drag out: a WAV file onto the desktop or into a DAW"
        )
        # Entries wrap and elide to the list's width: nothing hides behind a horizontal scroll bar.
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setSpacing(2)
        metrics = self.list.fontMetrics()
        widest = metrics.horizontalAdvance("600.0 s · seed 2147483647")
        scroll_bar = self.list.style().pixelMetric(self.list.style().PixelMetric.PM_ScrollBarExtent)
        self.list.setMinimumWidth(widest + scroll_bar + 4 * self.list.frameWidth() + 16)
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Play the selected take from the start")
        self.reuse_button = QPushButton("Reuse seed")
        self.export_button = QPushButton("Export…")
        self.clear_button = QPushButton("Clear…")
        self.clear_button.setToolTip("Delete every take of the list (they are kept across restarts)")
        buttons = QHBoxLayout()
        for button in (self.play_button, self.reuse_button, self.export_button):
            buttons.addWidget(button)
        title = QHBoxLayout()
        title.addWidget(QLabel("Takes"), 1)
        title.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(title)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.list.currentItemChanged.connect(self._on_current_changed)
        self.list.itemDoubleClicked.connect(
            lambda item: self.play_requested.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        self.play_button.clicked.connect(lambda: self._emit_for_selected(self.play_requested))
        self.reuse_button.clicked.connect(lambda: self._emit_for_selected(self.reuse_requested))
        self.export_button.clicked.connect(lambda: self._emit_for_selected(self.export_requested))
        self.clear_button.clicked.connect(self.clear_requested)
        self._update_buttons()

    def add(self, take: Take, select: bool = True) -> None:
        self._insert(0, take, select)

    def add_older(self, take: Take) -> None:
        """Add ``take`` below the others (a take kept from an earlier session), if there is room."""
        if self.list.count() < self.capacity:
            self._insert(self.list.count(), take, False)

    def _insert(self, row: int, take: Take, select: bool) -> None:
        item = QListWidgetItem(entry_text(take))
        item.setData(Qt.ItemDataRole.UserRole, take)
        item.setToolTip(
            f"{take.title()}\n{take.model_name}\n{take.request.method}\n"
            f"{take.export_metadata().get('genre', '')}"
        )
        self.list.blockSignals(True)
        self.list.insertItem(row, item)
        while self.list.count() > self.capacity:
            self.list.takeItem(self.list.count() - 1)
        if select:
            self.list.setCurrentRow(0)
        self.list.blockSignals(False)
        self._update_buttons()

    def clear(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        self.list.blockSignals(False)
        self._update_buttons()

    def takes(self) -> list[Take]:
        return [self.list.item(row).data(Qt.ItemDataRole.UserRole) for row in range(self.list.count())]

    def selected(self) -> Take | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _emit_for_selected(self, signal) -> None:
        take = self.selected()
        if take is not None:
            signal.emit(take)

    def _on_current_changed(self, current: QListWidgetItem | None, previous) -> None:
        self._update_buttons()
        if current is not None:
            self.take_selected.emit(current.data(Qt.ItemDataRole.UserRole))

    def _update_buttons(self) -> None:
        has = self.list.currentItem() is not None
        for button in (self.play_button, self.reuse_button, self.export_button):
            button.setEnabled(has)
        self.clear_button.setEnabled(self.list.count() > 0)
