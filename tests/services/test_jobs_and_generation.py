"""JobRunner and GenerationService: work off the GUI thread, results and errors back on it."""

from __future__ import annotations

import threading
import time

from gui_fakes import FakeGenerator

from melodygan_desktop.services.generation import GenerationRequest, GenerationService, blend_label
from melodygan_desktop.services.jobs import JobRunner


def test_job_result_progress_and_thread(qtbot):
    runner = JobRunner()
    seen = {"progress": [], "thread": None}
    gui = threading.current_thread()

    def work(progress):
        progress(0.5, "half")
        return threading.current_thread() is gui

    job = runner.submit("work", work)
    job.progress.connect(seen["progress"].append)
    with qtbot.waitSignal(job.result, timeout=2000) as blocker:
        pass
    assert blocker.args == [False]  # ran on a pool thread
    qtbot.waitUntil(lambda: runner.active_jobs == 0, timeout=1000)
    assert seen["progress"] == [0.5]


def test_job_error_carries_the_traceback(qtbot):
    runner = JobRunner()

    def work(progress):
        raise ValueError("bad folder /x")

    job = runner.submit("work", work)
    with qtbot.waitSignal(job.error, timeout=2000) as blocker:
        pass
    assert blocker.args[0] == "bad folder /x"  # the sentence, without the class name
    assert "Traceback" in blocker.args[1]


def test_cancelled_job_gives_no_result(qtbot):
    runner = JobRunner()
    started = threading.Event()

    def work(progress):
        started.set()
        for _ in range(200):
            time.sleep(0.005)
            progress(0.1)
        return "finished"

    job = runner.submit("work", work)
    results = []
    job.result.connect(results.append)
    started.wait(2)
    with qtbot.waitSignal(job.done, timeout=2000):
        job.cancel()
    assert results == []


def test_generation_numbers_takes_and_refuses_overlap(qtbot):
    generator = FakeGenerator(delay=0.2)
    service = GenerationService(JobRunner(), generator)
    request = GenerationRequest("/models/a", "jazz", 7, 5.0, "nnls-fgla")
    busy = []
    service.busy_changed.connect(busy.append)
    with qtbot.waitSignal(service.take_ready, timeout=3000) as blocker:
        assert service.generate(request)
        assert not service.generate(request)  # one at a time
    take = blocker.args[0]
    assert take.number == 1 and take.request == request
    assert take.default_file_stem() == "jazz_seed7"
    assert take.export_metadata()["seed"] == "7"
    qtbot.waitUntil(lambda: not service.busy, timeout=1000)
    assert busy == [True, False]
    with qtbot.waitSignal(service.take_ready, timeout=3000) as blocker:
        service.generate(request)
    assert blocker.args[0].number == 2


def test_generation_failure_is_reported(qtbot):
    service = GenerationService(
        JobRunner(), FakeGenerator(error=FileNotFoundError("model.safetensors missing"))
    )
    with qtbot.waitSignal(service.failed, timeout=3000) as blocker:
        service.generate(GenerationRequest("/models/a", "jazz", 1, 5.0, "griffin-lim"))
    assert "model.safetensors missing" in blocker.args[0]
    qtbot.waitUntil(lambda: not service.busy, timeout=1000)


def test_blend_label():
    assert blend_label("rock") == "rock"
    assert blend_label({"blues": 0.7, "jazz": 0.3}) == "blues-jazz30"


def test_user_messages_carry_no_exception_class_names():
    from melodygan_desktop.services.errors import user_message

    class NoUsableAudioError(ValueError):
        pass

    assert user_message(NoUsableAudioError("/music: no usable audio (3 files skipped)")) == (
        "/music: no usable audio (3 files skipped)"
    )
    assert user_message(PermissionError(13, "Permission denied", "/x/take.wav")) == (
        "Permission denied: /x/take.wav"
    )
    internal = user_message(KeyError("genre"))
    assert internal.startswith("something unexpected went wrong") and "KeyError" in internal
    assert user_message(RuntimeError()).startswith("something unexpected went wrong")
