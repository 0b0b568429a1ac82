"""Playback controller: one audio output shared by the Generate tab and the training previews.

The controller drives a ``Player`` (``audio.playback.Player`` or a fake with the same interface) and polls
its position on a ~30 Hz QTimer: the audio callback itself never touches Qt. Whoever loads a clip passes a
``tag`` so views can tell whether the playhead is theirs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from melodygan_desktop.services.errors import user_message

log = logging.getLogger(__name__)

STOPPED, PLAYING, PAUSED = "stopped", "playing", "paused"


def _default_player() -> Any:
    from melodygan_desktop.audio.playback import Player

    return Player()


class _NoPlayer:
    """Stands in when the audio module itself cannot be created: loads clips, never plays."""

    available = False
    is_playing = False
    loop = False

    def __init__(self, reason: str) -> None:
        self.unavailable_reason = reason
        self.position_seconds = 0.0
        self.duration_seconds = 0.0

    def load(self, audio: np.ndarray, sample_rate: int) -> None:
        self.duration_seconds = len(audio) / float(sample_rate)
        self.position_seconds = 0.0

    def play(self) -> None: ...
    def pause(self) -> None: ...

    def stop(self) -> None:
        self.position_seconds = 0.0

    def seek(self, seconds: float) -> None:
        self.position_seconds = max(0.0, min(float(seconds), self.duration_seconds))

    def close(self) -> None: ...


class PlaybackController(QObject):
    """Play, pause, stop, seek and loop one clip at a time.

    Signals (GUI thread): ``position_changed(seconds)``, ``state_changed(state)`` with state one of
    ``"stopped" "playing" "paused"``, ``loaded(tag, duration_seconds)``, ``loop_changed(bool)``,
    ``availability_changed(available, reason)``.
    """

    position_changed = Signal(float)
    state_changed = Signal(str)
    loaded = Signal(str, float)
    loop_changed = Signal(bool)
    availability_changed = Signal(bool, str)
    _opened = Signal(object)  # from open_in_background's thread, delivered on the GUI thread

    def __init__(
        self,
        player_factory: Callable[[], Any] | None = None,
        poll_hz: float = 30.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._player_factory = player_factory or _default_player
        self._player: Any = None
        self._state = STOPPED
        self._loop = False
        self.tag = ""
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, int(1000 / poll_hz)))
        self._timer.timeout.connect(self._poll)
        self._opened.connect(self._adopt)

    # -- player
    @property
    def player(self) -> Any:
        """The player, created on first use (opening the audio device can take a moment)."""
        if self._player is None:
            self._adopt(self._open())
        return self._player

    def open_in_background(self) -> threading.Thread:
        """Open the audio output on a helper thread (importing PortAudio and listing devices takes tens of
        ms), so the GUI thread never waits for it; ``availability_changed`` follows when it is ready."""

        def open_and_hand_over() -> None:
            player = self._open()
            try:
                self._opened.emit(player)
            except RuntimeError:  # the window closed while the device was opening
                if hasattr(player, "close"):
                    player.close()

        thread = threading.Thread(target=open_and_hand_over, name="audio-open", daemon=True)
        thread.start()
        return thread

    def _open(self) -> Any:
        try:
            player = self._player_factory()
            getattr(player, "available", False)  # the first check loads the backend
        except Exception as exc:  # no PortAudio, broken driver...: the rest of the app still works
            log.exception("audio output unavailable")
            player = _NoPlayer(user_message(exc))
        return player

    def _adopt(self, player: Any) -> None:
        if self._player is not None:  # the GUI needed a player before the helper thread was done
            if player is not self._player and hasattr(player, "close"):
                player.close()
            return
        self._player = player
        self._player.loop = self._loop
        self.availability_changed.emit(self.available, self.unavailable_reason)

    @property
    def available(self) -> bool:
        return bool(getattr(self.player, "available", False))

    @property
    def unavailable_reason(self) -> str:
        return (
            "" if self.available else str(getattr(self.player, "unavailable_reason", "") or "no audio device")
        )

    @property
    def state(self) -> str:
        return self._state

    @property
    def duration_seconds(self) -> float:
        return float(self.player.duration_seconds)

    @property
    def position_seconds(self) -> float:
        return float(self.player.position_seconds)

    @property
    def loop(self) -> bool:
        return self._loop

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)

    # -- transport
    def load(self, audio: np.ndarray, sample_rate: int, tag: str = "", keep_position: bool = False) -> None:
        """Load a clip (float32 mono). ``keep_position`` keeps the playhead time (A/B comparison of takes)."""
        position = self.position_seconds if keep_position and self._player is not None else 0.0
        was_playing = self._state == PLAYING
        self.player.stop()
        self.player.load(np.ascontiguousarray(audio, dtype=np.float32), int(sample_rate))
        self.tag = tag
        self.loaded.emit(tag, self.duration_seconds)
        if position > 0:
            self.player.seek(min(position, self.duration_seconds))
        if was_playing and keep_position:
            self.play()
        else:
            self._timer.stop()
            self._set_state(STOPPED)
        self.position_changed.emit(self.position_seconds)

    def play(self) -> bool:
        """Start or continue; False when there is no audio output or nothing is loaded."""
        if not self.available or self.duration_seconds <= 0:
            return False
        if self.player.play() is False:  # the device refused or vanished: say why, stay stopped
            reason = str(getattr(self.player, "unavailable_reason", "") or "the audio output failed")
            self.availability_changed.emit(False, reason)
            return False
        self._set_state(PLAYING)
        self._timer.start()
        return True

    def pause(self) -> None:
        if self._state == PLAYING:
            self.player.pause()
            self._timer.stop()
            self._set_state(PAUSED)
            self.position_changed.emit(self.position_seconds)

    def toggle(self) -> bool:
        """Space bar: play when stopped or paused, pause when playing; returns True if now playing."""
        if self._state == PLAYING:
            self.pause()
            return False
        return self.play()

    def stop(self) -> None:
        self.player.stop()
        self._timer.stop()
        self._set_state(STOPPED)
        self.position_changed.emit(self.position_seconds)

    def seek(self, seconds: float) -> None:
        self.player.seek(max(0.0, min(float(seconds), self.duration_seconds)))
        self.position_changed.emit(self.position_seconds)

    def set_loop(self, loop: bool) -> None:
        self._loop = bool(loop)
        self.player.loop = self._loop
        self.loop_changed.emit(self._loop)

    def close(self) -> None:
        self._timer.stop()
        if self._player is not None:
            self._player.close()

    def _poll(self) -> None:
        self.position_changed.emit(self.position_seconds)
        if self._state == PLAYING and not self.player.is_playing:  # reached the end (and not looping)
            self._timer.stop()
            self._set_state(STOPPED)
