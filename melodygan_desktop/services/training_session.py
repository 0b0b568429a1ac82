"""One training run in a QThread: the core's event iterator turned into GUI-thread signals.

Stop and pause go through the ``should_stop`` callback the loop checks every step: stop makes it return
True (the loop then saves and yields ``Finished("stopped")``); pause blocks inside it until resumed or
stopped, so the loop needs no notion of pausing. The thread is never terminated.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from melodygan_desktop.config import TrainConfig
from melodygan_desktop.services.errors import user_message
from melodygan_desktop.training.events import CheckpointSaved, Event, Finished, Preview, Started, StepMetrics

log = logging.getLogger(__name__)

TrainFunction = Callable[[TrainConfig, Path, Callable[[], bool]], Iterator[Event]]

IDLE, RUNNING, PAUSED, STOPPING = "idle", "running", "paused", "stopping"


class _Control:
    """Flags shared with the training thread; ``should_stop`` is what the loop calls every step."""

    def __init__(self) -> None:
        self.stop_requested = threading.Event()
        self.running = threading.Event()  # cleared while paused
        self.running.set()

    def should_stop(self) -> bool:
        while not self.running.is_set() and not self.stop_requested.is_set():
            self.running.wait(0.05)  # paused: hold the loop here, wake quickly on resume or stop
        return self.stop_requested.is_set()


class _Worker(QObject):
    event = Signal(object)
    failed = Signal(str, str)
    ended = Signal()

    def __init__(
        self,
        train_fn: TrainFunction,
        config: TrainConfig,
        run_dir: Path,
        control: _Control,
        thread_cap: Callable[[int], None] | None,
    ) -> None:
        super().__init__()
        self._train_fn = train_fn
        self._config = config
        self._run_dir = run_dir
        self._control = control
        self._thread_cap = thread_cap

    @Slot()
    def run(self) -> None:  # training thread
        try:
            if self._thread_cap is not None:
                self._thread_cap(self._config.threads or 1)
            for event in self._train_fn(self._config, self._run_dir, self._control.should_stop):
                self.event.emit(event)
                if isinstance(event, Finished):
                    break
        except Exception as exc:  # reported, never raised into Qt
            log.exception("training run in %s failed", self._run_dir)
            self.failed.emit(user_message(exc), traceback.format_exc())
        finally:
            self.ended.emit()


class TrainingSession(QObject):
    """Owns at most one training run at a time.

    Signals (all on the GUI thread): ``started(Started)``, ``metrics(StepMetrics)``, ``preview(Preview)``,
    ``checkpoint_saved(CheckpointSaved)``, ``finished(Finished)`` (exactly once per run, also after an
    error or a stop; sent after the thread has ended and the state is back to idle),
    ``error(message, details)``, ``state_changed(state)`` with state one of
    ``"idle" "running" "paused" "stopping"``.
    """

    started = Signal(object)
    metrics = Signal(object)
    preview = Signal(object)
    checkpoint_saved = Signal(object)
    finished = Signal(object)
    error = Signal(str, str)
    state_changed = Signal(str)

    def __init__(
        self,
        train_fn: TrainFunction | None = None,
        thread_cap: Callable[[int], None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        if train_fn is None:
            from melodygan_desktop.services import core

            train_fn = core.train
            thread_cap = thread_cap or core.cap_torch_threads
        self._train_fn = train_fn
        self._thread_cap = thread_cap
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._control: _Control | None = None
        self._state = IDLE
        self._pending_finished: Finished | None = None
        self._last_step = 0
        self._last_checkpoint: str | None = None
        self.run_dir: Path | None = None

    @property
    def state(self) -> str:
        return self._state

    @property
    def is_active(self) -> bool:
        return self._state != IDLE

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)

    def start(self, config: TrainConfig, run_dir: Path) -> None:
        """Start a run in ``run_dir``; raises ``RuntimeError`` if one is still active."""
        if self.is_active:
            raise RuntimeError("a training run is already active")
        self.run_dir = Path(run_dir)
        self._control = _Control()
        self._pending_finished = None
        self._last_step = 0
        self._last_checkpoint = None
        self._thread = QThread()
        self._thread.setObjectName("training")
        self._worker = _Worker(self._train_fn, config, self.run_dir, self._control, self._thread_cap)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.event.connect(self._on_event)
        self._worker.failed.connect(self._on_failed)
        self._worker.ended.connect(self._on_ended)
        self._set_state(RUNNING)
        self._thread.start()

    def pause(self) -> None:
        if self._control is not None and self._state == RUNNING:
            self._control.running.clear()
            self._set_state(PAUSED)

    def resume(self) -> None:
        if self._control is not None and self._state == PAUSED:
            self._control.running.set()
            self._set_state(RUNNING)

    def stop(self) -> None:
        """Ask the run to stop at its next step (it saves a checkpoint first); returns at once."""
        if self._control is not None and self._state in (RUNNING, PAUSED):
            self._control.stop_requested.set()
            self._control.running.set()
            self._set_state(STOPPING)

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until the training thread ended (for shutdown and tests); True if it did."""
        return self._thread.wait(timeout_ms) if self._thread is not None else True

    # -- GUI-thread slots
    def _on_event(self, event: Event) -> None:
        if isinstance(event, StepMetrics):
            self._last_step = event.step
            self.metrics.emit(event)
        elif isinstance(event, Preview):
            self.preview.emit(event)
        elif isinstance(event, CheckpointSaved):
            self._last_checkpoint = event.path
            self.checkpoint_saved.emit(event)
        elif isinstance(event, Started):
            self._last_step = event.start_step
            self.started.emit(event)
        elif isinstance(event, Finished):
            self._emit_finished(event)

    def _on_failed(self, message: str, details: str) -> None:
        self.error.emit(message, details)
        self._emit_finished(Finished(self._last_step, "failed", message, self._last_checkpoint))

    def _on_ended(self) -> None:
        thread, worker = self._thread, self._worker
        self._thread = self._worker = None
        if thread is not None:
            thread.quit()
            thread.wait(5000)
            thread.deleteLater()
        if worker is not None:
            worker.deleteLater()
        stopped = self._control is not None and self._control.stop_requested.is_set()
        self._control = None
        self._set_state(IDLE)
        # ``finished`` goes out last, once the thread has ended: a listener may start the next run at once.
        if self._pending_finished is None:  # the iterator returned without a Finished event
            reason = "stopped" if stopped else "completed"
            self._pending_finished = Finished(self._last_step, reason, "", self._last_checkpoint)
        event, self._pending_finished = self._pending_finished, None
        self.finished.emit(event)

    def _emit_finished(self, event: Finished) -> None:
        """Keep the run's first Finished (with the newest checkpoint) until the thread has ended."""
        if self._pending_finished is not None:
            return
        if event.checkpoint is None and self._last_checkpoint is not None:
            event = Finished(
                event.step, event.reason, event.message, self._last_checkpoint, dict(event.extra)
            )
        self._pending_finished = event
