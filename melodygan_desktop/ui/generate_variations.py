"""Variations of the Generate tab: one click makes several takes of the same settings with consecutive seeds,
shown side by side in the variations strip, played there and adopted as the current take."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from melodygan_desktop.services.generation import Take
from melodygan_desktop.services.playback import PLAYING
from melodygan_desktop.ui.generate_controls import MAX_SEED
from melodygan_desktop.ui.transport import NO_AUDIO_STATUS

if TYPE_CHECKING:
    from melodygan_desktop.ui.generate_tab import GenerateTab

VARIATION_TAG = "variation"
#: How many variations one click makes (the count box's range and default).
MIN_VARIATIONS, MAX_VARIATIONS, DEFAULT_VARIATIONS = 2, 8, 4


class GenerateVariations:
    """Drives the tab's variations button, count box and strip; the tab owns one."""

    def __init__(self, tab: GenerateTab) -> None:
        self.tab = tab
        self.loaded: int | None = None  # the variation loaded into the player

    def connect(self) -> None:
        tab = self.tab
        tab.services.generation.variations_ready.connect(self.on_variations)
        tab.services.playback.state_changed.connect(lambda state: self.show_playing())
        tab.variations_count.valueChanged.connect(lambda value: self.update_text())
        tab.variations.play_requested.connect(self.play)
        tab.variations.pick_requested.connect(self.pick)
        tab.variations.closed.connect(self.on_hidden)

    def update_text(self) -> None:
        count = self.tab.variations_count.value()
        self.tab.variations_button.setText(f"Generate {count} variations")
        self.tab.variations_button.setToolTip(
            f"{count} takes of these settings with {count} seeds (the seed shown and the next ones), side by "
            "side: play them and use the one you like"
        )

    def generate(self) -> bool:
        """The current settings with ``variations_count`` seeds: the seed shown (a fresh one first when
        "New seed each time" is on), then the next ones."""
        tab = self.tab
        request = tab.controls.request()
        if request is None:
            return False
        count = tab.variations_count.value()
        requests = [replace(request, seed=(request.seed + k) % (MAX_SEED + 1)) for k in range(count)]
        if not tab.services.generation.generate_variations(requests):
            return False
        tab.status_message.emit(
            f"Generating {count} variations of {tab.controls.genre_value()} (seeds {requests[0].seed}"
            f"-{requests[-1].seed})…"
        )
        return True

    def on_variations(self, takes: list[Take]) -> None:
        if self.playing() is not None:
            self.tab.services.playback.stop()
        self.tab.variations.set_takes(takes)
        self.tab.status_message.emit(
            f"{len(takes)} variations ready: play them, Use this on the one you like"
        )

    def playing(self) -> int | None:
        playback = self.tab.services.playback
        if playback.tag != VARIATION_TAG or playback.state != PLAYING:
            return None
        return self.loaded

    def play(self, index: int) -> None:
        """Play variation ``index``; a second click (its button says Stop) stops it."""
        tab = self.tab
        if not 0 <= index < len(tab.variations.takes):
            return
        playback = tab.services.playback
        if self.playing() == index:
            playback.stop()
            return
        take = tab.variations.takes[index]
        playback.load(take.audio, take.sample_rate, VARIATION_TAG)
        self.loaded = index
        if not playback.play() and not playback.available:
            tab.status_message.emit(NO_AUDIO_STATUS)
        self.show_playing()

    def show_playing(self) -> None:
        self.tab.variations.set_playing(self.playing(), self.tab.services.playback.position_seconds)

    def pick(self, index: int) -> None:
        """Make variation ``index`` the current take: numbered, added to the list, kept, shown; its seed
        goes into the seed field (New seed each time off), so Generate makes it again."""
        tab = self.tab
        if not 0 <= index < len(tab.variations.takes) or index in tab.variations.picked:
            return
        take = tab.variations.takes[index]
        if self.playing() is not None:
            tab.services.playback.stop()
        tab.variations.mark_picked(index)
        tab.controls.new_seed_box.setChecked(False)
        tab.controls.set_seed(take.request.seed)
        tab.services.generation.adopt(take)

    def on_hidden(self) -> None:
        if self.playing() is not None:
            self.tab.services.playback.stop()
