"""Main window: Generate, Train and Models tabs, menus, shortcuts, status bar, remembered layout, safe
close."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QMessageBox, QTabWidget, QWidget

from melodygan_desktop import paths
from melodygan_desktop.services.container import AppServices
from melodygan_desktop.services.warmup import warm_up_in_background
from melodygan_desktop.ui.dialogs import AboutDialog
from melodygan_desktop.ui.elided_label import ElidedLabel
from melodygan_desktop.ui.errors import ErrorReporter
from melodygan_desktop.ui.generate_tab import GenerateTab
from melodygan_desktop.ui.models_tab import ModelsTab
from melodygan_desktop.ui.status_bar import StatusBar
from melodygan_desktop.ui.train_tab import TrainTab
from melodygan_desktop.ui.transport import NO_AUDIO_STATUS

QUICK_START = """<h3>Quick start</h3>
<ol><li><b>Generate</b>: pick a genre, press <b>Generate</b> (Ctrl+G), then <b>Space</b> to play. Click either
view to jump; scroll to zoom. <b>Export…</b> (Ctrl+E) saves WAV, FLAC or OGG with the settings inside;
<b>Export loop…</b> (Ctrl+Shift+E) cuts it to whole bars at its tempo, a WAV with loop points for a DAW.</li>
<li>Keep a seed you like: untick <i>New seed each time</i>, or pick a take and press <i>Reuse seed</i>.</li>
<li><b>Train</b>: choose (or drop) a folder with one sub-folder per genre, check the summary, press
<b>Start</b>. When it ends, <b>Install as model</b> keeps it, or <b>Open in Generate</b>.</li>
<li><b>Models</b>: rename, delete, export a model as one .zip file to share, import one.</li></ol>
<p>Shortcuts: Space play/pause · Ctrl+G generate · Ctrl+E export · Ctrl+Shift+E export loop · Ctrl+L loop ·
Home back to start · Ctrl+1 / Ctrl+2 / Ctrl+3 tabs · F1 this help · Ctrl+Q quit</p>"""


def ask_stop_training(parent: QWidget) -> bool:
    answer = QMessageBox.question(
        parent,
        "Training is running",
        "A training run is in progress. Stop it and quit?\nThe newest checkpoint is kept; the run can be "
        "fine-tuned or resumed later.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def audio_status(available: bool, reason: str) -> str:
    """The status bar's audio note, said once: ``"No audio output device found (…) · everything else
    works"`` rather than repeating "no audio output" inside the reason."""
    if available:
        return "Audio output ready"
    reason = reason.strip() or "no audio device"
    if reason.lower().startswith("no audio output"):
        text = reason[0].upper() + reason[1:]
    else:
        text = f"No audio output: {reason}"
    return f"{text} · everything else works"


