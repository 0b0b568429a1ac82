"""Training previews: spectrograms from a fixed latent grid, each one playable."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QPushButton, QVBoxLayout, QWidget

from melodygan_desktop.training.events import Preview
from melodygan_desktop.ui.elided_label import ElidedLabel
from melodygan_desktop.ui.mel_thumbnail import MelThumbnail


class PreviewStrip(QWidget):
    """Shows the newest ``Preview``: one small spectrogram and a Play button per latent.

    Emits ``play_requested(index)``; ``band_hz`` (n_mels,) and ``frame_seconds`` label the axes.
    """

    play_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = ElidedLabel("Previews appear here during training.")
        self.grid = QGridLayout()
        self.views: list[MelThumbnail] = []
        self.buttons: list[QPushButton] = []
        self.preview: Preview | None = None
        self.frame_seconds = 512 / 22050
        self.band_hz: np.ndarray | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(self.grid, 1)

    def set_axes(self, frame_seconds: float, band_hz: np.ndarray | None) -> None:
        self.frame_seconds = float(frame_seconds)
        self.band_hz = None if band_hz is None else np.asarray(band_hz)

    def clear(self) -> None:
        self.preview = None
        self.title.setText("Previews appear here during training.")
        for view in self.views:
            view.clear()

    def _ensure_slots(self, count: int) -> None:
        while len(self.views) < count:
            index = len(self.views)
            view = MelThumbnail()
            view.setMinimumHeight(110)
            button = QPushButton("Play")
            button.clicked.connect(lambda checked=False, i=index: self.play_requested.emit(i))
            self.grid.addWidget(view, 0, index)
            self.grid.addWidget(button, 1, index)
            self.views.append(view)
            self.buttons.append(button)
        for index, (view, button) in enumerate(zip(self.views, self.buttons, strict=True)):
            view.setVisible(index < count)
            button.setVisible(index < count)

    def set_preview(self, preview: Preview) -> None:
        mels = np.asarray(preview.mels)
        if mels.ndim == 2:
            mels = mels[None]
        self.preview = preview
        self._ensure_slots(len(mels))
        n_mels = mels.shape[1]
        band_hz = (
            self.band_hz
            if self.band_hz is not None and len(self.band_hz) == n_mels
            else np.linspace(0, preview.sample_rate / 2, n_mels)
        )
        for index, mel in enumerate(mels):
            self.views[index].set_mel(mel, self.frame_seconds, band_hz)
            genre = preview.genres[index] if index < len(preview.genres) else ""
            self.buttons[index].setText(f"Play {genre}".strip())
        self.title.setText(f"Previews at step {preview.step} (same latents every time)")
