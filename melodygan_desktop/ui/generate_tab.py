"""Generate tab: pick a genre, generate off the GUI thread, see the spectrogram and waveform, play, export."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from melodygan_desktop.services.container import AppServices
from melodygan_desktop.services.generation import Take
from melodygan_desktop.ui.dialogs import ModelCardDialog
from melodygan_desktop.ui.elided_label import ElidedLabel
from melodygan_desktop.ui.errors import ErrorReporter
from melodygan_desktop.ui.file_dialogs import ask_export_path, ask_loop_path
from melodygan_desktop.ui.generate_controls import GenerateControls
from melodygan_desktop.ui.generate_settings import GenerateSettings
from melodygan_desktop.ui.generate_variations import (
    DEFAULT_VARIATIONS,
    MAX_VARIATIONS,
    MIN_VARIATIONS,
    VARIATION_TAG,
    GenerateVariations,
)
from melodygan_desktop.ui.kept_takes import KeptTakes, confirm_clear_takes
from melodygan_desktop.ui.loop_dialog import LoopChoice, ask_loop_choice
from melodygan_desktop.ui.loop_export import LoopExport
from melodygan_desktop.ui.spectrogram_view import SpectrogramView
from melodygan_desktop.ui.take_export import TakeExport
from melodygan_desktop.ui.take_history import TakeHistory
from melodygan_desktop.ui.transport import NO_AUDIO_STATUS, TransportBar
from melodygan_desktop.ui.variation_strip import VariationStrip
from melodygan_desktop.ui.waveform_view import WaveformView

PLAYBACK_TAG = "generate"


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
        self.settings_keeper = GenerateSettings(self)
        self.variation_flow = GenerateVariations(self)
        self.kept_takes = KeptTakes(self)
        self.take_export = TakeExport(self)
        self.loop_export = LoopExport(self)
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
        self.variation_flow.update_text()
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
        self.settings_keeper.restore()

    # -- wiring
    def _connect(self) -> None:
        services = self.services
        services.catalog.options_loaded.connect(self.settings_keeper.on_options)
        services.catalog.models_changed.connect(self.settings_keeper.on_models)
        services.catalog.failed.connect(
            lambda msg, details: self.errors.report("Could not load models", msg, details)
        )
        services.generation.progress.connect(self._on_progress)
        services.generation.busy_changed.connect(self._on_busy)
        services.generation.take_ready.connect(self._on_take)
        services.generation.failed.connect(
            lambda msg, details: self.errors.report("Generation failed", msg, details)
        )
        services.playback.position_changed.connect(self._on_position)
        self.generate_button.clicked.connect(self.generate)
        self.variations_button.clicked.connect(self.generate_variations)
        self.export_button.clicked.connect(lambda: self.export_take())
        self.export_loop_button.clicked.connect(lambda: self.export_loop())
        self.controls.card_requested.connect(self.show_model_card)
        self.controls.choice_changed.connect(self.update_generate_enabled)
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
        self.variation_flow.connect()

    def save_settings(self) -> None:
        self.settings_keeper.save()

    def update_generate_enabled(self) -> None:
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
    def generate_variations(self) -> bool:
        return self.variation_flow.generate()

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(round(fraction * 1000)))
        self.progress_label.setText(message or f"{fraction * 100:.0f} %")

    def _on_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.progress.setValue(0)
        self.progress_label.setText("")
        self.update_generate_enabled()

    def _on_take(self, take: Take) -> None:
        self.history.add(take)  # selects it without re-emitting take_selected
        self.kept_takes.keep(take)
        self.show_take(take)
        note = take.metadata.get("note", "")  # e.g. the vocoder cannot invert this model's mels
        self.status_message.emit(
            f"Take #{take.number} ready: {take.genre_label}, seed {take.request.seed}, "
            f"{take.duration_seconds:.1f} s" + (f" · {note}" if note else "")
        )

    # -- takes kept across restarts
    def restore_takes(self) -> None:
        self.kept_takes.restore()

    def clear_takes(self) -> None:
        self.kept_takes.clear()

    def show_take(self, take: Take, keep_position: bool = False) -> None:
        """Show ``take`` in both views and load it into the player (keeping the play time for comparisons)."""
        self.current_take = take
        method = take.metadata.get("method", take.request.method)  # the method that made it (after fallback)
        self.take_title.setText(take.title() + f"  ·  {method}  ·  {take.model_name}")
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
        self.settings_keeper.reuse(take)

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
            self.variation_flow.show_playing()

    # -- export and model card
    def export_take(self, take: Take | None = None) -> None:
        self.take_export.export(take)

    def export_loop(self, take: Take | None = None) -> bool:
        return self.loop_export.start(take)

    def drag_file(self, take: Take) -> Path | None:
        return self.take_export.drag_file(take)

    def show_model_card(self, model) -> None:
        self._card_dialog = ModelCardDialog(model, self)
        self._card_dialog.show()
