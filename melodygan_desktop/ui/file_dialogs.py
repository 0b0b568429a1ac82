"""File dialogs that never overwrite silently: export paths and data folders."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

EXPORT_FILTERS = {
    "WAV audio (*.wav)": ".wav",
    "FLAC audio (*.flac)": ".flac",
    "Ogg Vorbis audio (*.ogg)": ".ogg",
}
EXPORT_SUFFIXES = tuple(EXPORT_FILTERS.values())


def with_export_suffix(path: Path, selected_filter: str = "") -> Path:
    """Keep a known audio suffix; otherwise add the one of the chosen filter (WAV by default)."""
    if path.suffix.lower() in EXPORT_SUFFIXES:
        return path
    return path.with_name(path.name + EXPORT_FILTERS.get(selected_filter, ".wav"))


def confirm_overwrite(parent: QWidget | None, path: Path) -> bool:
    answer = QMessageBox.question(
        parent,
        "Replace file?",
        f"{path.name} already exists in {path.parent}.\nDo you want to replace it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def ask_export_path(parent: QWidget | None, default_path: Path) -> Path | None:
    """Save dialog for a take; None when cancelled. The dialog confirms replacing the name typed; a name
    that only gets its suffix added here is checked again, so nothing is overwritten without asking."""
    name, selected = QFileDialog.getSaveFileName(
        parent, "Export take", str(default_path), ";;".join(EXPORT_FILTERS)
    )
    if not name:
        return None
    chosen = Path(name)
    path = with_export_suffix(chosen, selected)
    if path != chosen and path.exists() and not confirm_overwrite(parent, path):
        return None
    return path


def ask_loop_path(parent: QWidget | None, default_path: Path) -> Path | None:
    """Save dialog for a loop: WAV only (loop points live in a WAV's smpl chunk); None when cancelled."""
    name, _ = QFileDialog.getSaveFileName(parent, "Export loop", str(default_path), "WAV audio (*.wav)")
    if not name:
        return None
    chosen = Path(name)
    path = chosen if chosen.suffix.lower() == ".wav" else chosen.with_name(chosen.name + ".wav")
    if path != chosen and path.exists() and not confirm_overwrite(parent, path):
        return None
    return path


def ask_folder(parent: QWidget | None, title: str, start: str) -> Path | None:
    folder = QFileDialog.getExistingDirectory(parent, title, start)
    return Path(folder) if folder else None
