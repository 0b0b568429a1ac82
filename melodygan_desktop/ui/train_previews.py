"""The Train tab's previews: which genres a run previews (the choice offered before it starts) and playing a
preview of the run (inverted off the GUI thread when it came without audio)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from melodygan_desktop.services.playback import PLAYING
from melodygan_desktop.training.events import Preview
from melodygan_desktop.ui.preview_strip import default_preview_genres
from melodygan_desktop.ui.transport import NO_AUDIO_STATUS

if TYPE_CHECKING:
    from melodygan_desktop.ui.train_tab import TrainTab

PREVIEW_TAG = "preview"
MAX_PREVIEWS = 64  # the most previews a run draws (each is a clip generated and inverted)


class PreviewChoice:
    """The genres offered and ticked in the tab's preview strip; the tab owns one."""

    def __init__(self, tab: TrainTab) -> None:
        self.tab = tab
        self._options: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    def base_model(self):
        form = self.tab.form
        run = form.resume_run()
        path = run.init_from if run is not None else form.init_from()
        return next((m for m in form.models if str(m.path) == path), None) if path else None

    def run_genres(self) -> list[str]:
        """The genres of the model this run will train, in the core's order: a base model's first, then the
        folder's new ones."""
        base = self.base_model()
        genres = list(base.genres) if base is not None else []
        summary = self.tab.summary.summary
        folder = list(summary.genres) if summary is not None else []
        return genres + [genre for genre in folder if genre not in genres]

    def update(self) -> None:
        """Offer the folder's genres first, then the base model's; keep the user's ticks while the offer is
        the same, else tick the folder's genres (then the base model's, four in all)."""
        tab = self.tab
        if tab.services.training.is_active:
            return  # the run's previews are fixed until it ends
        preset = tab.form.preset()
        previews = tab.monitor.previews
        if preset is not None and not preset.conditional:
            self._options = None
            previews.set_genre_choice_off("This preset has one generator for every genre: no genre to choose")
            return
        folder = list(tab.summary.summary.genres) if tab.summary.summary is not None else []
        base = self.base_model()
        others = [genre for genre in (base.genres if base is not None else ()) if genre not in folder]
        options = (tuple(folder), tuple(others))
        if options == self._options:
            return
        self._options = options
        previews.set_genre_options(folder, others, default_preview_genres(folder, others))

    def chosen(self) -> tuple[str, ...]:
        """The chosen genres the run will have, in the run's order: the core previews exactly these."""
        genres = self.run_genres()
        chosen = set(self.tab.monitor.previews.chosen_genres())
        return tuple(genre for genre in genres if genre in chosen)[:MAX_PREVIEWS]


class PreviewPlayer:
    """Plays the run's previews from the tab's strip, its button saying Stop while one plays."""

    def __init__(self, tab: TrainTab) -> None:
        self.tab = tab
        self.loaded: int | None = None  # preview index in the player (tag PREVIEW_TAG)

    def connect(self) -> None:
        playback = self.tab.services.playback
        self.tab.monitor.previews.play_requested.connect(self.play)
        playback.state_changed.connect(lambda state: self.show_playing())
        playback.position_changed.connect(lambda seconds: self.show_playing())

    def play(self, index: int) -> None:
        """Play preview ``index``; its button says Stop while it plays, and a second click stops it."""
        tab = self.tab
        preview: Preview | None = tab.monitor.previews.preview
        if preview is None:
            return
        playback = tab.services.playback
        if self.playing() == index:
            playback.stop()
            return
        if preview.audio is not None and index < len(preview.audio):
            self._play_audio(preview.audio[index], preview.sample_rate, index)
            return
        invert, mels = tab.services.invert_preview_fn, preview.mels[index]
        job = tab.services.jobs.submit("invert preview", lambda progress: invert(mels, preview.mel))
        job.result.connect(lambda audio: self._play_audio(audio, preview.sample_rate, index))
        job.error.connect(
            lambda message, details: tab.errors.report("Could not play the preview", message, details)
        )

    def _play_audio(self, audio, sample_rate: int, index: int) -> None:
        playback = self.tab.services.playback
        playback.load(audio, sample_rate, PREVIEW_TAG)
        self.loaded = index
        playback.play() or self.tab.status_message.emit(NO_AUDIO_STATUS)
        self.show_playing()

    def playing(self) -> int | None:
        """The index of the preview playing now, or None."""
        playback = self.tab.services.playback
        playing = playback.tag == PREVIEW_TAG and playback.state == PLAYING
        return self.loaded if playing else None

    def show_playing(self) -> None:
        index = self.playing()
        seconds = self.tab.services.playback.position_seconds if index is not None else 0.0
        self.tab.monitor.previews.set_playing(index, seconds)
