"""Train tab: choose music and a preset, see what the folder holds, train with live losses and previews."""

from __future__ import annotations

import time
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
from melodygan_desktop.services.errors import user_message
from melodygan_desktop.services.jobs import Job
from melodygan_desktop.services.playback import PLAYING
from melodygan_desktop.services.training_session import IDLE, PAUSED, RUNNING
from melodygan_desktop.threads import default_threads
from melodygan_desktop.training.events import CheckpointSaved, Finished, Preview, Started, StepMetrics
from melodygan_desktop.ui.data_summary_view import DataSummaryView
from melodygan_desktop.ui.errors import ErrorReporter
from melodygan_desktop.ui.file_dialogs import ask_folder
from melodygan_desktop.ui.preview_strip import DEFAULT_PREVIEWS, default_preview_genres
from melodygan_desktop.ui.train_form import TrainForm
from melodygan_desktop.ui.train_monitor import TrainMonitor
from melodygan_desktop.ui.transport import NO_AUDIO_STATUS

PREVIEW_TAG = "preview"
MAX_PREVIEWS = 64  # the most previews a run draws (each is a clip generated and inverted)
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
        self._summary_job: Job | None = None
        self._summary_key: tuple[str, str] | None = None
        self.trained_model: str | None = None  # the installed model of the last run
        self.finished_checkpoint: Path | None = None  # the last run's best (else newest) checkpoint
        self.best_checkpoint: CheckpointSaved | None = None  # the run's best-scored checkpoint so far
        self.training_facts: dict | None = None  # what the last run knows, for its model card
        self._run_started: Started | None = None
        self._run_losses: dict[str, float] = {}
        self._run_base = None  # the model the run fine-tunes (ModelInfo), if any
        self._run_steps = 0
        self._run_genres: tuple[str, ...] = ()
        self._run_preset = ""
        self._default_name = ""
        self._installing = False
        self._open_after_install = False
        self.ask_model_name: Callable[[str], str | None] = lambda default: ask_model_name(self, default)
        self.trained_genres: list[str] = []  # the data folder's genres of the last run started
        self._preview_options: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        self._preview_loaded: int | None = None  # preview index in the player (tag PREVIEW_TAG)
        self._run_label = ""
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
        self._update_buttons()

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
        self.form.init_combo.currentIndexChanged.connect(lambda index: self._update_preview_genres())
        self.form.preset_changed.connect(lambda name: self._update_preview_genres())
        self.monitor.previews.play_requested.connect(self.play_preview)
        self.services.playback.state_changed.connect(lambda state: self._show_preview_playing())
        self.services.playback.position_changed.connect(lambda seconds: self._show_preview_playing())
        session.started.connect(self.monitor.on_started)
        session.started.connect(self._on_started)
        session.metrics.connect(self.monitor.on_metrics)
        session.metrics.connect(self._on_metrics)
        session.preview.connect(self.monitor.on_preview)
        session.checkpoint_saved.connect(self._on_checkpoint_saved)
        session.finished.connect(self._on_finished)
        session.error.connect(
            lambda message, details: self.errors.report("Training failed", message, details)
        )
        session.state_changed.connect(lambda state: self._update_buttons())
        session.state_changed.connect(lambda state: self.monitor.set_paused(state == PAUSED))

    def _on_options(self, options) -> None:
        preferred = self.services.settings.value("train/preset", DEFAULT_PRESET, str)
        self.form.set_presets(options.presets, preferred)
        self.refresh_summary()

    # -- data folder
    def choose_folder(self) -> None:
        folder = ask_folder(self, "Choose a folder of music", self.services.settings.folder("data"))
        if folder is not None:
            self._summary_key = None  # choosing a folder again reads it again (files may have changed)
            self.form.set_folder(str(folder))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if urls and Path(urls[0].toLocalFile()).is_dir() and not self.services.training.is_active:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        folder = event.mimeData().urls()[0].toLocalFile()
        self._summary_key = None
        self.form.set_folder(folder)
        event.acceptProposedAction()

    def refresh_summary(self) -> None:
        """Prepare the chosen folder off the GUI thread (this also fills the cache training reuses)."""
        folder, preset = self.form.folder(), self.form.preset()
        if not folder or preset is None:
            return
        key = (folder, preset.mel_preset)
        if key == self._summary_key:
            return
        self._summary_key = key
        if self._summary_job is not None:
            self._summary_job.cancel()
        if not Path(folder).is_dir():
            self.summary.show_error(f"{folder} is not a folder.")
            self._update_buttons()
            return
        self.services.settings.set_folder("data", Path(folder).parent)
        self.summary.show_preparing(folder)
        prepare = self.services.prepare_fn
        job = self.services.jobs.submit(
            "prepare data", lambda progress: prepare(Path(folder), key[1], progress)
        )
        self._summary_job = job
        job.progress.connect(
            lambda fraction: job is self._summary_job and self.summary.show_progress(fraction)
        )
        job.message.connect(
            lambda text: (
                job is self._summary_job
                and self.summary.show_progress(self.summary.progress.value() / 1000, text)
            )
        )
        job.result.connect(lambda summary: job is self._summary_job and self._on_summary(summary))
        job.error.connect(
            lambda message, details: job is self._summary_job and self._on_summary_error(message)
        )
        job.done.connect(lambda: self._summary_done(job))
        self._update_buttons()

    def _on_summary(self, summary) -> None:
        self.summary.show_summary(summary)
        self._update_preview_genres()

    def _on_summary_error(self, message: str) -> None:
        self.summary.show_error(message)
        self._update_preview_genres()

    # -- preview genres
    def refresh_runs(self) -> None:
        """List the unfinished runs (off the GUI thread) so Start from offers to resume them."""
        if self.services.training.is_active:
            return
        job = self.services.jobs.submit("list runs", lambda progress: self.services.list_runs_fn())
        job.result.connect(lambda runs: not self.services.training.is_active and self.form.set_runs(runs))

    def _base_model(self):
        run = self.form.resume_run()
        path = run.init_from if run is not None else self.form.init_from()
        return next((m for m in self.form.models if str(m.path) == path), None) if path else None

    def run_genres(self) -> list[str]:
        """The genres of the model this run will train, in the core's order: a base model's first, then the
        folder's new ones."""
        base = self._base_model()
        genres = list(base.genres) if base is not None else []
        folder = list(self.summary.summary.genres) if self.summary.summary is not None else []
        return genres + [genre for genre in folder if genre not in genres]

    def _update_preview_genres(self) -> None:
        """Offer the folder's genres first, then the base model's; keep the user's ticks while the offer is
        the same, else tick the folder's genres (then the base model's, four in all)."""
        if self.services.training.is_active:
            return  # the run's previews are fixed until it ends
        preset = self.form.preset()
        previews = self.monitor.previews
        if preset is not None and not preset.conditional:
            self._preview_options = None
            previews.set_genre_choice_off("This preset has one generator for every genre: no genre to choose")
            return
        folder = list(self.summary.summary.genres) if self.summary.summary is not None else []
        base = self._base_model()
        others = [genre for genre in (base.genres if base is not None else ()) if genre not in folder]
        options = (tuple(folder), tuple(others))
        if options == self._preview_options:
            return
        self._preview_options = options
        previews.set_genre_options(folder, others, default_preview_genres(folder, others))

    def preview_genres(self) -> tuple[str, ...]:
        """The chosen genres the run will have, in the run's order: the core previews exactly these."""
        genres = self.run_genres()
        chosen = set(self.monitor.previews.chosen_genres())
        return tuple(genre for genre in genres if genre in chosen)[:MAX_PREVIEWS]

    def _summary_done(self, job: Job) -> None:
        if job is self._summary_job:
            self._summary_job = None
        self._update_buttons()

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
        run = self.form.resume_run()
        if run is not None:  # the run's own settings; this machine's device and threads, and the step count
            try:
                config = self.services.resume_config_fn(
                    run.path, self.form.steps_spin.value(), self.form.device(), default_threads()
                )
            except Exception as exc:
                self.errors.report("Cannot resume this run", user_message(exc))
                return False
            run_dir = Path(run.path)
        else:
            config = self.training_config()
            run_dir = paths.runs_dir() / f"{time.strftime('%Y%m%d-%H%M%S')}-{self.form.run_name()}"
        self.trained_model = None
        self.finished_checkpoint = None
        self.best_checkpoint = None
        self.training_facts = None
        self._run_started, self._run_losses, self._run_steps = None, {}, config.steps
        self._run_base = self._base_model()
        self._run_genres = tuple(self.run_genres())
        self._run_preset = config.preset
        self._open_after_install = False
        self.trained_genres = list(self.summary.summary.genres)
        self._run_label = f"{Path(config.data_dir).name} · {config.preset} · {time.strftime('%d %b %H:%M')}"
        self.monitor.reset(config.steps)
        preset = self.form.preset()
        if preset is not None and self.services.catalog.options is not None:
            mel = MEL_PRESETS[preset.mel_preset]
            self.monitor.previews.set_axes(
                mel.hop_length / mel.sample_rate, self.services.catalog.options.band_hz.get(preset.mel_preset)
            )
        self.save_settings()
        self.services.training.start(config, run_dir)
        verb = "Resuming" if run is not None else "Training"
        self.status_message.emit(f"{verb} {config.preset} in {run_dir}")
        return True

    def toggle_pause(self) -> None:
        session = self.services.training
        session.resume() if session.state == PAUSED else session.pause()

    def _update_buttons(self) -> None:
        state = self.services.training.state
        idle = state == IDLE
        ready = self.summary.summary is not None and self._summary_job is None
        self.start_button.setEnabled(idle and ready and self.form.preset() is not None)
        self.pause_button.setEnabled(state in (RUNNING, PAUSED))
        self.pause_button.setText("Resume" if state == PAUSED else "Pause")
        self.stop_button.setEnabled(state in (RUNNING, PAUSED))
        installable = self.finished_checkpoint is not None and not self._installing
        self.open_button.setEnabled(idle and (self.trained_model is not None or installable))
        self.install_button.setEnabled(idle and installable and self.trained_model is None)
        self.form.set_editable(idle)

    def _on_started(self, event: Started) -> None:
        self._run_started = event
        if event.scoring:
            self.status_message.emit(event.scoring)

    def _best_text(self) -> str:
        best = self.best_checkpoint
        if best is None:
            return ""
        return f"best so far: step {best.step} (FD {best.score:.3g})"

    def _on_checkpoint_saved(self, event: CheckpointSaved) -> None:
        if event.best and event.score is not None:
            self.best_checkpoint = event
        best = self._best_text()
        self.status_message.emit(f"Checkpoint saved at step {event.step}" + (f" · {best}" if best else ""))

    def _on_metrics(self, event: StepMetrics) -> None:
        self._run_losses = dict(event.losses)

    def _on_finished(self, event: Finished) -> None:
        self.monitor.on_finished(event)
        self.status_message.emit(self.monitor.rate_label.text())
        self.refresh_runs()  # a stopped run can be resumed; a resumed one may be complete now
        if event.checkpoint and event.reason != "failed":
            # The best-scored checkpoint on held-out clips when the run scored them, else the newest.
            best = self.best_checkpoint
            step = best.step if best is not None else event.step
            self.finished_checkpoint = Path(best.path if best is not None else event.checkpoint)
            self.training_facts = self._training_facts(event, step)
            self._default_name = f"{self._run_label} · step {step}"
            if event.reason == "completed" and self.auto_install_box.isChecked():
                self.install_model(ask=False)
            else:
                best = f" · {self._best_text()}" if best is not None else ""
                self.status_message.emit(
                    f"{self.monitor.rate_label.text()}{best} · Install as model to add it to the genre list"
                )
        self._update_buttons()

    def _training_facts(self, event: Finished, step: int | None = None) -> dict:
        """What this run knows, as the fields of the core's ``TrainingRecord`` (plain values)."""
        started = self._run_started
        data = started.data if started is not None else self.summary.summary
        base = self._run_base
        facts: dict = {
            "preset": started.preset if started is not None else self._run_preset,
            "genres": self._run_genres,
            "data_folder": self.form.folder(),
            "step": int(event.step if step is None else step),
            "total_steps": int(started.total_steps if started is not None else self._run_steps),
            "ended": "completed" if event.reason == "completed" else event.reason,
            "base_model": str(base.name) if base is not None else None,
            "base_model_id": Path(base.path).name if base is not None else None,
            "seconds": float(self.monitor.elapsed_seconds()),
            "device": started.device if started is not None else None,
            "final_losses": {str(k): float(v) for k, v in self._run_losses.items()},
            "finished_at": time.strftime("%Y-%m-%d %H:%M"),
        }
        if data is not None:
            facts.update(
                tracks=int(data.tracks), data_seconds=float(data.seconds),
                clips_per_genre={str(g): int(n) for g, n in data.clips_per_genre.items()},
            )
        return facts

    def install_model(self, ask: bool = True) -> None:
        """Install the last run's best checkpoint (else its newest) as a model (asking its name when ``ask``),
        with a card written from what the run knows: base model, data, steps, time, device, final losses."""
        if self.finished_checkpoint is None or self._installing or self.services.training.is_active:
            return
        default = self._default_name or self.finished_checkpoint.name
        name = self.ask_model_name(default) if ask else default
        if not name:
            self._open_after_install = False
            return
        checkpoint, facts = self.finished_checkpoint, dict(self.training_facts or {})
        run_dir = self.services.training.run_dir
        run_name = run_dir.name if run_dir is not None else checkpoint.parent.name
        export = self.services.export_model_fn

        def work(progress):
            from melodygan_desktop.services.core import training_card

            card, fields = training_card(facts, name) if facts else (None, None)
            return export(checkpoint, run_name, name, card, fields)

        self._installing = True
        self._update_buttons()
        job = self.services.jobs.submit("install model", work)
        job.result.connect(self._on_model_installed)
        job.error.connect(self._on_install_failed)

    def _on_install_failed(self, message: str, details: str) -> None:
        self._installing = self._open_after_install = False
        self._update_buttons()
        self.errors.report("Could not add the trained model", message, details)

    def open_trained_model(self) -> None:
        """Generate with the new model, on the genre it was trained on (the folder's first genre); a run not
        installed yet is installed first, under its default name."""
        if self.trained_model is None:
            if self.finished_checkpoint is not None:
                self._open_after_install = True
                self.install_model(ask=False)
            return
        model = self.services.catalog.model_for_path(self.trained_model)
        genres = list(model.genres) if model is not None else []
        genre = next((g for g in self.trained_genres if g in genres or not genres), "")
        self.open_in_generate.emit(self.trained_model, genre)

    def _on_model_installed(self, path: Path) -> None:
        self._installing = False
        self.trained_model = str(path)
        self.services.catalog.refresh()
        self._update_buttons()
        self.status_message.emit(f"Model saved to {path}: open it in the Generate tab")
        if self._open_after_install:
            self._open_after_install = False
            self.open_trained_model()

    # -- previews
    def play_preview(self, index: int) -> None:
        """Play preview ``index``; its button says Stop while it plays, and a second click stops it."""
        preview: Preview | None = self.monitor.previews.preview
        if preview is None:
            return
        playback = self.services.playback
        if self.preview_playing() == index:
            playback.stop()
            return
        if preview.audio is not None and index < len(preview.audio):
            self._play_preview_audio(preview.audio[index], preview.sample_rate, index)
            return
        invert, mels = self.services.invert_preview_fn, preview.mels[index]
        job = self.services.jobs.submit("invert preview", lambda progress: invert(mels, preview.mel))
        job.result.connect(lambda audio: self._play_preview_audio(audio, preview.sample_rate, index))
        job.error.connect(
            lambda message, details: self.errors.report("Could not play the preview", message, details)
        )

    def _play_preview_audio(self, audio, sample_rate: int, index: int) -> None:
        playback = self.services.playback
        playback.load(audio, sample_rate, PREVIEW_TAG)
        self._preview_loaded = index
        playback.play() or self._no_audio()
        self._show_preview_playing()

    def preview_playing(self) -> int | None:
        """The index of the preview playing now, or None."""
        playback = self.services.playback
        playing = playback.tag == PREVIEW_TAG and playback.state == PLAYING
        return self._preview_loaded if playing else None

    def _show_preview_playing(self) -> None:
        index = self.preview_playing()
        seconds = self.services.playback.position_seconds if index is not None else 0.0
        self.monitor.previews.set_playing(index, seconds)

    def _no_audio(self) -> None:
        self.status_message.emit(NO_AUDIO_STATUS)

    def save_settings(self) -> None:
        settings = self.services.settings
        settings.set_value("train/folder", self.form.folder())
        settings.set_value("train/steps", self.form.steps_spin.value())
        settings.set_value("train/device", self.form.device())
        settings.set_value("train/start_from", self.form.start_from() or "")
        if self.form.preset() is not None:
            settings.set_value("train/preset", self.form.preset().name)
