"""Train-tab settings: data folder, preset, scratch or fine-tune, device, steps, batch, learning rates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from melodygan_desktop.config import DEFAULT_STEPS
from melodygan_desktop.services.core import PresetInfo

DEVICES = (("Automatic", "auto"), ("CPU", "cpu"), ("CUDA GPU", "cuda"), ("Apple GPU (MPS)", "mps"))
RUN_PREFIX = "run:"  # Start-from data of an unfinished run to resume (model entries hold the model's path)


def paper_tag(paper: str) -> str:
    """Short form of a preset's paper for the combo: ``"002: Unconditional Techno..." -> "paper 002"``."""
    head = paper.split(":", 1)[0].strip()
    return f"paper {head}" if ":" in paper and head.isdigit() else head


def _learning_rate_spin() -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setDecimals(6)
    spin.setRange(0.000001, 0.1)
    spin.setSingleStep(0.00001)
    return spin


class TrainForm(QWidget):
    """Emits ``folder_changed(path)``, ``preset_changed(name)`` and ``browse_requested()``."""

    folder_changed = Signal(str)
    preset_changed = Signal(str)
    browse_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.presets: dict[str, PresetInfo] = {}
        self.models: list[Any] = []
        self.runs: list[Any] = []  # unfinished runs (services.core.RunInfo), newest first
        self.preferred_start: str | None = None  # the remembered Start-from choice, until the user picks
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("A folder of tracks: one sub-folder per genre (or drop it here)")
        self.browse_button = QPushButton("Choose…")
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)

        self.preset_combo = QComboBox()
        self.preset_combo.setPlaceholderText("Loading presets…")
        self.preset_info = QLabel("")
        self.preset_info.setWordWrap(True)
        self.init_combo = QComboBox()
        self.init_combo.addItem("New model (from scratch)", None)
        self.init_combo.setToolTip(
            "Fine-tuning starts from a model's generator (its preset is then fixed); resuming continues an "
            "unfinished run where it stopped, with its own settings"
        )
        self.device_combo = QComboBox()
        for label, value in DEVICES:
            self.device_combo.addItem(label, value)
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(10, 10_000_000)
        self.steps_spin.setSingleStep(100)
        self.steps_spin.setValue(DEFAULT_STEPS)
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(1, 1024)
        self.lr_g_spin = _learning_rate_spin()
        self.lr_d_spin = _learning_rate_spin()
        rates = QHBoxLayout()
        rates.addWidget(QLabel("G"))
        rates.addWidget(self.lr_g_spin)
        rates.addWidget(QLabel("D"))
        rates.addWidget(self.lr_d_spin)
        self.defaults_button = QPushButton("Preset defaults")
        self.defaults_button.setToolTip("Reset batch size and learning rates to the preset's recipe")
        rates.addWidget(self.defaults_button)
        rates.addStretch(1)

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Music folder", folder_row)
        form.addRow("Preset", self.preset_combo)
        form.addRow("", self.preset_info)
        form.addRow("Start from", self.init_combo)
        form.addRow("Device", self.device_combo)
        form.addRow("Steps", self.steps_spin)
        form.addRow("Batch size", self.batch_spin)
        form.addRow("Learning rates", rates)

        self.browse_button.clicked.connect(self.browse_requested)
        self.folder_edit.editingFinished.connect(
            lambda: self.folder_changed.emit(self.folder_edit.text().strip())
        )
        self.preset_combo.currentIndexChanged.connect(self._on_preset_changed)
        self.init_combo.currentIndexChanged.connect(self._on_init_changed)
        self.init_combo.currentIndexChanged.connect(self._forget_preferred)
        self.defaults_button.clicked.connect(self.apply_preset_defaults)

    # -- choices
    def set_presets(self, presets: dict[str, PresetInfo], selected: str | None = None) -> None:
        self.presets = dict(presets)
        self.preset_combo.blockSignals(True)
        self.preset_combo.clear()
        for name, info in self.presets.items():
            self.preset_combo.addItem(f"{name}  ({paper_tag(info.paper)})" if info.paper else name, name)
        index = self.preset_combo.findData(selected) if selected else -1
        self.preset_combo.setCurrentIndex(index if index >= 0 else 0)
        self.preset_combo.blockSignals(False)
        self._on_preset_changed()

    def set_models(self, models: list[Any]) -> None:
        """Models that can be fine-tuned (all installed ones), keeping the current selection."""
        self.models = list(models)
        self._fill_start_from()

    def set_runs(self, runs: list[Any]) -> None:
        """Unfinished runs that can be resumed, keeping the current selection."""
        self.runs = list(runs)
        self._fill_start_from()

    def _fill_start_from(self) -> None:
        current = self.init_combo.currentData() or self.preferred_start
        self.init_combo.blockSignals(True)
        while self.init_combo.count() > 1:
            self.init_combo.removeItem(1)
        for run in self.runs:
            self.init_combo.addItem(f"Resume {run.label} ({run.preset})", RUN_PREFIX + str(run.path))
            self.init_combo.setItemData(
                self.init_combo.count() - 1, f"{run.path}\ndata: {run.data_dir}", Qt.ItemDataRole.ToolTipRole
            )
        for model in self.models:
            origin = "bundled" if model.bundled else "yours"
            self.init_combo.addItem(f"Fine-tune {model.name} ({model.preset}, {origin})", str(model.path))
        index = self.init_combo.findData(current) if current else 0
        self.init_combo.setCurrentIndex(max(index, 0))
        self.init_combo.blockSignals(False)
        self._on_init_changed()

    def _forget_preferred(self, *args) -> None:
        self.preferred_start = None  # the user chose: their choice is kept from now on

    def start_from(self) -> str | None:
        """The Start-from choice as it is remembered: None, a model's path, or ``"run:<run folder>"``."""
        return self.init_combo.currentData()

    def resume_run(self) -> Any | None:
        """The unfinished run chosen to resume, or None."""
        data = self.init_combo.currentData()
        if not data or not str(data).startswith(RUN_PREFIX):
            return None
        return next((run for run in self.runs if str(run.path) == data[len(RUN_PREFIX) :]), None)

    def preset(self) -> PresetInfo | None:
        return self.presets.get(self.preset_combo.currentData())

    def folder(self) -> str:
        return self.folder_edit.text().strip()

    def set_folder(self, folder: str) -> None:
        self.folder_edit.setText(folder)
        self.folder_changed.emit(folder)

    def init_from(self) -> str | None:
        """The model to fine-tune from (None for a new model or a resumed run)."""
        data = self.init_combo.currentData()
        return None if not data or str(data).startswith(RUN_PREFIX) else data

    def device(self) -> str:
        return str(self.device_combo.currentData())

    def apply_preset_defaults(self) -> None:
        preset = self.preset()
        if preset is None:
            return
        self.batch_spin.setValue(preset.batch_size)
        self.lr_g_spin.setValue(preset.lr_g)
        self.lr_d_spin.setValue(preset.lr_d)

    def _on_preset_changed(self, *args) -> None:
        preset = self.preset()
        if preset is None:
            return
        kind = "genre-conditional" if preset.conditional else "one generator for all genres of the folder"
        self.preset_info.setText(
            f"{preset.summary}\n{kind} · {preset.loss} loss · mel {preset.mel_preset}\nfrom: {preset.paper}"
        )
        self.apply_preset_defaults()
        self.preset_changed.emit(preset.name)

    def _on_init_changed(self, *args) -> None:
        path = self.init_from()
        model = next((m for m in self.models if str(m.path) == path), None)
        run = self.resume_run()
        fixed = model.preset if model is not None else (run.preset if run is not None else None)
        if fixed is not None:
            index = self.preset_combo.findData(fixed)
            if index >= 0:
                self.preset_combo.setCurrentIndex(index)
        if run is not None:  # a resumed run keeps its folder, preset and recipe; only the step count grows
            self.steps_spin.setValue(max(run.steps, self.steps_spin.minimum()))
            if self.folder() != run.data_dir:
                self.set_folder(run.data_dir)
        self._set_run_fields_enabled(run is None)
        self.preset_combo.setEnabled(fixed is None)

    def _set_run_fields_enabled(self, enabled: bool) -> None:
        for widget in (
            self.folder_edit, self.browse_button, self.batch_spin, self.lr_g_spin, self.lr_d_spin,
            self.defaults_button,
        ):
            widget.setEnabled(enabled)

    def set_editable(self, editable: bool) -> None:
        for widget in (
            self.folder_edit,
            self.browse_button,
            self.init_combo,
            self.device_combo,
            self.steps_spin,
            self.batch_spin,
            self.lr_g_spin,
            self.lr_d_spin,
            self.defaults_button,
        ):
            widget.setEnabled(editable)
        self.preset_combo.setEnabled(editable and self.init_from() is None and self.resume_run() is None)
        if editable and self.resume_run() is not None:
            self._set_run_fields_enabled(False)

    def run_name(self) -> str:
        preset = self.preset()
        return f"{Path(self.folder()).name or 'music'}-{preset.name if preset else 'model'}"
