"""Generation off the GUI thread: requests, takes (the results the Generate tab shows) and the model cache."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from melodygan_desktop.services.jobs import Job, JobRunner


@dataclass(frozen=True)
class GenerationRequest:
    """One click on Generate. ``genre`` is a label or a blend ``{label: weight}`` (weights sum to 1)."""

    model_path: str
    genre: str | dict[str, float]
    seed: int
    seconds: float
    method: str


@dataclass(frozen=True)
class Take:
    """A generated clip as the widgets see it (NumPy only).

    ``mel``: (n_mels, frames) in [0, 1]; ``audio``: (samples,) float32 at ``sample_rate`` Hz;
    ``band_hz``: (n_mels,) centre frequency of each mel band; ``frame_seconds``: hop length in seconds.
    """

    mel: np.ndarray
    audio: np.ndarray
    sample_rate: int
    band_hz: np.ndarray
    frame_seconds: float
    request: GenerationRequest
    genre_label: str
    model_name: str
    metadata: dict[str, str] = field(default_factory=dict)
    number: int = 0

    @property
    def duration_seconds(self) -> float:
        return len(self.audio) / float(self.sample_rate)

    def title(self) -> str:
        seconds = f"{self.duration_seconds:.1f} s"
        return f"#{self.number}  {self.genre_label}  ·  {seconds}  ·  seed {self.request.seed}"

    def default_file_stem(self) -> str:
        """``<genre>_seed<seed>``, safe for every file system (a blend reads ``blues-jazz30``)."""
        stem = f"{blend_label(self.request.genre)}_seed{self.request.seed}"
        return re.sub(r"[^A-Za-z0-9._+-]+", "-", stem).strip("-") or "take"

    def export_metadata(self) -> dict[str, str]:
        """Generation settings stored in an exported file's tags."""
        genre = self.request.genre
        meta = {
            "model": self.model_name,
            "genre": genre if isinstance(genre, str) else ", ".join(f"{k}:{v:.2f}" for k, v in genre.items()),
            "seed": str(self.request.seed),
            "seconds": f"{self.request.seconds:g}",
            "method": self.request.method,
            "sample_rate": str(self.sample_rate),
        }
        meta.update({str(k): str(v) for k, v in self.metadata.items()})
        return meta


GenerateFunction = Callable[[GenerationRequest, Callable[..., None]], Take]


def blend_label(genre: str | dict[str, float]) -> str:
    """Short label of a genre or blend: ``"jazz"`` or ``"blues-jazz30"`` (the second genre's percentage)."""
    if isinstance(genre, str):
        return genre
    items = sorted(genre.items(), key=lambda item: -item[1])
    if len(items) == 1:
        return items[0][0]
    others = [f"{name}{round(weight * 100)}" for name, weight in items[1:]]
    return "-".join([items[0][0], *others])


class CoreGenerator:
    """Default ``generate_fn``: loads models with ``inference.load_model`` (cached) and calls ``generate``.

    Thread-safe: the pool may run two generations; a lock guards the cache and one model at a time.
    """

    def __init__(self, max_models: int = 2) -> None:
        self._models: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._max_models = max_models

    def _model(self, path: str) -> Any:
        from melodygan_desktop import inference

        model = self._models.pop(path, None)
        if model is None:
            model = inference.load_model(Path(path))
        self._models[path] = model  # most recently used last
        while len(self._models) > self._max_models:
            self._models.pop(next(iter(self._models)))
        return model

    def __call__(self, request: GenerationRequest, progress: Callable[..., None]) -> Take:
        from melodygan_desktop import inference
        from melodygan_desktop.audio.mel import mel_band_hz

        with self._lock:
            progress(0.0, "Loading model…")
            model = self._model(request.model_path)
            progress(0.02, "Generating…")
            generation = inference.generate(
                model,
                request.genre,
                seed=request.seed,
                seconds=request.seconds,
                method=request.method,
                progress=lambda fraction: progress(0.02 + 0.98 * float(fraction)),
            )
        mel_config = model.meta.mel
        return Take(
            mel=np.asarray(generation.mel, dtype=np.float32),
            audio=np.asarray(generation.audio, dtype=np.float32),
            sample_rate=int(generation.sample_rate),
            band_hz=np.asarray(mel_band_hz(mel_config), dtype=np.float64),
            frame_seconds=mel_config.hop_length / mel_config.sample_rate,
            request=request,
            genre_label=str(generation.genre_label),
            model_name=str(generation.model_name),
            metadata={str(k): str(v) for k, v in dict(generation.metadata).items()},
        )


class GenerationService(QObject):
    """Runs ``generate_fn`` on the job runner and numbers the takes of this session.

    Signals (GUI thread): ``started(request)``, ``progress(fraction, message)``, ``take_ready(Take)``,
    ``variations_ready(list[Take])`` (not numbered: ``adopt`` numbers the one picked),
    ``failed(message, details)``, ``busy_changed(bool)``.
    """

    started = Signal(object)
    progress = Signal(float, str)
    take_ready = Signal(object)
    variations_ready = Signal(object)
    failed = Signal(str, str)
    busy_changed = Signal(bool)

    def __init__(
        self, jobs: JobRunner, generate_fn: GenerateFunction | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._generate_fn = generate_fn if generate_fn is not None else CoreGenerator()
        self._job: Job | None = None
        self._count = 0
        self._last_message = ""

    @property
    def busy(self) -> bool:
        return self._job is not None

    def generate(self, request: GenerationRequest) -> bool:
        """Start one generation; False (and nothing happens) while another one is running."""
        if self._job is not None:
            return False
        self._start("generate", lambda progress: self._generate_fn(request, progress), self._on_result)
        self.started.emit(request)
        self.busy_changed.emit(True)
        return True

    def generate_variations(self, requests: list[GenerationRequest]) -> bool:
        """Generate ``requests`` one after the other in one job (one progress bar over all); the takes
        arrive together in ``variations_ready``. False while another generation is running."""
        if self._job is not None or not requests:
            return False
        generate_fn, count = self._generate_fn, len(requests)

        def run(progress: Callable[..., None]) -> list[Take]:
            takes = []
            for index, request in enumerate(requests):
                def part(fraction: float, message: str | None = None, index: int = index) -> None:
                    label = f"Variation {index + 1} of {count}" + (f": {message}" if message else "")
                    progress((index + float(fraction)) / count, label)

                takes.append(generate_fn(request, part))
            return takes

        self._start("generate variations", run, self.variations_ready.emit)
        self.started.emit(requests[0])
        self.busy_changed.emit(True)
        return True

    def adopt(self, take: Take) -> None:
        """Make a variation a take of the session: numbered and announced by ``take_ready``."""
        self._on_result(take)

    def _start(self, name: str, function: Callable[..., Any], on_result: Callable[[Any], None]) -> None:
        self._job = self._jobs.submit(name, function)
        self._job.progress.connect(lambda fraction: self.progress.emit(fraction, self._last_message))
        self._job.message.connect(self._on_message)
        self._job.result.connect(on_result)
        self._job.error.connect(self.failed)
        self._job.done.connect(self._on_done)

    def continue_numbering(self, last: int) -> None:
        """Number the next take after ``last`` (the newest take kept from an earlier session)."""
        self._count = max(self._count, int(last))

    def _on_message(self, message: str) -> None:
        self._last_message = message

    def _on_result(self, take: Take) -> None:
        self._count += 1
        self.take_ready.emit(replace(take, number=self._count))

    def _on_done(self) -> None:
        self._job = None
        self._last_message = ""
        self.busy_changed.emit(False)
