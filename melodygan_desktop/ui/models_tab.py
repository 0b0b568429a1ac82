"""Models tab: the user's models and the bundled ones, with rename, delete, export as one file and import.

Every action runs off the GUI thread through ``AppServices.model_store`` (the core's ``checkpoints.sharing``:
deleting only removes model folders the app made, an import is checked like a load); the genre list is
reloaded after each change.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from melodygan_desktop.paths import display_text
from melodygan_desktop.services.container import AppServices
from melodygan_desktop.ui.errors import ErrorReporter

COLUMNS = ("Name", "Id", "Size", "Genres", "Preset", "Base model", "Data folder", "Steps", "Date")
SHARE_FILTER = "MELodyGAN model (*.zip)"
MAX_COLUMN_WIDTH = (240, 200, 80, 220, 130, 180, 180, 70, 130)  # pixels, per column of COLUMNS


def format_size(size_bytes: int) -> str:
    size = float(size_bytes)
    for unit in ("bytes", "KB", "MB"):
        if size < 1024:
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def format_date(created: str) -> str:
    """``2026-12-04T18:00:12+00:00`` -> ``2026-12-04 18:00``."""
    return created.replace("T", " ")[:16] if created else ""


def _ask_name(parent: QWidget, current: str) -> str | None:
    name, ok = QInputDialog.getText(
        parent, "Rename model", "Name shown in the genre list (the id stays):", QLineEdit.EchoMode.Normal,
        current,
    )
    return name if ok else None


def _confirm_delete(parent: QWidget, details: Any) -> bool:
    answer = QMessageBox.question(
        parent,
        "Delete model?",
        f"Delete the model {display_text(details.name)} ({display_text(details.model_id)}, "
        f"{format_size(details.size_bytes)})?\nIts folder is removed from your models; this cannot be "
        "undone. "
        "Export it first to keep a copy.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def _ask_export_path(parent: QWidget, default: Path) -> Path | None:
    name, _ = QFileDialog.getSaveFileName(parent, "Export model", str(default), SHARE_FILTER)
    return Path(name) if name else None


def _ask_import_path(parent: QWidget, start: str) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, "Import model", start, f"{SHARE_FILTER};;All files (*)")
    return Path(name) if name else None


class ModelsTab(QWidget):
    """Emits ``status_message(text)``. The dialogs are attributes (``ask_name``, ``confirm_delete``,
    ``ask_export_path``, ``ask_import_path``) so they can be replaced."""

    status_message = Signal(str)

    def __init__(self, services: AppServices, errors: ErrorReporter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.errors = errors
        self.details: list[Any] = []
        self._pending_select: str | None = None
        self.ask_name: Callable[[str], str | None] = lambda current: _ask_name(self, current)
        self.confirm_delete: Callable[[Any], bool] = lambda details: _confirm_delete(self, details)
        self.ask_export_path: Callable[[Path], Path | None] = lambda default: _ask_export_path(self, default)
        self.ask_import_path: Callable[[], Path | None] = lambda: _ask_import_path(
            self, services.settings.folder("model")
        )
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)  # long cells end in "…"; the tooltip has all
        self.note = QLabel("Loading models…")
        self.note.setWordWrap(True)
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete…")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the model as one .zip file to share (weights, meta.json, card)")
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip(
            "Install a model shared as a .zip file (checked before it is installed)"
        )
        buttons = QHBoxLayout()
        for button in (self.rename_button, self.delete_button, self.export_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        self.rename_button.clicked.connect(self.rename_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.export_button.clicked.connect(self.export_selected)
        self.import_button.clicked.connect(self.import_model)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        services.catalog.models_changed.connect(lambda choices: self.refresh())
        self._update_buttons()

    # -- list
    def refresh(self) -> None:
        """Read the details (sizes, cards) of the catalog's models off the GUI thread."""
        models = list(self.services.catalog.models)
        store = self.services.model_store
        job = self.services.jobs.submit("model details", lambda progress: store.details(models))
        job.result.connect(self.show_details)
        job.error.connect(
            lambda message, details: self.errors.report("Could not list the models", message, details)
        )

    def show_details(self, details: list[Any]) -> None:
        selected = self._pending_select or (str(self.selected().path) if self.selected() else None)
        self._pending_select = None
        self.details = list(details)
        self.table.setRowCount(len(self.details))
        for row, model in enumerate(self.details):
            origin = "" if model.bundled else "  (yours)"
            values = (
                f"{model.name}{origin}",
                model.model_id,
                format_size(model.size_bytes),
                ", ".join(model.genres),
                model.preset,
                model.base_model or "",
                model.data_folder or "",
                str(model.steps if model.steps is not None else model.step),
                format_date(model.created),
            )
            for column, value in enumerate(values):
                text = display_text(value)
                item = QTableWidgetItem(text)
                item.setToolTip(text if column != 0 else display_text(str(model.path)))
                if column in (2, 7):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        for column in range(self.table.columnCount()):  # every column in view at 1280 px; drag to widen
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), MAX_COLUMN_WIDTH[column]))
        yours = sum(not model.bundled for model in self.details)
        self.note.setText(
            f"{yours} of your own, {len(self.details) - yours} bundled. Bundled models can be exported, not "
            "renamed or deleted."
        )
        first = 0 if self.details else -1
        row = next((i for i, m in enumerate(self.details) if str(m.path) == selected), first)
        if row >= 0:
            self.table.selectRow(row)
        self._update_buttons()

    def selected(self) -> Any | None:
        rows = self.table.selectionModel().selectedRows()
        row = rows[0].row() if rows else -1
        return self.details[row] if 0 <= row < len(self.details) else None

    def select_id(self, model_id: str) -> bool:
        row = next((i for i, m in enumerate(self.details) if m.model_id == model_id), -1)
        if row >= 0:
            self.table.selectRow(row)
        return row >= 0

    def _update_buttons(self) -> None:
        model = self.selected()
        mine = model is not None and not model.bundled
        self.rename_button.setEnabled(mine)
        self.delete_button.setEnabled(mine)
        self.export_button.setEnabled(model is not None)
        tip = "" if model is None or mine else "Bundled models cannot be changed"
        self.rename_button.setToolTip(tip)
        self.delete_button.setToolTip(tip)

    # -- actions
    def _run(self, what: str, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        job = self.services.jobs.submit(what, lambda progress: work())
        job.result.connect(done)
        job.error.connect(lambda message, details: self._failed(what, message, details))

    def _failed(self, what: str, message: str, details: str) -> None:
        self.errors.report(f"Could not {what}", message, details)
        self.status_message.emit(f"Could not {what}: {display_text(message)}")

    def _changed(self, message: str, select: Path | None = None) -> None:
        self._pending_select = str(select) if select is not None else None
        self.status_message.emit(message)
        self.services.catalog.refresh()

    def rename_selected(self) -> None:
        model = self.selected()
        if model is None or model.bundled:
            return
        name = self.ask_name(model.name)
        if name is None or name.strip() == model.name:
            return
        store, folder = self.services.model_store, Path(model.path)
        self._run(
            "rename the model",
            lambda: store.rename(folder, name),
            lambda new: self._changed(
                f"Renamed {display_text(model.model_id)} to {display_text(new)}", folder
            ),
        )

    def delete_selected(self) -> None:
        model = self.selected()
        if model is None or model.bundled or not self.confirm_delete(model):
            return
        store, folder = self.services.model_store, Path(model.path)
        self._run(
            "delete the model",
            lambda: store.delete(folder),
            lambda result: self._changed(
                f"Deleted {display_text(model.name)} ({display_text(model.model_id)})"
            ),
        )

    def export_selected(self) -> None:
        model = self.selected()
        if model is None:
            return
        start = Path(self.services.settings.folder("export")) / f"{model.model_id}.zip"
        destination = self.ask_export_path(start)
        if destination is None:
            return
        self.services.settings.set_folder("export", Path(destination).parent)
        store, folder = self.services.model_store, Path(model.path)
        self._run(
            "export the model",
            lambda: store.export(folder, Path(destination)),
            lambda path: self.status_message.emit(
                f"Exported {display_text(model.name)} to {display_text(str(path))}"
            ),
        )

    def import_model(self) -> None:
        source = self.ask_import_path()
        if source is None:
            return
        self.services.settings.set_folder("model", Path(source).parent)
        store = self.services.model_store
        self._run(
            "import the model",
            lambda: store.import_file(Path(source)),
            lambda path: self._changed(
                f"Imported {display_text(Path(source).name)} as {display_text(Path(path).name)}: "
                "its genres are in the Generate tab",
                Path(path),
            ),
        )
