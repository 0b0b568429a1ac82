"""Writing takes out of the Generate tab: Export… to a file the user names, and a WAV in the cache for a
drag out of the take list."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from melodygan_desktop.services.generation import Take

if TYPE_CHECKING:
    from melodygan_desktop.ui.generate_tab import GenerateTab

#: Dragged-out WAVs older than this are removed at the next drag. Not at once: a DAW may keep using the file
#: where it was dropped from rather than copy it (a week leaves time to save the project with its media).
DRAGGED_KEEP_SECONDS = 7 * 24 * 3600


def prune_dragged(folder: Path, keep_seconds: float = DRAGGED_KEEP_SECONDS) -> int:
    """Remove the WAVs in ``folder`` last written more than ``keep_seconds`` ago; returns how many. Files
    that vanish or cannot be removed meanwhile are left to the next time."""
    cutoff, removed = time.time() - keep_seconds, 0
    for path in folder.glob("*.wav"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed


class TakeExport:
    """The tab's export and drag-out helpers; the save dialog is the tab's ``ask_save_path``."""

    def __init__(self, tab: GenerateTab) -> None:
        self.tab = tab

    def export(self, take: Take | None = None) -> None:
        tab = self.tab
        take = take or tab.current_take
        if take is None:
            return
        default = Path(tab.services.settings.folder("export")) / f"{take.default_file_stem()}.wav"
        path = tab.ask_save_path(default)
        if path is None:
            return
        write = tab.services.write_audio_fn
        job = tab.services.jobs.submit(
            "export", lambda progress: write(path, take.audio, take.sample_rate, take.export_metadata())
        )
        job.result.connect(lambda _: self._on_exported(path))
        job.error.connect(lambda msg, details: tab.errors.report("Export failed", f"{path}: {msg}", details))

    def _on_exported(self, path: Path) -> None:
        self.tab.services.settings.set_folder("export", path.parent)
        self.tab.status_message.emit(f"Exported {path}")
        self.tab.exported.emit(str(path))

    def drag_file(self, take: Take) -> Path | None:
        """``take`` as a WAV (with its settings in the tags) in the cache's ``dragged`` folder, for a drag out
        of the list; None (and a status message) when it cannot be written. Old drags are pruned first."""
        from melodygan_desktop.paths import cache_dir

        folder = cache_dir() / "dragged"
        path = folder / f"{take.default_file_stem()}_take{take.number}.wav"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            prune_dragged(folder)
            self.tab.services.write_audio_fn(path, take.audio, take.sample_rate, take.export_metadata())
        except (OSError, ValueError) as exc:
            self.tab.status_message.emit(f"Could not drag take #{take.number} out: {exc}")
            return None
        return path
