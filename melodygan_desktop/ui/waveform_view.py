"""Waveform view: peak envelope recomputed for the visible range, zoom/pan, playhead, click to seek."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from melodygan_desktop.ui.envelope import PeakEnvelope, zigzag
from melodygan_desktop.ui.time_plot import TimePlot


class WaveformView(TimePlot):
    """Shows a mono clip; the wheel zooms time, dragging pans, a click emits ``seek_requested(seconds)``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("#111", "amplitude", parent)
        self.curve = pg.PlotDataItem(pen=pg.mkPen("#8fd18f", width=1))
        self.plot.addItem(self.curve)
        self.add_playhead()
        self.envelope: PeakEnvelope | None = None
        self.view_box.sigXRangeChanged.connect(self._redraw)
        self.clear()

    def set_audio(self, audio: np.ndarray, sample_rate: int) -> None:
        """``audio``: (samples,) float32 in [-1, 1] at ``sample_rate`` Hz."""
        self.envelope = PeakEnvelope(audio, sample_rate)
        duration = self.envelope.duration_seconds
        peak = float(np.max(np.abs(self.envelope.audio))) if len(self.envelope.audio) else 0.0
        limit = max(1.0, peak)
        self.view_box.setLimits(xMin=0.0, xMax=duration, minXRange=min(0.002, duration) or None)
        self.view_box.setYRange(-limit, limit, padding=0.02)
        self.view_box.setXRange(0.0, duration, padding=0)
        self.playhead.setValue(0.0)
        self.playhead.setVisible(True)
        self._redraw()

    def clear(self) -> None:
        self.envelope = None
        self.curve.setData([], [])
        self.show_empty((-1.0, 1.0))

    def loaded_seconds(self) -> float | None:
        return None if self.envelope is None else self.envelope.duration_seconds

    def visible_points(self) -> int:
        """How many points the curve draws now (bounded by twice the plot's pixel width)."""
        data = self.curve.getData()[0]
        return 0 if data is None else len(data)

    def _redraw(self, *args) -> None:
        if self.envelope is None:
            return
        start, stop = self.view_box.viewRange()[0]
        # Two bins per pixel column: with one, bins slightly wider than a pixel leave every few hundredth
        # column undrawn, a dark hairline through the envelope.
        bins = 2 * max(200, int(self.view_box.width() or 800))
        times, lows, highs = self.envelope.window(start, stop, bins)
        if lows is highs:  # raw samples: a plain line
            self.curve.setData(times, lows)
        else:
            self.curve.setData(*zigzag(times, lows, highs))
