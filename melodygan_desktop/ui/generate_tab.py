"""Generate tab: pick a genre, generate off the GUI thread, see the spectrogram and waveform, play, export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from melodygan_desktop.services.container import AppServices
from melodygan_desktop.services.generation import Take
from melodygan_desktop.services.playback import PLAYING
from melodygan_desktop.ui.dialogs import ModelCardDialog
from melodygan_desktop.ui.elided_label import ElidedLabel
from melodygan_desktop.ui.errors import ErrorReporter
from melodygan_desktop.ui.file_dialogs import ask_export_path, ask_loop_path
from melodygan_desktop.ui.generate_controls import MAX_SEED, GenerateControls
from melodygan_desktop.ui.loop_dialog import LoopChoice, ask_loop_choice
from melodygan_desktop.ui.spectrogram_view import SpectrogramView
from melodygan_desktop.ui.take_history import TakeHistory
from melodygan_desktop.ui.transport import NO_AUDIO_STATUS, TransportBar
from melodygan_desktop.ui.variation_strip import VariationStrip
from melodygan_desktop.ui.waveform_view import WaveformView


def confirm_clear_takes(parent: QWidget, count: int) -> bool:
    answer = QMessageBox.question(
        parent,
        "Clear takes?",
        f"Delete all {count} take(s) of the list? They are also removed from your data folder, so they will "
        "not be listed at the next start. Exported files are not touched.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes

PLAYBACK_TAG = "generate"
VARIATION_TAG = "variation"
#: How many variations one click makes (the count box's range and default).
MIN_VARIATIONS, MAX_VARIATIONS, DEFAULT_VARIATIONS = 2, 8, 4


class GenerateTab(QWidget):
    """Emits ``status_message(text)`` for the status bar and ``exported(path)`` after a successful export.

    ``ask_save_path(default_path) -> Path | None`` picks the export file (a save dialog by default).
    """

    status_message = Signal(str)
    exported = Signal(str)

    def __init__(
        self,
        services: AppServices,
        errors: ErrorReporter,
        ask_save_path: Callable[[Path], Path | None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.errors = errors
        self.ask_save_path = ask_save_path or (lambda default: ask_export_path(self, default))
        self.current_take: Take | None = None
        self._variation_loaded: int | None = None  # the variation loaded into the player
        self._card_dialog: ModelCardDialog | None = None
        self.confirm_clear_takes: Callable[[int], bool] = lambda count: confirm_clear_takes(self, count)
        self.ask_loop_path: Callable[[Path], Path | None] = lambda default: ask_loop_path(self, default)
        # (take length s, estimated BPM or None, first beat s) -> the loop picked, or None
        self.ask_loop_choice: Callable[[float, float | None, float], LoopChoice | None] = (
            lambda seconds, bpm, first: ask_loop_choice(self, seconds, bpm, first)
        )

        self.controls = GenerateControls()
        self.generate_button = QPushButton("Generate")
        self.generate_button.setToolTip("Generate a take (Ctrl+G)")
        self.generate_button.setMinimumHeight(36)
        self.generate_button.setEnabled(False)
        self.variations_button = QPushButton()
        self.variations_button.setEnabled(False)
        self.variations_count = QSpinBox()
        self.variations_count.setRange(MIN_VARIATIONS, MAX_VARIATIONS)
        self.variations_count.setValue(DEFAULT_VARIATIONS)
        self.variations_count.setToolTip("How many variations")
        self._update_variations_text()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setVisible(False)
        self.progress_label = ElidedLabel("")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Export the take shown as WAV, FLAC or OGG (Ctrl+E)")
        self.export_button.setEnabled(False)
        self.export_loop_button = QPushButton("Export loop…")
        self.export_loop_button.setToolTip(
            "Export the take shown as a loop of whole bars for a DAW: a WAV with loop points and its tempo "
            "(Ctrl+Shift+E)"
        )
        self.export_loop_button.setEnabled(False)
        action_row = QHBoxLayout()
        action_row.addWidget(self.generate_button)
        action_row.addWidget(self.variations_button)
        action_row.addWidget(self.variations_count)
        action_row.addWidget(self.progress, 1)
        action_row.addWidget(self.progress_label)
        action_row.addStretch(0)
        action_row.addWidget(self.export_loop_button)
        action_row.addWidget(self.export_button)

        self.spectrogram = SpectrogramView()
        self.waveform = WaveformView()
        self.waveform.plot.setXLink(self.spectrogram.plot)  # zoom and pan both views together
        self.transport = TransportBar(services.playback, PLAYBACK_TAG)
        self.take_title = ElidedLabel("No take yet: pick a genre and press Generate.")
        self.take_title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        views = QSplitter(Qt.Orientation.Vertical)
        views.addWidget(self.spectrogram)
        views.addWidget(self.waveform)
        views.setStretchFactor(0, 3)
        views.setStretchFactor(1, 2)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.addWidget(self.take_title)
        centre_layout.addWidget(views, 1)
        centre_layout.addWidget(self.transport)
        self.variations = VariationStrip()
        self.history = TakeHistory()
        self.history.list.drag_file = self.drag_file
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(centre)
        self.splitter.addWidget(self.history)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.controls)
        layout.addLayout(action_row)
        layout.addWidget(self.variations)
        layout.addWidget(self.splitter, 1)
        self._connect()
        self._restore_settings()

    # -- wiring
    def _connect(self) -> None:
        services = self.services
        services.catalog.options_loaded.connect(self._on_options)
        services.catalog.models_changed.connect(self._on_models)
        services.catalog.failed.connect(
            lambda msg, details: self.errors.report("Could not load models", msg, details)
        )
        services.generation.progress.connect(self._on_progress)
        services.generation.busy_changed.connect(self._on_busy)
        services.generation.take_ready.connect(self._on_take)
        services.generation.variations_ready.connect(self._on_variations)
        services.generation.failed.connect(
            lambda msg, details: self.errors.report("Generation failed", msg, details)
        )
        services.playback.position_changed.connect(self._on_position)
        services.playback.state_changed.connect(lambda state: self._show_variation_playing())
        self.generate_button.clicked.connect(self.generate)
        self.variations_button.clicked.connect(self.generate_variations)
        self.variations_count.valueChanged.connect(lambda value: self._update_variations_text())
        self.variations.play_requested.connect(self.play_variation)
        self.variations.pick_requested.connect(self.pick_variation)
        self.variations.closed.connect(self._on_variations_hidden)
        self.export_button.clicked.connect(lambda: self.export_take())
        self.export_loop_button.clicked.connect(lambda: self.export_loop())
        self.controls.card_requested.connect(self.show_model_card)
        self.controls.choice_changed.connect(self._update_generate_enabled)
        self.controls.length_limited.connect(self.status_message)
        self.controls.seed_typed.connect(
            lambda seed: self.status_message.emit(
                "The typed seed will be used: \"New seed each time\" is now off"
            )
        )
        self.spectrogram.seek_requested.connect(self.seek)
        self.waveform.seek_requested.connect(self.seek)
        self.history.take_selected.connect(lambda take: self.show_take(take, keep_position=True))
        self.history.play_requested.connect(self.play_take)
        self.history.reuse_requested.connect(self.reuse_settings)
        self.history.export_requested.connect(self.export_take)
        self.history.clear_requested.connect(self.clear_takes)

    def _restore_settings(self) -> None:
        settings = self.services.settings
        self.controls.seconds_spin.setValue(settings.value("generate/seconds", 10.0, float))
        self.controls.new_seed_box.setChecked(settings.value("generate/new_seed", True, bool))
        if not self.controls.new_seed_box.isChecked():
            self.controls.set_seed(settings.value("generate/seed", self.controls.seed(), int))

    def save_settings(self) -> None:
        settings = self.services.settings
        choice = self.controls.current_choice()
        if choice is not None:
            settings.set_value("generate/choice", choice.key)
        settings.set_value("generate/seconds", self.controls.seconds_spin.value())
        settings.set_value("generate/new_seed", self.controls.new_seed_box.isChecked())
        settings.set_value("generate/seed", self.controls.seed())
        if self.controls.method_combo.currentText():
            settings.set_value("generate/method", self.controls.method_combo.currentText())

    def _on_options(self, options) -> None:
        method = self.services.settings.value("generate/method", options.default_method, str)
        self.controls.set_methods(
            options.methods, method if method in options.methods else options.default_method
        )
        self._update_generate_enabled()

    def _on_models(self, choices) -> None:
        self.controls.set_choices(
            choices,
            keep_key=self.services.settings.value("generate/choice", None, str)
            if self.controls.current_choice() is None
            else None,
        )
        if not choices:
            self.status_message.emit("No model installed: train one in the Train tab.")
        self._update_generate_enabled()

    def _update_generate_enabled(self) -> None:
        ready = (
            self.controls.current_choice() is not None
            and bool(self.controls.method_combo.currentText())
            and not self.services.generation.busy
        )
        self.generate_button.setEnabled(ready)
        self.variations_button.setEnabled(ready)

    # -- generation
    def generate(self) -> bool:
        request = self.controls.request()
        if request is None or not self.services.generation.generate(request):
            return False
        self.status_message.emit(
            f"Generating {request.seconds:g} s of {self.controls.genre_value()} (seed {request.seed})…"
        )
        return True

    # -- variations
    def _update_variations_text(self) -> None:
        count = self.variations_count.value()
        self.variations_button.setText(f"Generate {count} variations")
        self.variations_button.setToolTip(
            f"{count} takes of these settings with {count} seeds (the seed shown and the next ones), side by "
            "side: play them and use the one you like"
        )

    def generate_variations(self) -> bool:
        """The current settings with ``variations_count`` seeds: the seed shown (a fresh one first when
        "New seed each time" is on), then the next ones."""
        request = self.controls.request()
        if request is None:
            return False
        count = self.variations_count.value()
        requests = [replace(request, seed=(request.seed + k) % (MAX_SEED + 1)) for k in range(count)]
        if not self.services.generation.generate_variations(requests):
            return False
        self.status_message.emit(
            f"Generating {count} variations of {self.controls.genre_value()} (seeds {requests[0].seed}"
            f"-{requests[-1].seed})…"
        )
        return True

    def _on_variations(self, takes: list[Take]) -> None:
        if self._variation_playing() is not None:
            self.services.playback.stop()
        self.variations.set_takes(takes)
        self.status_message.emit(f"{len(takes)} variations ready: play them, Use this on the one you like")

    def _variation_playing(self) -> int | None:
        playback = self.services.playback
        if playback.tag != VARIATION_TAG or playback.state != PLAYING:
            return None
        return self._variation_loaded

    def play_variation(self, index: int) -> None:
        """Play variation ``index``; a second click (its button says Stop) stops it."""
        if not 0 <= index < len(self.variations.takes):
            return
        playback = self.services.playback
        if self._variation_playing() == index:
            playback.stop()
            return
        take = self.variations.takes[index]
        playback.load(take.audio, take.sample_rate, VARIATION_TAG)
        self._variation_loaded = index
        if not playback.play() and not playback.available:
            self.status_message.emit(NO_AUDIO_STATUS)
        self._show_variation_playing()

    def _show_variation_playing(self) -> None:
        self.variations.set_playing(self._variation_playing(), self.services.playback.position_seconds)

    def pick_variation(self, index: int) -> None:
        """Make variation ``index`` the current take: numbered, added to the list, kept, shown; its seed
        goes into the seed field (New seed each time off), so Generate makes it again."""
        if not 0 <= index < len(self.variations.takes) or index in self.variations.picked:
            return
        take = self.variations.takes[index]
        if self._variation_playing() is not None:
            self.services.playback.stop()
        self.variations.mark_picked(index)
        self.controls.new_seed_box.setChecked(False)
        self.controls.set_seed(take.request.seed)
        self.services.generation.adopt(take)

    def _on_variations_hidden(self) -> None:
        if self._variation_playing() is not None:
            self.services.playback.stop()

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(round(fraction * 1000)))
        self.progress_label.setText(message or f"{fraction * 100:.0f} %")

    def _on_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.progress.setValue(0)
        self.progress_label.setText("")
        self._update_generate_enabled()

    def _on_take(self, take: Take) -> None:
        self.history.add(take)  # selects it without re-emitting take_selected
        self._keep_take(take)
        self.show_take(take)
        self.status_message.emit(
            f"Take #{take.number} ready: {take.genre_label}, seed {take.request.seed}, "
            f"{take.duration_seconds:.1f} s"
        )

    # -- takes kept across restarts
    def _keep_take(self, take: Take) -> None:
        store = self.services.take_store
        job = self.services.jobs.submit("keep take", lambda progress: store.save(take))
        job.error.connect(
            lambda message, details: self.status_message.emit(
                f"Take #{take.number} is not kept for the next start: {message}"
            )
        )

    def restore_takes(self) -> None:
        """List the takes kept from earlier sessions (read off the GUI thread) below this session's."""
        store = self.services.take_store
        job = self.services.jobs.submit("restore takes", lambda progress: store.load())
        job.result.connect(self._on_restored)
        job.error.connect(
            lambda message, details: self.errors.report("Could not read the kept takes", message, details)
        )

    def _on_restored(self, takes: list[Take]) -> None:
        for take in reversed(takes):  # newest first, below any take of this session
            self.history.add_older(take)
        if takes:
            self.services.generation.continue_numbering(max(take.number for take in takes))
            self.status_message.emit(f"{len(takes)} take(s) kept from earlier sessions")

    def clear_takes(self) -> None:
        """Delete every take of the list, in the list and in the user data folder (asked first)."""
        count = self.history.list.count()
        if count == 0 or not self.confirm_clear_takes(count):
            return
        self.history.clear()
        store = self.services.take_store
        job = self.services.jobs.submit("clear takes", lambda progress: store.clear())
        job.result.connect(lambda deleted: self.status_message.emit(f"Cleared {count} take(s)"))
        job.error.connect(
            lambda message, details: self.errors.report("Could not clear the takes", message, details)
        )

    def show_take(self, take: Take, keep_position: bool = False) -> None:
        """Show ``take`` in both views and load it into the player (keeping the play time for comparisons)."""
        self.current_take = take
        self.take_title.setText(take.title() + f"  ·  {take.request.method}  ·  {take.model_name}")
        self.spectrogram.set_mel(take.mel, take.frame_seconds, take.band_hz)
        self.waveform.set_audio(take.audio, take.sample_rate)
        keep = keep_position and self.services.playback.tag == PLAYBACK_TAG
        self.services.playback.load(take.audio, take.sample_rate, PLAYBACK_TAG, keep_position=keep)
        self.export_button.setEnabled(True)
        self.export_loop_button.setEnabled(True)

    def play_take(self, take: Take) -> None:
        if take is not self.current_take:
            self.show_take(take)
        self.services.playback.seek(0.0)
        if not self.services.playback.play() and not self.services.playback.available:
            self.status_message.emit(NO_AUDIO_STATUS)

    def reuse_settings(self, take: Take) -> None:
        self.controls.new_seed_box.setChecked(False)
        self.controls.set_seed(take.request.seed)
        self.controls.seconds_spin.setValue(take.request.seconds)
        self.controls.method_combo.setCurrentText(take.request.method)
        genre = take.request.genre if isinstance(take.request.genre, str) else None
        if genre is not None:
            self.controls.select_key(f"{Path(take.request.model_path)}::{genre}")
        self.status_message.emit(f"Seed {take.request.seed} and settings of take #{take.number} restored")

    # -- playback
    def _ensure_loaded(self) -> bool:
        if self.current_take is None:
            return False
        if self.services.playback.tag != PLAYBACK_TAG:
            self.services.playback.load(self.current_take.audio, self.current_take.sample_rate, PLAYBACK_TAG)
        return True

    def toggle_play(self) -> None:
        if not self._ensure_loaded():
            return
        if not self.services.playback.toggle() and not self.services.playback.available:
            self.status_message.emit(NO_AUDIO_STATUS)

    def seek(self, seconds: float) -> None:
        if self._ensure_loaded():
            self.services.playback.seek(seconds)

    def _on_position(self, seconds: float) -> None:
        if self.services.playback.tag == PLAYBACK_TAG:
            self.spectrogram.set_position(seconds)
            self.waveform.set_position(seconds)
        elif self.services.playback.tag == VARIATION_TAG:
            self._show_variation_playing()

    # -- export and model card
    def export_take(self, take: Take | None = None) -> None:
        take = take or self.current_take
        if take is None:
            return
        default = Path(self.services.settings.folder("export")) / f"{take.default_file_stem()}.wav"
        path = self.ask_save_path(default)
        if path is None:
            return
        write = self.services.write_audio_fn
        job = self.services.jobs.submit(
            "export", lambda progress: write(path, take.audio, take.sample_rate, take.export_metadata())
        )
        job.result.connect(lambda _: self._on_exported(path))
        job.error.connect(lambda msg, details: self.errors.report("Export failed", f"{path}: {msg}", details))

    def _on_exported(self, path: Path) -> None:
        self.services.settings.set_folder("export", path.parent)
        self.status_message.emit(f"Exported {path}")
        self.exported.emit(str(path))

    def export_loop(self, take: Take | None = None) -> bool:
        """Estimate the take's tempo and first beat (off the GUI thread), ask for bars (tempo pre-filled,
        editable) and a .wav name, and write the loop with its loop points. False when nothing starts."""
        take = take or self.current_take
        if take is None or not self.export_loop_button.isEnabled():
            return False
        self.export_loop_button.setEnabled(False)
        self.status_message.emit("Finding the tempo of the take…")
        estimate_fn = self.services.estimate_tempo_fn
        job = self.services.jobs.submit(
            "estimate tempo", lambda progress: estimate_fn(take.audio, take.sample_rate)
        )
        job.result.connect(lambda estimate: self._ask_loop(take, estimate))
        job.error.connect(lambda message, details: self._ask_loop(take, None))
        return True

    def _ask_loop(self, take: Take, estimate) -> None:
        self.export_loop_button.setEnabled(self.current_take is not None)
        bpm = estimate.bpm if estimate is not None else None
        first = estimate.first_beat_seconds if estimate is not None else 0.0
        choice = self.ask_loop_choice(take.duration_seconds, bpm, first)
        if choice is None:
            return
        default = Path(self.services.settings.folder("export")) / (
            f"{take.default_file_stem()}_{choice.bars}bars_{choice.bpm:g}bpm.wav"
        )
        path = self.ask_loop_path(default)
        if path is None:
            return
        write = self.services.write_loop_fn
        job = self.services.jobs.submit(
            "export loop",
            lambda progress: write(path, take.audio, take.sample_rate, choice, take.export_metadata()),
        )
        job.result.connect(lambda _: self._on_loop_exported(path, choice))
        job.error.connect(
            lambda msg, details: self.errors.report("Loop export failed", f"{path}: {msg}", details)
        )

    def _on_loop_exported(self, path: Path, choice: LoopChoice) -> None:
        self.services.settings.set_folder("export", path.parent)
        self.status_message.emit(
            f"Exported loop {path}: {choice.bars} bar(s) at {choice.bpm:g} BPM, {choice.seconds:.2f} s"
        )
        self.exported.emit(str(path))

    def drag_file(self, take: Take) -> Path | None:
        """``take`` as a WAV (with its settings in the tags) in the cache's ``dragged`` folder, for a drag out
        of the list; None (and a status message) when it cannot be written."""
        from melodygan_desktop.paths import cache_dir

        folder = cache_dir() / "dragged"
        path = folder / f"{take.default_file_stem()}_take{take.number}.wav"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.services.write_audio_fn(path, take.audio, take.sample_rate, take.export_metadata())
        except (OSError, ValueError) as exc:
            self.status_message.emit(f"Could not drag take #{take.number} out: {exc}")
            return None
        return path

    def show_model_card(self, model) -> None:
        self._card_dialog = ModelCardDialog(model, self)
        self._card_dialog.show()
