"""Short background jobs (load a model, generate, invert, read a folder) on a small worker pool.

A job's function runs on a pool thread and receives ``progress(fraction, message=None)``; its progress,
result and error reach the GUI thread through one long-lived bridge signal (queued). Per-job ``Job``
objects are created and used on the GUI thread only, so no Qt object changes hands between threads.
Cancelling is cooperative: the next ``progress`` call of a cancelled job raises ``JobCancelled``.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from melodygan_desktop.services.errors import user_message

log = logging.getLogger(__name__)

PROGRESS, MESSAGE, RESULT, ERROR, DONE = "progress", "message", "result", "error", "done"


class JobCancelled(Exception):
    """Raised inside a job's function when the job was cancelled; the job then ends without a result."""


class _Bridge(QObject):
    """Emitted from pool threads, delivered on the GUI thread: (job id, kind, payload)."""

    event = Signal(int, str, object)


class Job(QObject):
    """Handle of one submitted job: connect to its signals, or ``cancel()`` it.

    Signals (GUI thread): ``progress(fraction 0..1)``, ``message(str)``, ``result(object)``,
    ``error(message, details)`` and finally ``done()`` (always, also after an error or a cancel).
    """

    progress = Signal(float)
    message = Signal(str)
    result = Signal(object)
    error = Signal(str, str)
    done = Signal()

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.finished = False
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()


class JobRunner(QObject):
    """Runs functions on ``max_workers`` threads and hands their outcome back to the GUI thread."""

    def __init__(self, max_workers: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers, thread_name_prefix="job")
        self._bridge = _Bridge()
        self._bridge.event.connect(self._dispatch)
        self._jobs: dict[int, Job] = {}
        self._futures: set[concurrent.futures.Future] = set()
        self._ids = itertools.count(1)

    def submit(self, name: str, function: Callable[[Callable[..., None]], Any]) -> Job:
        """Run ``function(progress)`` on the pool; connect to the returned job's signals right away."""
        job = Job(name)
        job_id = next(self._ids)
        self._jobs[job_id] = job
        bridge, cancelled = self._bridge, job._cancelled  # the worker touches only these two

        def progress(fraction: float, message: str | None = None) -> None:
            if cancelled.is_set():
                raise JobCancelled(name)
            bridge.event.emit(job_id, PROGRESS, float(fraction))
            if message:
                bridge.event.emit(job_id, MESSAGE, str(message))

        def run() -> None:
            try:
                if cancelled.is_set():
                    raise JobCancelled(name)
                value = function(progress)
                if not cancelled.is_set():
                    bridge.event.emit(job_id, RESULT, value)
            except JobCancelled:
                log.info("job %s cancelled", name)
            except Exception as exc:  # surfaced to the GUI as an error; never kills the pool thread
                log.exception("job %s failed", name)
                bridge.event.emit(job_id, ERROR, (user_message(exc), traceback.format_exc()))
            finally:
                bridge.event.emit(job_id, DONE, None)

        future = self._executor.submit(run)
        self._futures.add(future)
        future.add_done_callback(self._futures.discard)
        return job

    def _dispatch(self, job_id: int, kind: str, payload: Any) -> None:
        job = self._jobs.get(job_id)
        if job is None:
            return
        if kind == PROGRESS:
            job.progress.emit(payload)
        elif kind == MESSAGE:
            job.message.emit(payload)
        elif kind == RESULT:
            job.result.emit(payload)
        elif kind == ERROR:
            job.error.emit(*payload)
        elif kind == DONE:
            job.finished = True
            del self._jobs[job_id]
            job.done.emit()

    @property
    def active_jobs(self) -> int:
        return len(self._jobs)

    def cancel_all(self) -> None:
        for job in list(self._jobs.values()):
            job.cancel()

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until every job's function returned (shutdown, tests); True if all did in time.

        Their queued signals are delivered by the next event-loop pass.
        """
        timeout = None if timeout_ms < 0 else timeout_ms / 1000.0
        _done, pending = concurrent.futures.wait(list(self._futures), timeout=timeout)
        return not pending
