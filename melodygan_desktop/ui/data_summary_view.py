"""What a data folder gives before training: tracks, minutes, genres, every skipped file and why."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from melodygan_desktop.data.summary import DataSummary
from melodygan_desktop.paths import display_text


def summary_text(summary: DataSummary) -> str:
    minutes = summary.seconds / 60.0
    genres = ", ".join(
        f"{display_text(genre)} ({summary.clips_per_genre.get(genre, 0)} clips)" for genre in summary.genres
    )
    skipped = f" · {len(summary.skipped)} file(s) skipped" if summary.skipped else ""
    return (
        f"{summary.tracks} track(s) · {minutes:.1f} min · {summary.clips} clips{skipped}\n"
        f"{len(summary.genres)} genre(s): {genres or '—'}"
    )


class DataSummaryView(QWidget):
    """Shows preparation progress, then the summary (or why no file could be used)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel("Choose a folder of music to see what it holds.")
        self.label.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        self.skipped = QTreeWidget()
        self.skipped.setHeaderLabels(["Skipped file", "Reason"])
        self.skipped.setRootIsDecorated(False)
        self.skipped.setVisible(False)
        self.skipped.setMaximumHeight(140)
        self.summary: DataSummary | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.progress)
        layout.addWidget(self.skipped)

    def show_preparing(self, folder: str) -> None:
        self.summary = None
        self.label.setStyleSheet("")
        self.label.setText(f"Reading {display_text(folder)}…")
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.skipped.clear()
        self.skipped.setVisible(False)

    def show_progress(self, fraction: float, message: str = "") -> None:
        self.progress.setValue(int(round(fraction * 1000)))
        if message:
            self.progress.setFormat(message)

    def show_summary(self, summary: DataSummary) -> None:
        self.summary = summary
        self.progress.setVisible(False)
        self.label.setStyleSheet("")
        self.label.setText(summary_text(summary))
        self._fill_skipped(summary.skipped)

    def show_error(self, message: str) -> None:
        self.summary = None
        self.progress.setVisible(False)
        self.label.setStyleSheet("color: #e03131;")
        self.label.setText(message)
        self.skipped.setVisible(False)

    def _fill_skipped(self, skipped: tuple[tuple[str, str], ...]) -> None:
        self.skipped.clear()
        for path, reason in skipped:
            path, reason = display_text(path), display_text(reason)
            item = QTreeWidgetItem([path, reason])
            item.setToolTip(0, path)
            item.setToolTip(1, reason)
            self.skipped.addTopLevelItem(item)
        self.skipped.resizeColumnToContents(0)
        self.skipped.setVisible(bool(skipped))
