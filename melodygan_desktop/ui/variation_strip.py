"""Variations side by side: a small spectrogram per take with its seed, Play (Stop while it plays, with a
playhead) and Use this, which makes it the current take."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

from melodygan_desktop.services.generation import Take
from melodygan_desktop.ui.elided_label import ElidedLabel
from melodygan_desktop.ui.mel_thumbnail import MelThumbnail


class VariationStrip(QWidget):
    """Emits ``play_requested(index)``, ``pick_requested(index)`` and ``closed()`` (Hide pressed)."""

    play_requested = Signal(int)
    pick_requested = Signal(int)
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.takes: list[Take] = []
        self.picked: set[int] = set()
        self.playing: int | None = None
        self.views: list[MelThumbnail] = []
        self.labels: list[QLabel] = []
        self.play_buttons: list[QPushButton] = []
        self.pick_buttons: list[QPushButton] = []
        self.title = ElidedLabel("")
        self.hide_button = QToolButton()
        self.hide_button.setText("Hide")
        self.hide_button.setToolTip("Hide the variations (the ones used stay in the list)")
        self.hide_button.clicked.connect(self._close)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.hide_button)
        self.grid = QGridLayout()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addLayout(self.grid)
        self.setVisible(False)

    def set_takes(self, takes: list[Take]) -> None:
        self.takes, self.picked, self.playing = list(takes), set(), None
        while len(self.views) < len(self.takes):
            slot = len(self.views)
            view = MelThumbnail()
            view.setMinimumSize(120, 70)
            view.setMaximumHeight(110)
            label = QLabel()
            play = QPushButton("Play")
            play.clicked.connect(lambda checked=False, s=slot: self.play_requested.emit(s))
            pick = QPushButton("Use this")
            pick.clicked.connect(lambda checked=False, s=slot: self.pick_requested.emit(s))
            buttons = QHBoxLayout()
            buttons.addWidget(label, 1)
            buttons.addWidget(play)
            buttons.addWidget(pick)
            self.grid.addWidget(view, 0, slot)
            self.grid.addLayout(buttons, 1, slot)
            self.views.append(view)
            self.labels.append(label)
            self.play_buttons.append(play)
            self.pick_buttons.append(pick)
        for slot, view in enumerate(self.views):
            shown = slot < len(self.takes)
            for widget in (view, self.labels[slot], self.play_buttons[slot], self.pick_buttons[slot]):
                widget.setVisible(shown)
            if shown:
                take = self.takes[slot]
                view.set_mel(take.mel, take.frame_seconds, take.band_hz)
                self.labels[slot].setText(f"seed {take.request.seed}")
        if self.takes:
            first = self.takes[0]
            self.title.setText(
                f"{len(self.takes)} variations of {first.genre_label}, {first.duration_seconds:.1f} s: "
                "play them, then Use this on the one you like"
            )
        self._show_state()
        self.setVisible(bool(self.takes))

    def mark_picked(self, index: int) -> None:
        self.picked.add(index)
        self._show_state()

    def set_playing(self, index: int | None, seconds: float = 0.0) -> None:
        self.playing = index
        for slot, view in enumerate(self.views[: len(self.takes)]):
            view.set_playhead(seconds if slot == index else None)
        self._show_state()

    def _show_state(self) -> None:
        for slot in range(len(self.takes)):
            playing = slot == self.playing
            self.play_buttons[slot].setText("Stop" if playing else "Play")
            self.play_buttons[slot].setToolTip("Stop (Space)" if playing else "Play this variation")
            picked = slot in self.picked
            self.pick_buttons[slot].setText("In the list" if picked else "Use this")
            self.pick_buttons[slot].setEnabled(not picked)
            self.pick_buttons[slot].setToolTip(
                "" if picked else "Make this the current take (added to the list, ready to export)"
            )

    def _close(self) -> None:
        self.setVisible(False)
        self.closed.emit()
