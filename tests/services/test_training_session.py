"""TrainingSession: events reach the GUI thread as signals, Stop ends a run within 1 s, errors surface."""

from __future__ import annotations

import threading
import time

import pytest
from gui_fakes import FakeTrain

from melodygan_desktop.config import TrainConfig
from melodygan_desktop.services.training_session import TrainingSession
from melodygan_desktop.training.events import Finished, Preview, Started, StepMetrics


def _config(tmp_path) -> TrainConfig:
    return TrainConfig(data_dir=str(tmp_path), steps=50, threads=1)


def _record(session: TrainingSession) -> dict[str, list]:
    seen: dict[str, list] = {"events": [], "threads": [], "states": [], "errors": []}
    gui = threading.current_thread()

    def note(event) -> None:
        seen["events"].append(event)
        seen["threads"].append(threading.current_thread() is gui)

    for signal in (
        session.started,
        session.metrics,
        session.preview,
        session.checkpoint_saved,
        session.finished,
    ):
        signal.connect(note)
    session.state_changed.connect(seen["states"].append)
    session.error.connect(lambda message, details: seen["errors"].append((message, details)))
    return seen


def test_events_arrive_on_the_gui_thread_in_order(qtbot, tmp_path):
    train = FakeTrain(steps=30)
    capped = []
    session = TrainingSession(train, thread_cap=capped.append)
    seen = _record(session)
    with qtbot.waitSignal(session.finished, timeout=5000):
        session.start(_config(tmp_path), tmp_path / "run")
    qtbot.waitUntil(lambda: not session.is_active, timeout=2000)
    events = seen["events"]
    assert isinstance(events[0], Started)
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    assert [e.step for e in events if isinstance(e, StepMetrics)] == list(range(1, 31))
    assert sum(isinstance(e, Preview) for e in events) == 3
    assert all(seen["threads"]), "every signal must be delivered on the GUI thread"
    assert train.threads and train.threads[0] != threading.current_thread().name  # ran in the QThread
    assert capped == [1]
    assert seen["states"] == ["running", "idle"]


def test_stop_ends_the_run_within_one_second(qtbot, tmp_path):
    session = TrainingSession(FakeTrain(steps=100000, step_seconds=0.01), thread_cap=None)
    seen = _record(session)
    session.start(_config(tmp_path), tmp_path / "run")
    qtbot.waitUntil(lambda: any(isinstance(e, StepMetrics) for e in seen["events"]), timeout=3000)
    began = time.monotonic()
    with qtbot.waitSignal(session.finished, timeout=1000) as blocker:
        session.stop()
    assert time.monotonic() - began < 1.0
    assert blocker.args[0].reason == "stopped"
    assert blocker.args[0].checkpoint  # the stopped run keeps its checkpoint
    qtbot.waitUntil(lambda: not session.is_active, timeout=1000)
    assert session.wait(1000)


def test_pause_holds_the_loop_and_resume_continues(qtbot, tmp_path):
    session = TrainingSession(FakeTrain(steps=100000, step_seconds=0.002), thread_cap=None)
    seen = _record(session)
    session.start(_config(tmp_path), tmp_path / "run")
    qtbot.waitUntil(lambda: len(seen["events"]) > 5, timeout=3000)
    session.pause()
    assert session.state == "paused"
    qtbot.wait(100)
    count = len(seen["events"])
    qtbot.wait(200)
    assert len(seen["events"]) - count <= 1  # at most the step already under way
    session.resume()
    qtbot.waitUntil(lambda: len(seen["events"]) > count + 5, timeout=2000)
    session.pause()
    with qtbot.waitSignal(session.finished, timeout=1000):
        session.stop()  # stopping a paused run works too


def test_an_exception_surfaces_as_error_and_failed_finish(qtbot, tmp_path):
    session = TrainingSession(FakeTrain(steps=50, fail_at=5), thread_cap=None)
    seen = _record(session)
    with qtbot.waitSignal(session.finished, timeout=3000) as blocker:
        session.start(_config(tmp_path), tmp_path / "run")
    assert blocker.args[0].reason == "failed"
    assert "broken batch at step 5" in blocker.args[0].message
    assert seen["errors"] and seen["errors"][0][0] == "broken batch at step 5"  # the sentence, no class
    assert "Traceback" in seen["errors"][0][1] and "RuntimeError" in seen["errors"][0][1]
    qtbot.waitUntil(lambda: not session.is_active, timeout=1000)


def test_divergence_is_reported_as_finished(qtbot, tmp_path):
    session = TrainingSession(FakeTrain(steps=50, diverge_at=7), thread_cap=None)
    with qtbot.waitSignal(session.finished, timeout=3000) as blocker:
        session.start(_config(tmp_path), tmp_path / "run")
    assert blocker.args[0].reason == "diverged" and blocker.args[0].step == 7


def test_an_iterator_without_finished_still_finishes_once(qtbot, tmp_path):
    def quiet_train(config, run_dir, should_stop):
        yield StepMetrics(1, 2, {"d/loss": 1.0}, 1.0, 1.0)

    session = TrainingSession(quiet_train, thread_cap=None)
    finishes = []
    session.finished.connect(finishes.append)
    session.start(_config(tmp_path), tmp_path / "run")
    qtbot.waitUntil(lambda: not session.is_active, timeout=3000)
    assert [event.reason for event in finishes] == ["completed"]


def test_a_second_start_while_active_is_refused(qtbot, tmp_path):
    session = TrainingSession(FakeTrain(steps=100000, step_seconds=0.01), thread_cap=None)
    session.start(_config(tmp_path), tmp_path / "run")
    with pytest.raises(RuntimeError):
        session.start(_config(tmp_path), tmp_path / "run2")
    with qtbot.waitSignal(session.finished, timeout=1000):
        session.stop()
    qtbot.waitUntil(lambda: not session.is_active, timeout=1000)
