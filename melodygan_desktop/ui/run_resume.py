"""Unfinished runs in the Train tab: list them (off the GUI thread) so Start from offers them, and make the
config and folder of the run Start begins: a resumed run's own, or a new one's."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from melodygan_desktop import paths
from melodygan_desktop.config import TrainConfig
from melodygan_desktop.services.errors import user_message
from melodygan_desktop.threads import default_threads

if TYPE_CHECKING:
    from melodygan_desktop.ui.train_tab import TrainTab


class RunResume:
    """Finds the runs to resume and the run to start; the tab owns one."""

    def __init__(self, tab: TrainTab) -> None:
        self.tab = tab

    def refresh_runs(self) -> None:
        """List the unfinished runs (off the GUI thread) so Start from offers to resume them."""
        services = self.tab.services
        if services.training.is_active:
            return
        job = services.jobs.submit("list runs", lambda progress: services.list_runs_fn())
        job.result.connect(lambda runs: not services.training.is_active and self.tab.form.set_runs(runs))

    def run_to_start(self) -> tuple[TrainConfig, Path, bool] | None:
        """(config, run folder, resumed) of the run Start begins; None (reported) when a run cannot resume."""
        tab = self.tab
        run = tab.form.resume_run()
        if run is None:
            run_dir = paths.runs_dir() / f"{time.strftime('%Y%m%d-%H%M%S')}-{tab.form.run_name()}"
            return tab.training_config(), run_dir, False
        # the run's own settings; this machine's device and threads, and the step count
        try:
            config = tab.services.resume_config_fn(
                run.path, tab.form.steps_spin.value(), tab.form.device(), default_threads()
            )
        except Exception as exc:
            tab.errors.report("Cannot resume this run", user_message(exc))
            return None
        return config, Path(run.path), True
