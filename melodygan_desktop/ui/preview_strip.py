"""Training previews: spectrograms from a fixed latent grid, each playable, for the genres the user picks."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from melodygan_desktop.training.events import Preview
from melodygan_desktop.ui.elided_label import ElidedLabel
from melodygan_desktop.ui.mel_thumbnail import MelThumbnail

DEFAULT_PREVIEWS = 4


def default_preview_genres(folder: list[str], others: list[str], count: int = DEFAULT_PREVIEWS) -> list[str]:
    """The folder's genres first (the ones being trained), then the base model's, ``count`` in all."""
    chosen = list(dict.fromkeys(folder))[:count]
    chosen += [genre for genre in others if genre not in chosen][: max(0, count - len(chosen))]
    return chosen


class PreviewStrip(QWidget):
    """Shows the newest ``Preview``: one small spectrogram and a Play button per chosen genre.

    ``set_genre_options`` fills the Genres menu (the folder's genres first, marked); ``chosen_genres()`` is
    what the user ticked, in menu order. Emits ``play_requested(index)`` with the index into the preview's
    arrays and ``genres_changed()``; ``band_hz`` (n_mels,) and ``frame_seconds`` label the axes.
    """

    play_requested = Signal(int)
    genres_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = ElidedLabel("Previews appear here during training.")
        self.genre_button = QToolButton()
        self.genre_button.setText("Genres")
        self.genre_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.genre_menu = QMenu(self.genre_button)
        self.genre_button.setMenu(self.genre_menu)
        self.genre_button.setEnabled(False)
        self.genre_button.setToolTip("Choose a music folder first")
        self.genre_actions: dict[str, QAction] = {}
        self.grid = QGridLayout()
        self.views: list[MelThumbnail] = []
        self.buttons: list[QPushButton] = []
        self.slot_index: list[int] = []  # preview array index shown in each slot
        self.playing: int | None = None  # preview array index playing now
        self.play_seconds = 0.0
        self.preview: Preview | None = None
        self.frame_seconds = 512 / 22050
        self.band_hz: np.ndarray | None = None
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.genre_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addLayout(self.grid, 1)

    # -- genres
    def set_genre_options(self, folder: list[str], others: list[str], chosen: list[str]) -> None:
        """Offer the ``folder`` genres (being trained: first), then ``others`` (the base model's); tick
        ``chosen``."""
        self.genre_menu.clear()
        self.genre_actions = {}
        for genre in list(dict.fromkeys(folder)) + [g for g in others if g not in folder]:
            label = f"{genre}  (your folder)" if genre in folder else genre
            action = QAction(label, self.genre_menu, checkable=True, checked=genre in chosen)
            action.toggled.connect(self._on_genre_toggled)
            self.genre_menu.addAction(action)
            self.genre_actions[genre] = action
        self.genre_button.setEnabled(bool(self.genre_actions))
        self.genre_button.setToolTip("Which genres to preview (the folder's come first)")
        self._update_genre_button()
        self._render()

    def set_genre_choice_off(self, reason: str) -> None:
        """No choice to make (a preset with one generator for every genre): previews show every latent."""
        self.genre_menu.clear()
        self.genre_actions = {}
        self.genre_button.setEnabled(False)
        self.genre_button.setText("Genres")
        self.genre_button.setToolTip(reason)
        self._render()

    def chosen_genres(self) -> list[str]:
        return [genre for genre, action in self.genre_actions.items() if action.isChecked()]

    def set_chosen_genres(self, genres: list[str]) -> None:
        for genre, action in self.genre_actions.items():
            action.blockSignals(True)
            action.setChecked(genre in genres)
            action.blockSignals(False)
        self._on_genre_toggled()

    def _on_genre_toggled(self, *args) -> None:
        self._update_genre_button()
        self._render()
        self.genres_changed.emit()

    def _update_genre_button(self) -> None:
        chosen = self.chosen_genres()
        self.genre_button.setText(f"Genres ({len(chosen)})" if self.genre_actions else "Genres")

    # -- previews
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
            slot = len(self.views)
            view = MelThumbnail()
            view.setMinimumHeight(110)
            button = QPushButton("Play")
            button.clicked.connect(lambda checked=False, s=slot: self._play_slot(s))
            self.grid.addWidget(view, 0, slot)
            self.grid.addWidget(button, 1, slot)
            self.views.append(view)
            self.buttons.append(button)
        for slot, (view, button) in enumerate(zip(self.views, self.buttons, strict=True)):
            view.setVisible(slot < count)
            button.setVisible(slot < count)

    def _play_slot(self, slot: int) -> None:
        if slot < len(self.slot_index):
            self.play_requested.emit(self.slot_index[slot])

    def set_playing(self, index: int | None, seconds: float = 0.0) -> None:
        """Preview ``index`` is playing at ``seconds`` (None: none is): its button says Stop and a playhead
        runs over its spectrogram."""
        self.playing, self.play_seconds = index, float(seconds)
        self._show_playing()

    def _show_playing(self) -> None:
        genres = self.preview.genres if self.preview is not None else ()
        for slot, index in enumerate(self.slot_index):
            playing = index == self.playing
            genre = genres[index] if index < len(genres) else ""
            self.buttons[slot].setText("Stop" if playing else f"Play {genre}".strip())
            self.buttons[slot].setToolTip(f"Stop the {genre} preview (Space)" if playing else "")
            self.views[slot].set_playhead(self.play_seconds if playing else None)

    def shown_genres(self) -> list[str]:
        """The genre of each preview shown, left to right."""
        if self.preview is None:
            return []
        genres = self.preview.genres
        return [genres[index] if index < len(genres) else "" for index in self.slot_index]

    def _indices(self, preview: Preview, count: int) -> list[int]:
        if not self.genre_actions:
            return list(range(count))
        found = []
        for genre in self.chosen_genres():
            index = next((i for i, g in enumerate(preview.genres[:count]) if g == genre), None)
            if index is not None:
                found.append(index)
        return found

    def set_preview(self, preview: Preview) -> None:
        self.preview = preview
        self._render()

    def _render(self) -> None:
        preview = self.preview
        if preview is None:
            return
        mels = np.asarray(preview.mels)
        if mels.ndim == 2:
            mels = mels[None]
        self.slot_index = self._indices(preview, len(mels))
        self._ensure_slots(len(self.slot_index))
        n_mels = mels.shape[1]
        band_hz = (
            self.band_hz
            if self.band_hz is not None and len(self.band_hz) == n_mels
            else np.linspace(0, preview.sample_rate / 2, n_mels)
        )
        for slot, index in enumerate(self.slot_index):
            self.views[slot].set_mel(mels[index], self.frame_seconds, band_hz)
        self._show_playing()
        missing = [g for g in self.chosen_genres() if g not in self.shown_genres()]
        later = f" · {', '.join(missing)}: from the next run" if missing else ""
        empty = " · no genre chosen (Genres menu)" if self.genre_actions and not self.chosen_genres() else ""
        self.title.setText(f"Previews at step {preview.step} (same latents every time){later}{empty}")
