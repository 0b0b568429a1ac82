"""Fakes for the desktop app's dependencies: player, generator, training iterator, models, core options."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from melodygan_desktop.config import MelConfig, TrainConfig
from melodygan_desktop.data.summary import DataSummary
from melodygan_desktop.services.core import CoreOptions, PresetInfo
from melodygan_desktop.services.generation import GenerationRequest, Take
from melodygan_desktop.training.events import (
    CheckpointSaved,
    Event,
    Finished,
    Preview,
    Started,
    StepMetrics,
)

SAMPLE_RATE = 22050
HOP = 512
N_MELS = 128
MEL = MelConfig(sample_rate=SAMPLE_RATE, hop_length=HOP, n_mels=N_MELS)  # the fake runs' previews


class FakePlayer:
    """The ``audio.playback.Player`` interface, with a wall-clock position instead of a sound card."""

    def __init__(self, available: bool = True, reason: str = "") -> None:
        self.available = available
        self.unavailable_reason = reason
        self.loop = False
        self.audio = np.zeros(0, np.float32)
        self.sample_rate = SAMPLE_RATE
        self._offset = 0.0
        self._started: float | None = None
        self.calls: list[str] = []
        self.closed = False

    def load(self, audio: np.ndarray, sample_rate: int) -> None:
        self.calls.append("load")
        self.audio, self.sample_rate = np.asarray(audio, np.float32), sample_rate
        self._offset, self._started = 0.0, None

    @property
    def duration_seconds(self) -> float:
        return len(self.audio) / self.sample_rate

    @property
    def position_seconds(self) -> float:
        if self._started is None:
            return self._offset
        position = self._offset + time.monotonic() - self._started
        if self.loop and self.duration_seconds > 0:
            return position % self.duration_seconds
        return min(position, self.duration_seconds)

    @property
    def is_playing(self) -> bool:
        if self._started is None:
            return False
        return self.loop or self._offset + time.monotonic() - self._started < self.duration_seconds

    def play(self) -> None:
        self.calls.append("play")
        if self.available and self._started is None:
            if self._offset >= self.duration_seconds:
                self._offset = 0.0
            self._started = time.monotonic()

    def pause(self) -> None:
        self.calls.append("pause")
        self._offset, self._started = self.position_seconds, None

    def stop(self) -> None:
        self.calls.append("stop")
        self._offset, self._started = 0.0, None

    def seek(self, seconds: float) -> None:
        self.calls.append(f"seek {seconds:.3f}")
        playing = self._started is not None
        self._offset = float(seconds)
        self._started = time.monotonic() if playing else None

    def close(self) -> None:
        self.closed = True


@dataclass(frozen=True)
class FakeModelInfo:
    path: Path
    name: str
    preset: str
    genres: tuple[str, ...]
    bundled: bool
    card_markdown_path: Path | None = None
    step: int = 0


def fake_options() -> CoreOptions:
    presets = {
        "melodygan-cond": PresetInfo(
            "melodygan-cond",
            "ours",
            "Conditional generator",
            "paper000-10s",
            True,
            16,
            0.0002,
            0.0002,
            "hinge",
        ),
        "techno-dcgan1": PresetInfo(
            "techno-dcgan1",
            "paper 002",
            "DCGAN on 5-s clips",
            "paper002-5s",
            False,
            64,
            0.0002,
            0.0001,
            "bce",
        ),
    }
    band_hz = np.geomspace(30.0, 11025.0, N_MELS)
    return CoreOptions(
        methods=("griffin-lim", "fast-griffin-lim", "nnls-fgla"),
        default_method="nnls-fgla",
        presets=presets,
        band_hz={"paper000-10s": band_hz, "paper002-5s": band_hz},
    )


def fake_models(root: Path) -> list[FakeModelInfo]:
    return [
        FakeModelInfo(
            root / "bundled-cond", "Bundled conditional", "melodygan-cond", ("blues", "jazz", "rock"), True
        ),
        FakeModelInfo(root / "mine", "My techno", "techno-dcgan1", ("techno",), False),
    ]


def tone(seconds: float, seed: int = 0, frequency: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    rng = np.random.default_rng(seed)
    return (0.3 * np.sin(2 * np.pi * frequency * t) + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def make_take(request: GenerationRequest) -> Take:
    audio = tone(request.seconds, request.seed)
    frames = len(audio) // HOP + 1
    mel = np.random.default_rng(request.seed).random((N_MELS, frames), dtype=np.float32)
    label = request.genre if isinstance(request.genre, str) else "+".join(request.genre)
    return Take(
        mel=mel,
        audio=audio,
        sample_rate=SAMPLE_RATE,
        band_hz=np.geomspace(30.0, 11025.0, N_MELS),
        frame_seconds=HOP / SAMPLE_RATE,
        request=request,
        genre_label=label,
        model_name="Fake model",
        metadata={"software": "test"},
    )


class FakeGenerator:
    """``generate_fn``: records requests, reports progress, optionally fails or waits."""

    def __init__(self, delay: float = 0.0, error: Exception | None = None) -> None:
        self.requests: list[GenerationRequest] = []
        self.delay = delay
        self.error = error

    def __call__(self, request: GenerationRequest, progress: Callable[..., None]) -> Take:
        self.requests.append(request)
        progress(0.1, "Generating…")
        time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        progress(0.9)
        return make_take(request)


def fake_summary(genres: tuple[str, ...] = ("blues", "jazz")) -> DataSummary:
    return DataSummary(
        tracks=4,
        seconds=120.0,
        clips=12,
        genres=genres,
        clips_per_genre={genre: 6 for genre in genres},
        skipped=(("/music/broken.wav", "unreadable: not an audio file"),),
    )


class FakeTrain:
    """``train_fn``: yields the event sequence of a run, one step every ``step_seconds``.

    Previews are drawn like the core's: ``config.preview_genres`` where the run has them, else
    ``config.preview_count`` of them cycling through ``genres`` (the run's genres: a base model's first,
    then the folder's new ones).
    """

    def __init__(
        self,
        steps: int = 50,
        step_seconds: float = 0.002,
        fail_at: int | None = None,
        diverge_at: int | None = None,
        preview_every: int = 10,
        genres: tuple[str, ...] = ("blues", "jazz"),
        scores: tuple[float, ...] = (),
    ) -> None:
        """``scores``: held-out scores of checkpoints saved at even intervals (the last at ``steps``), each
        sent as a ``CheckpointSaved`` with ``best`` set when it beats the earlier ones."""
        self.steps, self.step_seconds = steps, step_seconds
        self.scores = tuple(scores)
        self.fail_at, self.diverge_at, self.preview_every = fail_at, diverge_at, preview_every
        self.genres = genres
        self.threads: list[str] = []
        self.configs: list[TrainConfig] = []

    def __call__(
        self, config: TrainConfig, run_dir: Path, should_stop: Callable[[], bool]
    ) -> Iterator[Event]:
        import threading

        self.threads.append(threading.current_thread().name)
        self.configs.append(config)
        checkpoint = str(Path(run_dir) / "step_00000000")
        scoring = "best checkpoint: scored on 12 held-out clips from 4 tracks" if self.scores else ""
        yield Started(str(run_dir), config.preset, "cpu", 0, self.steps, False, fake_summary(), scoring)
        every = self.steps // len(self.scores) if self.scores else 0
        best: float | None = None
        for step in range(1, self.steps + 1):
            if should_stop():
                yield CheckpointSaved(step - 1, checkpoint)
                yield Finished(step - 1, "stopped", "", checkpoint)
                return
            time.sleep(self.step_seconds)
            if self.fail_at == step:
                raise RuntimeError(f"broken batch at step {step}")
            if self.diverge_at == step:
                yield Finished(step, "diverged", "d/loss is nan", checkpoint)
                return
            losses = {"d/loss": 1.0 / step, "g/adv": 0.5 + 0.1 * np.sin(step), "d/gp": 0.01}
            yield StepMetrics(step, self.steps, losses, 100.0, (self.steps - step) / 100.0)
            if step % self.preview_every == 0:
                genres = tuple(g for g in config.preview_genres if g in self.genres) or tuple(
                    self.genres[i % len(self.genres)] for i in range(config.preview_count)
                )
                count = len(genres)
                mels = np.random.default_rng(step).random((count, N_MELS, 216), dtype=np.float32)
                audio = np.stack([tone(2.0, i + 1) for i in range(count)])
                yield Preview(step, mels, genres, MEL, audio)
            if every and step % every == 0 and step // every <= len(self.scores):
                score = self.scores[step // every - 1]
                is_best = best is None or score < best
                best = score if is_best else best
                checkpoint = str(Path(run_dir) / f"step_{step:08d}")
                yield CheckpointSaved(step, checkpoint, score, is_best)
        if every:
            yield Finished(self.steps, "completed", "", checkpoint)
            return
        yield CheckpointSaved(self.steps, checkpoint)
        yield Finished(self.steps, "completed", "", checkpoint)


def fake_resume_config(run_dir: Path, steps: int, device: str, threads: int) -> TrainConfig:
    """``resume_config_fn``: the settings a run in ``run_dir`` would have stored."""
    return TrainConfig(
        data_dir=str(Path(run_dir).parent / "music"), preset="melodygan-cond", steps=steps, batch_size=16,
        device=device, threads=threads,
    )
