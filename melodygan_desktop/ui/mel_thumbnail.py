"""A small, cheap log-mel picture for training previews: a colour-mapped QImage painted to fit the widget,
with a few Hz labels and the clip length drawn on top.

Building one costs well under a millisecond and showing a new mel a few (a pyqtgraph plot costs 30-60 ms to
build), so previews arriving during training never stall the GUI thread.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, QSize
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from melodygan_desktop.ui.spectrogram_view import COLORMAP_NAME, mel_axis_ticks

_LUT: np.ndarray | None = None


def colour_lookup() -> np.ndarray:
    """(256, 4) uint8 BGRA rows of the spectrogram colour map (QImage Format_ARGB32 byte order)."""
    global _LUT
    if _LUT is None:
        rgb = pg.colormap.get(COLORMAP_NAME).getLookupTable(0.0, 1.0, 256, alpha=False)
        lut = np.empty((256, 4), dtype=np.uint8)
        lut[:, 0], lut[:, 1], lut[:, 2], lut[:, 3] = rgb[:, 2], rgb[:, 1], rgb[:, 0], 255
        _LUT = lut
    return _LUT


def mel_image(mel: np.ndarray) -> QImage:
    """(n_mels, frames) in [0, 1] -> an ARGB32 image, low bands at the bottom (a deep copy owned by Qt)."""
    index = np.clip(np.asarray(mel, dtype=np.float32) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    pixels = np.ascontiguousarray(colour_lookup()[index[::-1]])
    height, width = index.shape
    return QImage(pixels.data, width, height, 4 * width, QImage.Format.Format_ARGB32).copy()


class MelThumbnail(QWidget):
    """Shows one mel ``(n_mels, frames)`` in [0, 1] scaled to the widget, levels fixed at 0..1."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.ticks: list[tuple[float, str]] = []
        self.n_mels = 0
        self.duration_seconds = 0.0
        self.playhead: float | None = None  # seconds, while this preview plays
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 80)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(240, 120)

    def set_mel(self, mel: np.ndarray, frame_seconds: float, band_hz: np.ndarray) -> None:
        mel = np.asarray(mel)
        if mel.ndim != 2:
            raise ValueError(f"mel must be (n_mels, frames), got shape {mel.shape}")
        self.image = mel_image(mel)
        self.n_mels = mel.shape[0]
        self.duration_seconds = mel.shape[1] * float(frame_seconds)
        self.ticks = mel_axis_ticks(band_hz, 1 / 5)
        self.setToolTip(f"{self.duration_seconds:.1f} s, {self.n_mels} mel bands")
        self.update()

    def clear(self) -> None:
        self.image = None
        self.playhead = None
        self.update()

    def set_playhead(self, seconds: float | None) -> None:
        if seconds != self.playhead:
            self.playhead = seconds
            self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("black"))
        if self.image is None:
            painter.end()
            return
        target = QRectF(self.rect())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, self.image)
        font = QFont(painter.font())
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
        painter.setFont(font)
        for band, label in self.ticks:
            y = target.bottom() - band / self.n_mels * target.height()
            self._label(painter, QPointF(target.left() + 3, y + 4), label)
        length = f"{self.duration_seconds:.0f} s"
        self._label(painter, QPointF(target.right() - 34, target.bottom() - 4), length)
        if self.playhead is not None and self.duration_seconds > 0:
            x = target.left() + min(1.0, self.playhead / self.duration_seconds) * target.width()
            painter.setPen(QPen(QColor("#7fd3ff"), 2))
            painter.drawLine(QPointF(x, target.top()), QPointF(x, target.bottom()))
        painter.end()

    @staticmethod
    def _label(painter: QPainter, at: QPointF, text: str) -> None:
        painter.setPen(QColor(0, 0, 0, 200))
        painter.drawText(at + QPointF(1, 1), text)
        painter.setPen(QColor(235, 235, 235))
        painter.drawText(at, text)
