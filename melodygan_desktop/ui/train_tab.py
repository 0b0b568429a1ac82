"""Train tab: choose music and a preset, see what the folder holds, train with live losses and previews."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from melodygan_desktop import paths
from melodygan_desktop.config import DEFAULT_PRESET, MEL_PRESETS, TrainConfig, cadence_for
from melodygan_desktop.services.container import AppServices
from melodygan_desktop.services.training_session import IDLE, PAUSED, RUNNING
from melodygan_desktop.threads import default_threads
from melodygan_desktop.training.events import Finished
from melodygan_desktop.ui.data_summary_view import DataSummaryView
from melodygan_desktop.ui.errors import ErrorReporter
from melodygan_desktop.ui.preview_strip import DEFAULT_PREVIEWS
from melodygan_desktop.ui.run_install import RunInstaller
from melodygan_desktop.ui.run_resume import RunResume
from melodygan_desktop.ui.train_data_folder import DataFolder
from melodygan_desktop.ui.train_form import TrainForm
from melodygan_desktop.ui.train_monitor import TrainMonitor
from melodygan_desktop.ui.train_previews import MAX_PREVIEWS, PREVIEW_TAG, PreviewChoice, PreviewPlayer

__all__ = ["AUTO_INSTALL_KEY", "MAX_PREVIEWS", "PREVIEW_TAG", "TrainTab", "ask_model_name"]
AUTO_INSTALL_KEY = "train/auto_install"  # install completed runs without asking (default off)


def ask_model_name(parent: QWidget, default: str) -> str | None:
    name, ok = QInputDialog.getText(
        parent, "Install as model", "Name shown in the genre list:", QLineEdit.EchoMode.Normal, default
    )
    return name.strip() if ok and name.strip() else None


class TrainTab(QWidget):
    """Emits ``status_message(text)`` and ``open_in_generate(model_path, genre)`` (the trained genre to
    select, "" when the model has no genre to pick)."""

    status_message = Signal(str)
    open_in_generate = Signal(str, str)

    def __init__(self, services: AppServices, errors: ErrorReporter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.errors = errors
        self.setAcceptDrops(True)
        self.data_folder = DataFolder(self)
        self.installer = RunInstaller(self)
        self.resume = RunResume(self)
        self.preview_choice = PreviewChoice(self)
        self.preview_player = PreviewPlayer(self)
        self.ask_model_name: Callable[[str], str | None] = lambda default: ask_model_name(self, default)
        self.form = TrainForm()
        self.summary = DataSummaryView()
        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.open_button = QPushButton("Open in Generate")
        self.open_button.setToolTip("Generate with the newest checkpoint of this run (installs it first)")
        self.install_button = QPushButton("Install as model")
        self.install_button.setToolTip(
            "Add the newest checkpoint of this run to your models: the genre list and the Models tab"
        )
        self.auto_install_box = QCheckBox("Install completed runs automatically")
        self.auto_install_box.setToolTip(
            "Off: a finished run waits for Install as model. Stopped runs are only installed when you say so."
        )
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.install_button)
        buttons.addWidget(self.open_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.form)
        left_layout.addWidget(self.summary)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.auto_install_box)
        left_layout.addStretch(1)
        self.monitor = TrainMonitor()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.monitor)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self._connect()
        self.form.folder_edit.setText(services.settings.value("train/folder", "", str))
        self.form.steps_spin.setValue(
            services.settings.value("train/steps", self.form.steps_spin.value(), int)
        )
        self.form.preferred_start = services.settings.value("train/start_from", "", str) or None
        self.auto_install_box.setChecked(services.settings.value(AUTO_INSTALL_KEY, False, bool))
        self.auto_install_box.toggled.connect(lambda on: services.settings.set_value(AUTO_INSTALL_KEY, on))
        device = self.form.device_combo.findData(services.settings.value("train/device", "auto", str))
        self.form.device_combo.setCurrentIndex(max(device, 0))
        self.update_buttons()

    def _connect(self) -> None:
        session = self.services.training
        self.form.browse_requested.connect(self.choose_folder)
        self.form.folder_changed.connect(lambda folder: self.refresh_summary())
        self.form.preset_changed.connect(lambda name: self.refresh_summary())
        self.services.catalog.options_loaded.connect(self._on_options)
        self.services.catalog.models_changed.connect(
            lambda choices: self.form.set_models(self.services.catalog.models)
        )
        self.services.catalog.models_changed.connect(lambda choices: self.refresh_runs())
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(session.stop)
        self.open_button.clicked.connect(self.open_trained_model)
        self.install_button.clicked.connect(lambda: self.install_model(ask=True))
        self.form.init_combo.currentIndexChanged.connect(lambda index: self.preview_choice.update())
        self.form.preset_changed.connect(lambda name: self.preview_choice.update())
        self.preview_player.connect()
        session.started.connect(self.monitor.on_started)
        session.started.connect(self.installer.on_started)
        session.metrics.connect(self.monitor.on_metrics)
        session.metrics.connect(self.installer.on_metrics)
        session.preview.connect(self.monitor.on_preview)
        session.checkpoint_saved.connect(self.installer.on_checkpoint_saved)
        session.finished.connect(self._on_finished)
        session.error.connect(
            lambda message, details: self.errors.report("Training failed", message, details)
        )
        session.state_changed.connect(lambda state: self.update_buttons())
        session.state_changed.connect(lambda state: self.monitor.set_paused(state == PAUSED))

    def _on_options(self, options) -> None:
        preferred = self.services.settings.value("train/preset", DEFAULT_PRESET, str)
        self.form.set_presets(options.presets, preferred)
        self.refresh_summary()

    # -- data folder
    def choose_folder(self) -> None:
        self.data_folder.choose()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if urls and Path(urls[0].toLocalFile()).is_dir() and not self.services.training.is_active:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        self.data_folder.set_folder(event.mimeData().urls()[0].toLocalFile())
        event.acceptProposedAction()

    def refresh_summary(self) -> None:
        self.data_folder.refresh()

    # -- unfinished runs and preview genres
    def refresh_runs(self) -> None:
        self.resume.refresh_runs()

    def run_genres(self) -> list[str]:
        return self.preview_choice.run_genres()

    def preview_genres(self) -> tuple[str, ...]:
        return self.preview_choice.chosen()

    # -- training
    def training_config(self) -> TrainConfig:
        preset = self.form.preset()
        steps = self.form.steps_spin.value()
        return TrainConfig(
            data_dir=self.form.folder(),
            preset=preset.name if preset else DEFAULT_PRESET,
            steps=steps,
            batch_size=self.form.batch_spin.value(),
            lr_g=self.form.lr_g_spin.value(),
            lr_d=self.form.lr_d_spin.value(),
            device=self.form.device(),
            threads=default_threads(),
            init_from=self.form.init_from(),
            cache_dir=str(paths.cache_dir()),
            **cadence_for(steps),  # the core's policy, the CLI's too
            preview_count=len(self.preview_genres()) or DEFAULT_PREVIEWS,
            preview_genres=self.preview_genres(),
        )

    def start(self) -> bool:
        if self.services.training.is_active or self.summary.summary is None:
            return False
        started = self.resume.run_to_start()
        if started is None:
            return False
        config, run_dir, resumed = started
        self.installer.begin(
            config, self.preview_choice.base_model(), self.run_genres(), list(self.summary.summary.genres)
        )
        self.monitor.reset(config.steps)
        preset = self.form.preset()
        if preset is not None and self.services.catalog.options is not None:
            mel = MEL_PRESETS[preset.mel_preset]
            self.monitor.previews.set_axes(
                mel.hop_length / mel.sample_rate, self.services.catalog.options.band_hz.get(preset.mel_preset)
            )
        self.save_settings()
        self.services.training.start(config, run_dir)
        verb = "Resuming" if resumed else "Training"
        self.status_message.emit(f"{verb} {config.preset} in {run_dir}")
        return True

    def toggle_pause(self) -> None:
        session = self.services.training
        session.resume() if session.state == PAUSED else session.pause()

    def update_buttons(self) -> None:
        state = self.services.training.state
        idle = state == IDLE
        ready = self.summary.summary is not None and self.data_folder.job is None
        self.start_button.setEnabled(idle and ready and self.form.preset() is not None)
        self.pause_button.setEnabled(state in (RUNNING, PAUSED))
        self.pause_button.setText("Resume" if state == PAUSED else "Pause")
        self.stop_button.setEnabled(state in (RUNNING, PAUSED))
        installable = self.finished_checkpoint is not None and not self.installer.installing
        self.open_button.setEnabled(idle and (self.trained_model is not None or installable))
        self.install_button.setEnabled(idle and installable and self.trained_model is None)
        self.form.set_editable(idle)

    def _on_finished(self, event: Finished) -> None:
        self.monitor.on_finished(event)
        self.status_message.emit(self.monitor.rate_label.text())
        self.refresh_runs()  # a stopped run can be resumed; a resumed one may be complete now
        self.installer.on_finished(event)
        self.update_buttons()

    # -- the run's result
    @property
    def trained_model(self) -> str | None:
        return self.installer.trained_model

    @property
    def finished_checkpoint(self) -> Path | None:
        return self.installer.finished_checkpoint

    def install_model(self, ask: bool = True) -> None:
        self.installer.install(ask)

    def open_trained_model(self) -> None:
        self.installer.open_in_generate()

    def play_preview(self, index: int) -> None:
        self.preview_player.play(index)

    def preview_playing(self) -> int | None:
        return self.preview_player.playing()

    def save_settings(self) -> None:
        settings = self.services.settings
        settings.set_value("train/folder", self.form.folder())
        settings.set_value("train/steps", self.form.steps_spin.value())
        settings.set_value("train/device", self.form.device())
        settings.set_value("train/start_from", self.form.start_from() or "")
        if self.form.preset() is not None:
            settings.set_value("train/preset", self.form.preset().name)
