"""Transport bar: play/pause, stop, loop and the play position, bound to a PlaybackController."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStyle, QWidget

from melodygan_desktop.services.playback import PLAYING, PlaybackController

#: What the status bar says when Play finds no audio output (the reason is in the bar's right end, once).
NO_AUDIO_STATUS = "No audio output: nothing can play"


def format_time(seconds: float) -> str:
    """``75.25 -> "1:15.2"``."""
    seconds = max(0.0, float(seconds))
    minutes, rest = divmod(seconds, 60.0)
    return f"{int(minutes)}:{rest:04.1f}"


class TransportBar(QWidget):
    """Controls the shared player for clips loaded with ``tag`` (other clips leave the bar idle)."""

    def __init__(self, playback: PlaybackController, tag: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.playback = playback
        self.tag = tag
        style = self.style()
        self.play_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Play")
        self.play_button.setToolTip("Play / pause (Space)")
        self.stop_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaStop), "Stop")
        self.loop_button = QPushButton("Loop")
        self.loop_button.setCheckable(True)
        self.loop_button.setToolTip("Play the take over and over (Ctrl+L)")
        self.position_label = QLabel(format_time(0) + " / " + format_time(0))
        self.position_label.setMinimumWidth(110)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.play_button, self.stop_button, self.loop_button, self.position_label):
            layout.addWidget(widget)
        layout.addStretch(1)

        self.play_button.clicked.connect(self.toggle)
        self.stop_button.clicked.connect(self._stop)
        self.loop_button.toggled.connect(playback.set_loop)
        playback.loop_changed.connect(self._on_loop_changed)
        playback.state_changed.connect(self._on_state)
        playback.position_changed.connect(self._on_position)
        playback.loaded.connect(self._on_loaded)
        self.set_enabled_for_clip(False)

    def ours(self) -> bool:
        return self.playback.tag == self.tag

    def set_enabled_for_clip(self, enabled: bool) -> None:
        for button in (self.play_button, self.stop_button):
            button.setEnabled(enabled)

    def toggle(self) -> None:
        if self.ours():
            self.playback.toggle()

    def _stop(self) -> None:
        if self.ours():
            self.playback.stop()

    def _on_loop_changed(self, loop: bool) -> None:
        if self.loop_button.isChecked() != loop:
            self.loop_button.setChecked(loop)

    def _on_loaded(self, tag: str, duration: float) -> None:
        if tag == self.tag:
            self.set_enabled_for_clip(True)
            self._on_position(0.0)
        self._on_state(self.playback.state)

    def _on_state(self, state: str) -> None:
        playing = state == PLAYING and self.ours()
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setText("Pause" if playing else "Play")

    def _on_position(self, seconds: float) -> None:
        if self.ours():
            duration = self.playback.duration_seconds
            self.position_label.setText(f"{format_time(seconds)} / {format_time(duration)}")
