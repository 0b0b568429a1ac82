"""The shared frame of the spectrogram and waveform views: a pyqtgraph plot with seconds across, a playhead,
wheel-zoom and drag-pan in time, and a click that asks to seek there."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget


class TimePlot(QWidget):
    """Base view: subclasses add their items to ``self.plot`` and report ``loaded_seconds()``.

    A left click inside the plot emits ``seek_requested(seconds)``, clamped to what is loaded.
    """

    seek_requested = Signal(float)

    def __init__(self, background: str, left_label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background=background)
        self.plot.setMenuEnabled(False)
        item = self.plot.getPlotItem()
        item.hideButtons()
        item.setLabel("bottom", "time", units="s")
        item.setLabel("left", left_label)
        self.view_box = item.getViewBox()
        self.view_box.setMouseEnabled(x=True, y=False)
        self.playhead = pg.InfiniteLine(pos=0.0, angle=90, movable=False, pen=pg.mkPen("#7fd3ff", width=2))
        self.playhead.setVisible(False)
        self.plot.scene().sigMouseClicked.connect(self._on_click)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    def add_playhead(self) -> None:
        """Put the playhead above the items added so far."""
        self.plot.addItem(self.playhead)

    def loaded_seconds(self) -> float | None:
        """Length of what is shown, or None when nothing is (clicks are then ignored)."""
        raise NotImplementedError

    def set_position(self, seconds: float) -> None:
        self.playhead.setValue(float(seconds))

    def _on_click(self, event) -> None:
        duration = self.loaded_seconds()
        if event.button() != Qt.MouseButton.LeftButton or duration is None:
            return
        position = event.scenePos()
        if not self.view_box.sceneBoundingRect().contains(position):
            return
        seconds = self.view_box.mapSceneToView(position).x()
        self.seek_requested.emit(float(min(max(seconds, 0.0), duration)))
