"""Takes kept across restarts: each new take is saved to the user data folder, earlier sessions' takes are
listed at start, and Clear deletes them all (asked first)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox, QWidget

from melodygan_desktop.services.generation import Take

if TYPE_CHECKING:
    from melodygan_desktop.ui.generate_tab import GenerateTab


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


class KeptTakes:
    """The tab's take store work, off the GUI thread; the question is the tab's ``confirm_clear_takes``."""

    def __init__(self, tab: GenerateTab) -> None:
        self.tab = tab

    def keep(self, take: Take) -> None:
        tab = self.tab
        store = tab.services.take_store
        job = tab.services.jobs.submit("keep take", lambda progress: store.save(take))
        job.error.connect(
            lambda message, details: tab.status_message.emit(
                f"Take #{take.number} is not kept for the next start: {message}"
            )
        )

    def restore(self) -> None:
        """List the takes kept from earlier sessions (read off the GUI thread) below this session's."""
        tab = self.tab
        store = tab.services.take_store
        job = tab.services.jobs.submit("restore takes", lambda progress: store.load())
        job.result.connect(self._on_restored)
        job.error.connect(
            lambda message, details: tab.errors.report("Could not read the kept takes", message, details)
        )

    def _on_restored(self, takes: list[Take]) -> None:
        tab = self.tab
        for take in reversed(takes):  # newest first, below any take of this session
            tab.history.add_older(take)
        if takes:
            tab.services.generation.continue_numbering(max(take.number for take in takes))
            tab.status_message.emit(f"{len(takes)} take(s) kept from earlier sessions")

    def clear(self) -> None:
        """Delete every take of the list, in the list and in the user data folder (asked first)."""
        tab = self.tab
        count = tab.history.list.count()
        if count == 0 or not tab.confirm_clear_takes(count):
            return
        tab.history.clear()
        store = tab.services.take_store
        job = tab.services.jobs.submit("clear takes", lambda progress: store.clear())
        job.result.connect(lambda deleted: tab.status_message.emit(f"Cleared {count} take(s)"))
        job.error.connect(
            lambda message, details: tab.errors.report("Could not clear the takes", message, details)
        )
