"""Export loop… of the Generate tab: estimate the take's tempo off the GUI thread, ask for whole bars and a
file name, and write the loop with its loop points."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from melodygan_desktop.services.generation import Take
from melodygan_desktop.ui.loop_dialog import LoopChoice

if TYPE_CHECKING:
    from melodygan_desktop.ui.generate_tab import GenerateTab


class LoopExport:
    """The loop-export flow; the dialogs are the tab's ``ask_loop_choice`` and ``ask_loop_path``."""

    def __init__(self, tab: GenerateTab) -> None:
        self.tab = tab

    def start(self, take: Take | None = None) -> bool:
        """Estimate the take's tempo and first beat (off the GUI thread), ask for bars (tempo pre-filled,
        editable) and a .wav name, and write the loop with its loop points. False when nothing starts."""
        tab = self.tab
        take = take or tab.current_take
        if take is None or not tab.export_loop_button.isEnabled():
            return False
        tab.export_loop_button.setEnabled(False)
        tab.status_message.emit("Finding the tempo of the take…")
        estimate_fn = tab.services.estimate_tempo_fn
        job = tab.services.jobs.submit(
            "estimate tempo", lambda progress: estimate_fn(take.audio, take.sample_rate)
        )
        job.result.connect(lambda estimate: self._ask_loop(take, estimate))
        job.error.connect(lambda message, details: self._ask_loop(take, None))
        return True

    def _ask_loop(self, take: Take, estimate) -> None:
        tab = self.tab
        tab.export_loop_button.setEnabled(tab.current_take is not None)
        bpm = estimate.bpm if estimate is not None else None
        first = estimate.first_beat_seconds if estimate is not None else 0.0
        choice = tab.ask_loop_choice(take.duration_seconds, bpm, first)
        if choice is None:
            return
        default = Path(tab.services.settings.folder("export")) / (
            f"{take.default_file_stem()}_{choice.bars}bars_{choice.bpm:g}bpm.wav"
        )
        path = tab.ask_loop_path(default)
        if path is None:
            return
        write = tab.services.write_loop_fn
        job = tab.services.jobs.submit(
            "export loop",
            lambda progress: write(path, take.audio, take.sample_rate, choice, take.export_metadata()),
        )
        job.result.connect(lambda _: self._on_loop_exported(path, choice))
        job.error.connect(
            lambda msg, details: tab.errors.report("Loop export failed", f"{path}: {msg}", details)
        )

    def _on_loop_exported(self, path: Path, choice: LoopChoice) -> None:
        self.tab.services.settings.set_folder("export", path.parent)
        self.tab.status_message.emit(
            f"Exported loop {path}: {choice.bars} bar(s) at {choice.bpm:g} BPM, {choice.seconds:.2f} s"
        )
        self.tab.exported.emit(str(path))
