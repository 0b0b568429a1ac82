"""The Train tab's music folder: chosen by dialog or drop, prepared off the GUI thread (this also fills the
cache training reuses) and summarised under the form."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from melodygan_desktop.services.jobs import Job
from melodygan_desktop.ui.file_dialogs import ask_folder

if TYPE_CHECKING:
    from melodygan_desktop.ui.train_tab import TrainTab


class DataFolder:
    """Prepares the tab's chosen folder for its preset; the tab owns one."""

    def __init__(self, tab: TrainTab) -> None:
        self.tab = tab
        self.job: Job | None = None  # the preparing job, None when done
        self.key: tuple[str, str] | None = None  # (folder, mel preset) last prepared

    def choose(self) -> None:
        tab = self.tab
        folder = ask_folder(tab, "Choose a folder of music", tab.services.settings.folder("data"))
        if folder is not None:
            self.key = None  # choosing a folder again reads it again (files may have changed)
            tab.form.set_folder(str(folder))

    def set_folder(self, folder: str) -> None:
        """A folder dropped on the tab: read again even when it is the one shown."""
        self.key = None
        self.tab.form.set_folder(folder)

    def refresh(self) -> None:
        """Prepare the chosen folder off the GUI thread (this also fills the cache training reuses)."""
        tab = self.tab
        folder, preset = tab.form.folder(), tab.form.preset()
        if not folder or preset is None:
            return
        key = (folder, preset.mel_preset)
        if key == self.key:
            return
        self.key = key
        if self.job is not None:
            self.job.cancel()
        if not Path(folder).is_dir():
            tab.summary.show_error(f"{folder} is not a folder.")
            tab.update_buttons()
            return
        tab.services.settings.set_folder("data", Path(folder).parent)
        tab.summary.show_preparing(folder)
        prepare = tab.services.prepare_fn
        job = tab.services.jobs.submit(
            "prepare data", lambda progress: prepare(Path(folder), key[1], progress)
        )
        self.job = job
        job.progress.connect(
            lambda fraction: job is self.job and tab.summary.show_progress(fraction)
        )
        job.message.connect(
            lambda text: (
                job is self.job
                and tab.summary.show_progress(tab.summary.progress.value() / 1000, text)
            )
        )
        job.result.connect(lambda summary: job is self.job and self._on_summary(summary))
        job.error.connect(
            lambda message, details: job is self.job and self._on_summary_error(message)
        )
        job.done.connect(lambda: self._done(job))
        tab.update_buttons()

    def _on_summary(self, summary) -> None:
        self.tab.summary.show_summary(summary)
        self.tab.preview_choice.update()

    def _on_summary_error(self, message: str) -> None:
        self.tab.summary.show_error(message)
        self.tab.preview_choice.update()

    def _done(self, job: Job) -> None:
        if job is self.job:
            self.job = None
        self.tab.update_buttons()
