"""Installed models and core options, loaded off the GUI thread and refreshed after training.

``ModelCatalog`` lists every model ``find_models`` finds (the user's first in the genre list) and the core's
presets and mel-to-audio methods; its first ``refresh()`` is also what imports torch, after the window shows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from melodygan_desktop.services.core import CoreOptions
from melodygan_desktop.services.jobs import JobRunner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GenreChoice:
    """One line of the genre picker: a genre of a model (``genre`` is None for an unconditional model)."""

    model: Any  # checkpoints.ModelInfo: path, name, preset, genres, bundled, card_markdown_path
    genre: str | None
    conditional: bool

    @property
    def key(self) -> str:
        return f"{Path(self.model.path)}::{self.genre or ''}"

    @property
    def label(self) -> str:
        origin = "" if self.model.bundled else "  (yours)"
        if self.genre is None:
            genres = ", ".join(self.model.genres)
            return f"{self.model.name}: all genres" + (f" ({genres})" if genres else "") + origin
        kind = getattr(self.model, "genre_kinds", {}).get(self.genre)
        genre = f"{self.genre} ({kind})" if kind else self.genre
        return f"{genre}  —  {self.model.name}{origin}"


def genre_choices(models: list[Any], options: CoreOptions | None) -> list[GenreChoice]:
    """Every genre of every model grouped by model, the user's models first, then the bundled ones;
    unconditional models give one line."""
    choices: list[GenreChoice] = []
    for model in sorted(models, key=lambda info: bool(info.bundled)):
        preset = options.presets.get(model.preset) if options is not None else None
        conditional = preset.conditional if preset is not None else len(model.genres) > 1
        if conditional and model.genres:
            choices.extend(GenreChoice(model, genre, True) for genre in model.genres)
        else:
            choices.append(GenreChoice(model, None, False))
    return choices


class ModelCatalog(QObject):
    """Signals (GUI thread): ``options_loaded(CoreOptions)``, ``models_changed(list[GenreChoice])``,
    ``failed(message, details)``."""

    options_loaded = Signal(object)
    models_changed = Signal(object)
    failed = Signal(str, str)

    def __init__(
        self,
        jobs: JobRunner,
        find_models_fn: Callable[[], list[Any]] | None = None,
        options_fn: Callable[[], CoreOptions] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        from melodygan_desktop.services import core

        self._jobs = jobs
        self._find_models = find_models_fn or core.find_models
        self._options_fn = options_fn or core.load_core_options
        self.options: CoreOptions | None = None
        self.models: list[Any] = []
        self.choices: list[GenreChoice] = []
        self.loading = False
        self._pending = False

    def refresh(self) -> None:
        """Reload options (first time only) and the model list in the background."""
        if self.loading:
            self._pending = True  # refresh again when the running load ends: it may predate a new model
            return
        self.loading = True
        self._pending = False
        need_options = self.options is None

        def work(progress: Callable[..., None]) -> tuple[CoreOptions | None, list[Any]]:
            options = self._options_fn() if need_options else None
            return options, list(self._find_models())

        job = self._jobs.submit("load models", work)
        job.result.connect(self._on_result)
        job.error.connect(self.failed)
        job.done.connect(self._on_done)

    def _on_result(self, result: tuple[CoreOptions | None, list[Any]]) -> None:
        options, models = result
        if options is not None:
            self.options = options
            self.options_loaded.emit(options)
        self.models = models
        self.choices = genre_choices(models, self.options)
        log.info("found %d model(s), %d genre choice(s)", len(models), len(self.choices))
        self.models_changed.emit(self.choices)

    def _on_done(self) -> None:
        self.loading = False
        if self._pending:
            self.refresh()

    def model_for_path(self, path: str | Path) -> Any | None:
        target = Path(path).resolve()
        for model in self.models:
            if Path(model.path).resolve() == target:
                return model
        return None