class MainWindow(QMainWindow):
    """``confirm_close_training()`` (a dialog by default) decides whether closing stops a running training."""

    def __init__(
        self,
        services: AppServices,
        *,
        log_path: Path | None = None,
        show_dialogs: bool = True,
        confirm_close_training: Callable[[], bool] | None = None,
        ask_save_path: Callable[[Path], Path | None] | None = None,
    ) -> None:
        super().__init__()
        self.services = services
        self.setWindowTitle("MELodyGAN Desktop")
        self.resize(1280, 820)
        self.errors = ErrorReporter(self, log_path, show_dialogs)
        self.confirm_close_training = confirm_close_training or (lambda: ask_stop_training(self))
        self._closing = False
        self._about: AboutDialog | None = None
        self.generate_tab = GenerateTab(services, self.errors, ask_save_path)
        self.train_tab = TrainTab(services, self.errors)
        self.models_tab = ModelsTab(services, self.errors)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.generate_tab, "Generate")
        self.tabs.addTab(self.train_tab, "Train")
        self.tabs.addTab(self.models_tab, "Models")
        self.setCentralWidget(self.tabs)
        self.setStatusBar(StatusBar(self))
        self.audio_label = ElidedLabel(minimum_width=120)
        self.statusBar().addPermanentWidget(self.audio_label)
        self._build_menus()
        self._build_shortcuts()
        for tab in (self.generate_tab, self.train_tab, self.models_tab):
            tab.status_message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.train_tab.open_in_generate.connect(self.open_model_in_generate)
        services.playback.availability_changed.connect(self._on_audio_availability)
        services.training.state_changed.connect(self._on_training_state)
        services.catalog.models_changed.connect(self._select_pending_model)
        self._pending_model: tuple[str, str] | None = None
        self._restore_layout()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.export_action = QAction("&Export take…", self, shortcut=QKeySequence("Ctrl+E"))
        self.export_action.triggered.connect(lambda: self.generate_tab.export_take())
        self.export_loop_action = QAction("Export &loop…", self, shortcut=QKeySequence("Ctrl+Shift+E"))
        self.export_loop_action.setToolTip("The take shown as whole bars with loop points, for a DAW")
        self.export_loop_action.triggered.connect(lambda: self.generate_tab.export_loop())
        refresh = QAction("&Reload models", self, shortcut=QKeySequence("F5"))
        refresh.triggered.connect(self.services.catalog.refresh)
        import_model = QAction("&Import model…", self)
        import_model.triggered.connect(self.import_model)
        manage = QAction("&Manage models", self)
        manage.triggered.connect(lambda: self.tabs.setCurrentWidget(self.models_tab))
        quit_action = QAction("&Quit", self, shortcut=QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        actions = (self.export_action, self.export_loop_action, refresh, manage, import_model, quit_action)
        for action in actions:
            file_menu.addAction(action)
        help_menu = self.menuBar().addMenu("&Help")
        quick = QAction("&Quick start", self, shortcut=QKeySequence("F1"))
        quick.triggered.connect(lambda: QMessageBox.information(self, "Quick start", QUICK_START))
        about = QAction("&About MELodyGAN Desktop", self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(quick)
        help_menu.addAction(about)

    def _build_shortcuts(self) -> None:
        bindings = {
            "Space": self.toggle_play,
            "Ctrl+G": self.generate_tab.generate,
            "Ctrl+L": lambda: self.services.playback.set_loop(not self.services.playback.loop),
            "Home": lambda: self.services.playback.seek(0.0),
            "Ctrl+1": lambda: self.tabs.setCurrentIndex(0),
            "Ctrl+2": lambda: self.tabs.setCurrentIndex(1),
            "Ctrl+3": lambda: self.tabs.setCurrentIndex(2),
        }
        self.shortcuts = {}
        for key, slot in bindings.items():
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.activated.connect(slot)
            self.shortcuts[key] = shortcut

    def toggle_play(self) -> None:
        """Space: the Generate tab's take; a training preview or a variation that plays stops, one loaded
        plays again."""
        playback = self.services.playback
        if playback.tag in ("preview", "variation") and playback.state == "playing":
            playback.stop()
        elif self.services.playback.tag == "generate" or self.tabs.currentWidget() is self.generate_tab:
            self.generate_tab.toggle_play()
        elif not self.services.playback.toggle() and not self.services.playback.available:
            self.statusBar().showMessage(NO_AUDIO_STATUS, 10000)

    def import_model(self) -> None:
        """File > Import model: the Models tab's import, shown on that tab."""
        self.tabs.setCurrentWidget(self.models_tab)
        self.models_tab.import_model()

    def start_background_work(self) -> None:
        """After the window shows: load models (this imports torch), read the kept takes, open the audio
        output and import what a training run needs, all off the GUI thread."""
        self.services.catalog.refresh()
        self.generate_tab.restore_takes()
        self.services.playback.open_in_background()
        warm_up_in_background()

    def _on_audio_availability(self, available: bool, reason: str) -> None:
        self.audio_label.setText(audio_status(available, reason))
        self.audio_label.setStyleSheet("" if available else "color: #e8590c;")

    # -- models
    def open_model_in_generate(self, model_path: str, genre: str = "") -> None:
        """Switch to Generate with ``model_path`` selected, on ``genre`` when the model has it (else its
        first genre), once the model list includes it."""
        self._pending_model = (model_path, genre)
        self.tabs.setCurrentWidget(self.generate_tab)
        self.services.catalog.refresh()

    def _select_pending_model(self, choices) -> None:
        if self._pending_model is None:
            return
        model_path, genre = self._pending_model
        target = Path(model_path).resolve()
        mine = [choice for choice in choices if Path(choice.model.path).resolve() == target]
        if not mine:
            return
        chosen = next((choice for choice in mine if genre and choice.genre == genre), mine[0])
        self.generate_tab.controls.select_key(chosen.key)
        self._pending_model = None
        what = f"{chosen.genre} with {chosen.model.name}" if chosen.genre else chosen.model.name
        self.statusBar().showMessage(f"Ready to generate {what}: press Generate", 10000)

    def show_about(self) -> None:
        self._about = AboutDialog(
            self.services.catalog.models, paths.resources_dir(), self, paths.bundled_checkpoints_dir()
        )
        self._about.show()

    # -- layout and closing
    def _restore_layout(self) -> None:
        settings = self.services.settings
        geometry, state = settings.window_geometry(), settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        self.tabs.setCurrentIndex(settings.value("window/tab", 0, int))

    def save_layout(self) -> None:
        settings = self.services.settings
        settings.save_window(self.saveGeometry(), self.saveState())
        settings.set_value("window/tab", self.tabs.currentIndex())
        self.generate_tab.save_settings()
        self.train_tab.save_settings()
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        training = self.services.training
        if training.is_active:
            if self._closing or not self.confirm_close_training():
                event.ignore()
                return
            self._closing = True  # close again once the run has saved its checkpoint and ended
            self.statusBar().showMessage("Stopping training and saving the checkpoint…")
            training.stop()
            event.ignore()
            return
        self.save_layout()
        self.services.shutdown()
        event.accept()

    def _on_training_state(self, state: str) -> None:
        if self._closing and not self.services.training.is_active:
            QTimer.singleShot(0, self.close)
