"""Everything the window needs from outside the widgets, in one object built once by ``app.main``.

Tests build it with fakes (``train_fn``, ``generate_fn``, a fake player, ...) through the same function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject

from melodygan_desktop.config import MelConfig, TrainConfig
from melodygan_desktop.data.summary import DataSummary
from melodygan_desktop.services.catalog import ModelCatalog
from melodygan_desktop.services.core import CoreOptions
from melodygan_desktop.services.generation import GenerateFunction, GenerationService
from melodygan_desktop.services.jobs import JobRunner
from melodygan_desktop.services.playback import PlaybackController
from melodygan_desktop.services.settings import AppSettings
from melodygan_desktop.services.take_store import TakeStore
from melodygan_desktop.services.training_session import TrainFunction, TrainingSession

PrepareFunction = Callable[[Path, str, Callable[..., None]], DataSummary]
WriteAudioFunction = Callable[[Path, np.ndarray, int, dict[str, str]], None]
# checkpoint, folder name, display name, card Markdown, card fields
ExportModelFunction = Callable[[Path, str, str, "str | None", "dict | None"], Path]
# audio, rate -> evaluation.tempo.TempoEstimate | None
EstimateTempoFunction = Callable[[np.ndarray, int], Any]
WriteLoopFunction = Callable[[Path, np.ndarray, int, Any, dict[str, str]], Any]  # path, audio, rate, LoopSpec
InvertPreviewFunction = Callable[[np.ndarray, MelConfig], np.ndarray]  # a preview's mels, its MelConfig
ListRunsFunction = Callable[[], list[Any]]  # unfinished runs (core.RunInfo), newest first
ResumeConfigFunction = Callable[[Path, int, str, int], TrainConfig]  # run folder, steps, device, threads


@dataclass
class AppServices:
    settings: AppSettings
    jobs: JobRunner
    playback: PlaybackController
    catalog: ModelCatalog
    generation: GenerationService
    training: TrainingSession
    prepare_fn: PrepareFunction
    write_audio_fn: WriteAudioFunction
    export_model_fn: ExportModelFunction
    invert_preview_fn: InvertPreviewFunction
    list_runs_fn: ListRunsFunction
    resume_config_fn: ResumeConfigFunction
    model_store: Any = None  # core.ModelStore: rename, delete, export and import the user's models
    take_store: Any = None  # take_store.TakeStore: takes kept across restarts
    estimate_tempo_fn: EstimateTempoFunction | None = None
    write_loop_fn: WriteLoopFunction | None = None

    def shutdown(self, timeout_ms: int = 10000) -> None:
        """Stop playback, ask training to stop and wait for background work (window close)."""
        self.playback.close()
        self.training.stop()
        self.training.wait(timeout_ms)
        self.jobs.cancel_all()
        self.jobs.wait(timeout_ms)


def build_services(
    parent: QObject | None = None,
    *,
    settings: AppSettings | None = None,
    player_factory: Callable[[], Any] | None = None,
    generate_fn: GenerateFunction | None = None,
    train_fn: TrainFunction | None = None,
    thread_cap: Callable[[int], None] | None = None,
    find_models_fn: Callable[[], list[Any]] | None = None,
    options_fn: Callable[[], CoreOptions] | None = None,
    prepare_fn: PrepareFunction | None = None,
    write_audio_fn: WriteAudioFunction | None = None,
    export_model_fn: ExportModelFunction | None = None,
    invert_preview_fn: InvertPreviewFunction | None = None,
    list_runs_fn: ListRunsFunction | None = None,
    resume_config_fn: ResumeConfigFunction | None = None,
    model_store: Any = None,
    take_store: Any = None,
    estimate_tempo_fn: EstimateTempoFunction | None = None,
    write_loop_fn: WriteLoopFunction | None = None,
) -> AppServices:
    """Real core behind every dependency left ``None`` (imported lazily, when first used)."""
    from melodygan_desktop.services import audio_jobs, core

    jobs = JobRunner(parent=parent)
    return AppServices(
        settings=settings or AppSettings(),
        jobs=jobs,
        playback=PlaybackController(player_factory, parent=parent),
        catalog=ModelCatalog(jobs, find_models_fn, options_fn, parent=parent),
        generation=GenerationService(jobs, generate_fn, parent=parent),
        training=TrainingSession(train_fn, thread_cap, parent=parent),
        prepare_fn=prepare_fn or core.prepare_summary,
        write_audio_fn=write_audio_fn or audio_jobs.write_audio,
        export_model_fn=export_model_fn or core.export_trained_model,
        invert_preview_fn=invert_preview_fn or audio_jobs.invert_preview,
        list_runs_fn=list_runs_fn or core.unfinished_runs,
        resume_config_fn=resume_config_fn or core.resume_config,
        model_store=model_store or core.ModelStore(),
        take_store=take_store or TakeStore(),
        estimate_tempo_fn=estimate_tempo_fn or audio_jobs.estimate_tempo,
        write_loop_fn=write_loop_fn or audio_jobs.write_loop,
    )
