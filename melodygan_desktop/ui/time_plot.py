"""The shared frame of the spectrogram and waveform views: a pyqtgraph plot with seconds across, a playhead,
wheel-zoom and drag-pan in time, and a click that asks to seek there."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

#: Seconds across an empty view (before the first take, after a clear).
EMPTY_SECONDS = 10.0
#: One width for every view's left axis, so stacked views line their time axes up.
LEFT_AXIS_PIXELS = 52


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
        item.getAxis("left").setWidth(LEFT_AXIS_PIXELS)
        self.view_box = item.getViewBox()
        self.view_box.setMouseEnabled(x=True, y=False)
        self.playhead = pg.InfiniteLine(pos=0.0, angle=90, movable=False, pen=pg.mkPen("#7fd3ff", width=2))
        self.playhead.setVisible(False)
        self.plot.scene().sigMouseClicked.connect(self._on_click)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    def show_empty(self, y_range: tuple[float, float]) -> None:
        """Nothing loaded: 0 to ``EMPTY_SECONDS`` across (no negative time), ``y_range`` up, no playhead."""
        self.view_box.setLimits(xMin=0.0, xMax=EMPTY_SECONDS, yMin=None, yMax=None, minXRange=None)
        self.view_box.setRange(xRange=(0.0, EMPTY_SECONDS), yRange=y_range, padding=0)
        self.playhead.setVisible(False)

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
