"""Log-mel spectrogram view: seconds across, Hz (on the mel scale) up, a perceptual colour map, a playhead."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QWidget

from melodygan_desktop.ui.time_plot import TimePlot

COLORMAP_NAME = "magma"

_TICK_HZ = (50, 100, 200, 500, 1000, 2000, 4000, 8000, 16000)


def hz_label(hz: float) -> str:
    return f"{hz / 1000:g}k" if hz >= 1000 else f"{hz:g}"


def mel_axis_ticks(band_hz: np.ndarray, min_gap_fraction: float = 1 / 16) -> list[tuple[float, str]]:
    """Tick positions (in band units, band ``i`` spans ``[i, i+1)``) for round Hz values inside the bands,
    at least ``min_gap_fraction * n_mels`` bands apart.

    ``band_hz``: (n_mels,) increasing centre frequencies. Positions interpolate on the band index, so the
    labels sit where those frequencies are drawn on the mel-scaled image.
    """
    band_hz = np.asarray(band_hz, dtype=np.float64)
    if band_hz.size < 2:
        return []
    index = np.arange(band_hz.size, dtype=np.float64) + 0.5
    min_gap = band_hz.size * min_gap_fraction  # closer labels would overlap: keep the higher one
    ticks: list[tuple[float, str]] = []
    for hz in reversed(_TICK_HZ):
        if band_hz[0] <= hz <= band_hz[-1]:
            position = float(np.interp(hz, band_hz, index))
            if not ticks or ticks[-1][0] - position >= min_gap:
                ticks.append((position, hz_label(hz)))
    return ticks[::-1]


class SpectrogramView(TimePlot):
    """Shows a mel image ``(n_mels, frames)`` in [0, 1] with fixed levels 0..1 (so takes compare honestly).

    Click to emit ``seek_requested(seconds)``; the wheel zooms the time axis, dragging pans it.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("k", "frequency (Hz, mel scale)", parent)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get(COLORMAP_NAME))
        self.plot.addItem(self.image)
        self.add_playhead()
        self.duration_seconds = 0.0
        self.mel: np.ndarray | None = None
        self.clear()

    def set_mel(self, mel: np.ndarray, frame_seconds: float, band_hz: np.ndarray) -> None:
        """``mel``: (n_mels, frames) in [0, 1]; ``frame_seconds``: hop in s; ``band_hz``: (n_mels,) in Hz."""
        mel = np.asarray(mel, dtype=np.float32)
        if mel.ndim != 2:
            raise ValueError(f"mel must be (n_mels, frames), got shape {mel.shape}")
        n_mels, frames = mel.shape
        self.mel = mel
        self.duration_seconds = frames * float(frame_seconds)
        self.image.setImage(mel, autoLevels=False, levels=(0.0, 1.0))
        self.image.setRect(QRectF(0.0, 0.0, self.duration_seconds, float(n_mels)))
        self.plot.getPlotItem().getAxis("left").setTicks([mel_axis_ticks(band_hz)])
        self.view_box.setLimits(
            xMin=0.0,
            xMax=self.duration_seconds,
            yMin=0.0,
            yMax=float(n_mels),
            minXRange=min(0.05, self.duration_seconds),
        )
        self.view_box.setRange(xRange=(0.0, self.duration_seconds), yRange=(0.0, float(n_mels)), padding=0)
        self.playhead.setValue(0.0)
        self.playhead.setVisible(True)

    def clear(self) -> None:
        """Empty view: no image, and no frequency ticks until a take says which mel bands it has."""
        self.mel = None
        self.duration_seconds = 0.0
        self.image.clear()
        self.plot.getPlotItem().getAxis("left").setTicks([[]])
        self.show_empty((0.0, 1.0))

    def loaded_seconds(self) -> float | None:
        return None if self.mel is None else self.duration_seconds
