"""What a training run leaves: its best checkpoint (else its newest), the facts for its model card, and
Install as model / Open in Generate, which add it to the models and select it in the Generate tab."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from melodygan_desktop.config import TrainConfig
from melodygan_desktop.training.events import CheckpointSaved, Finished, Started, StepMetrics

if TYPE_CHECKING:
    from melodygan_desktop.ui.train_tab import TrainTab


class RunInstaller:
    """Follows the tab's run and installs its result; the name dialog is the tab's ``ask_model_name``."""

    def __init__(self, tab: TrainTab) -> None:
        self.tab = tab
        self.trained_model: str | None = None  # the installed model of the last run
        self.finished_checkpoint: Path | None = None  # the last run's best (else newest) checkpoint
        self.best_checkpoint: CheckpointSaved | None = None  # the run's best-scored checkpoint so far
        self.training_facts: dict | None = None  # what the last run knows, for its model card
        self.trained_genres: list[str] = []  # the data folder's genres of the last run started
        self.installing = False
        self.open_after_install = False
        self._run_started: Started | None = None
        self._run_losses: dict[str, float] = {}
        self._run_base = None  # the model the run fine-tunes (ModelInfo), if any
        self._run_steps = 0
        self._run_genres: tuple[str, ...] = ()
        self._run_preset = ""
        self._run_label = ""
        self._default_name = ""

    def begin(self, config: TrainConfig, base, genres: list[str], data_genres: list[str]) -> None:
        """Forget the last run's result: a run of ``config`` starts."""
        self.trained_model = None
        self.finished_checkpoint = None
        self.best_checkpoint = None
        self.training_facts = None
        self._run_started, self._run_losses, self._run_steps = None, {}, config.steps
        self._run_base = base
        self._run_genres = tuple(genres)
        self._run_preset = config.preset
        self.open_after_install = False
        self.trained_genres = list(data_genres)
        self._run_label = f"{Path(config.data_dir).name} · {config.preset} · {time.strftime('%d %b %H:%M')}"

    def on_started(self, event: Started) -> None:
        self._run_started = event
        if event.scoring:
            self.tab.status_message.emit(event.scoring)

    def best_text(self) -> str:
        best = self.best_checkpoint
        if best is None:
            return ""
        return f"best so far: step {best.step} (FD {best.score:.3g})"

    def on_checkpoint_saved(self, event: CheckpointSaved) -> None:
        if event.best and event.score is not None:
            self.best_checkpoint = event
        best = self.best_text()
        self.tab.status_message.emit(
            f"Checkpoint saved at step {event.step}" + (f" · {best}" if best else "")
        )

    def on_metrics(self, event: StepMetrics) -> None:
        self._run_losses = dict(event.losses)

    def on_finished(self, event: Finished) -> None:
        """Keep the run's checkpoint to install: installed now when it completed and auto-install is on."""
        if not event.checkpoint or event.reason == "failed":
            return
        tab = self.tab
        # The best-scored checkpoint on held-out clips when the run scored them, else the newest.
        best = self.best_checkpoint
        step = best.step if best is not None else event.step
        self.finished_checkpoint = Path(best.path if best is not None else event.checkpoint)
        self.training_facts = self.facts(event, step)
        self._default_name = f"{self._run_label} · step {step}"
        if event.reason == "completed" and tab.auto_install_box.isChecked():
            self.install(ask=False)
        else:
            best = f" · {self.best_text()}" if best is not None else ""
            tab.status_message.emit(
                f"{tab.monitor.rate_label.text()}{best} · Install as model to add it to the genre list"
            )

    def facts(self, event: Finished, step: int | None = None) -> dict:
        """What this run knows, as the fields of the core's ``TrainingRecord`` (plain values)."""
        tab = self.tab
        started = self._run_started
        data = started.data if started is not None else tab.summary.summary
        base = self._run_base
        facts: dict = {
            "preset": started.preset if started is not None else self._run_preset,
            "genres": self._run_genres,
            "data_folder": tab.form.folder(),
            "step": int(event.step if step is None else step),
            "total_steps": int(started.total_steps if started is not None else self._run_steps),
            "ended": "completed" if event.reason == "completed" else event.reason,
            "base_model": str(base.name) if base is not None else None,
            "base_model_id": Path(base.path).name if base is not None else None,
            "seconds": float(tab.monitor.elapsed_seconds()),
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

    def install(self, ask: bool = True) -> None:
        """Install the last run's best checkpoint (else its newest) as a model (asking its name when ``ask``),
        with a card written from what the run knows: base model, data, steps, time, device, final losses."""
        tab = self.tab
        if self.finished_checkpoint is None or self.installing or tab.services.training.is_active:
            return
        default = self._default_name or self.finished_checkpoint.name
        name = tab.ask_model_name(default) if ask else default
        if not name:
            self.open_after_install = False
            return
        checkpoint, facts = self.finished_checkpoint, dict(self.training_facts or {})
        run_dir = tab.services.training.run_dir
        run_name = run_dir.name if run_dir is not None else checkpoint.parent.name
        export = tab.services.export_model_fn

        def work(progress):
            from melodygan_desktop.services.core import training_card

            card, fields = training_card(facts, name) if facts else (None, None)
            return export(checkpoint, run_name, name, card, fields)

        self.installing = True
        tab.update_buttons()
        job = tab.services.jobs.submit("install model", work)
        job.result.connect(self._on_installed)
        job.error.connect(self._on_install_failed)

    def _on_install_failed(self, message: str, details: str) -> None:
        self.installing = self.open_after_install = False
        self.tab.update_buttons()
        self.tab.errors.report("Could not add the trained model", message, details)

    def open_in_generate(self) -> None:
        """Generate with the new model, on the genre it was trained on (the folder's first genre); a run not
        installed yet is installed first, under its default name."""
        if self.trained_model is None:
            if self.finished_checkpoint is not None:
                self.open_after_install = True
                self.install(ask=False)
            return
        model = self.tab.services.catalog.model_for_path(self.trained_model)
        genres = list(model.genres) if model is not None else []
        genre = next((g for g in self.trained_genres if g in genres or not genres), "")
        self.tab.open_in_generate.emit(self.trained_model, genre)

    def _on_installed(self, path: Path) -> None:
        tab = self.tab
        self.installing = False
        self.trained_model = str(path)
        tab.services.catalog.refresh()
        tab.update_buttons()
        tab.status_message.emit(f"Model saved to {path}: open it in the Generate tab")
        if self.open_after_install:
            self.open_after_install = False
            self.open_in_generate()
