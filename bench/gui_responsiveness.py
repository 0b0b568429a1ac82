"""GUI responsiveness of the real app (offscreen Qt): cold start to window shown, the longest main-thread
stall while generating and while training (an event-loop latency probe), and Stop-to-thread-joined.

Run: ``.venv/bin/python bench/gui_responsiveness.py [--json out.json] [--quick]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import benchlib

THREADS = 1
PROBE_MS = 5
STALL_S = 0.05
START_CODE = "import sys; from melodygan_desktop.app import main; sys.exit(main(['--measure-startup']))"


def cold_start(home: Path, repeats: int) -> list[tuple[float, float]]:
    """``(seconds from process start, seconds the app reports)`` to the window shown, per launch."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "MELODYGAN_HOME": str(home)}
    results = []
    for _ in range(repeats):
        began = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", START_CODE], stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True, env=env)
        shown = None
        for line in process.stdout:
            if line.startswith("window shown:"):
                shown = (time.perf_counter() - began, float(line.split(":")[1].split("s")[0]))
        process.wait(timeout=300)
        if shown is not None:
            results.append(shown)
    return results


class StallProbe:
    """A ``PROBE_MS`` timer on the GUI thread; how late a tick comes is how long the loop was blocked."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(PROBE_MS)
        self.timer.timeout.connect(self._tick)
        self.late: list[float] = []
        self.stalls: list[tuple[float, float]] = []  # (last tick, late tick) of every stall over STALL_S
        self.last = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        late = max(0.0, now - self.last - PROBE_MS / 1000)
        self.late.append(late)
        if late > STALL_S:
            self.stalls.append((self.last, now))
        self.last = now

    def start(self) -> None:
        self.late, self.last = [], time.perf_counter()
        self.timer.start()

    def stop(self) -> dict[str, float]:
        self.timer.stop()
        late = sorted(self.late) or [0.0]
        p99 = late[int(0.99 * (len(late) - 1))]
        return {"max_ms": late[-1] * 1e3, "p99_ms": p99 * 1e3, "ticks": len(late)}


class StackSampler:
    """Samples the GUI thread's Python stack every few ms from a helper thread; ``culprits`` names the
    innermost project functions seen while a stall longer than ``threshold`` seconds was going on."""

    def __init__(self, interval: float = 0.004) -> None:
        self.interval, self.samples = interval, []
        self.target = threading.main_thread().ident
        self.running = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while self.running.is_set():
            frame = sys._current_frames().get(self.target)
            where = []
            while frame is not None and len(where) < 40:
                name = frame.f_code.co_filename
                if "melodygan_desktop" in name:
                    where.append(f"{name.split('melodygan_desktop/')[-1]}:{frame.f_code.co_name}")
                frame = frame.f_back
            self.samples.append((time.perf_counter(), where[0] if where else "Qt / outside the project"))
            time.sleep(self.interval)

    def start(self) -> None:
        self.running.set()
        self.thread.start()

    def stop(self) -> None:
        self.running.clear()
        self.thread.join()

    def culprits(self, stalls: list[tuple[float, float]], top: int = 4) -> list[str]:
        counts: dict[str, int] = {}
        for begin, end in stalls:
            for stamp, where in self.samples:
                if begin <= stamp <= end:
                    counts[where] = counts.get(where, 0) + 1
        ranked = sorted(counts.items(), key=lambda item: -item[1])[:top]
        return [f"{where} ({count * self.interval * 1e3:.0f} ms)" for where, count in ranked]


def run_until(app, done, timeout: float) -> bool:
    """Process events until ``done()`` or ``timeout`` seconds."""
    deadline = time.perf_counter() + timeout
    while not done() and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.001)
    return done()


def make_model(folder: Path, genres: tuple[str, ...]) -> Path:
    """An untrained melodygan-cond checkpoint (same network and cost as a trained one)."""
    import torch

    from melodygan_desktop.checkpoints import CheckpointMeta, save_checkpoint
    from melodygan_desktop.config import MEL_PRESETS
    from melodygan_desktop.models.presets import get_preset

    torch.manual_seed(0)
    mel = MEL_PRESETS["paper000-10s"]
    generator = get_preset("melodygan-cond").build_generator(mel, len(genres))
    meta = CheckpointMeta(preset="melodygan-cond", mel=mel, genres=genres, step=1, card={"name": "bench"})
    return save_checkpoint(folder, 1, generator.state_dict(), meta)


def generate_once(app, services, probe: StallProbe, request) -> dict[str, float]:
    """One take through the generation service (as the Generate button does) with the probe running,
    including half a second for the views to draw the new take."""
    takes: list = []
    services.generation.take_ready.connect(takes.append)
    services.generation.failed.connect(takes.append)
    probe.start()
    services.generation.generate(request)
    run_until(app, lambda: bool(takes), 300)
    run_until(app, lambda: False, 0.5)
    stats = probe.stop()
    services.generation.take_ready.disconnect(takes.append)
    services.generation.failed.disconnect(takes.append)
    return stats


def in_app(report: benchlib.Report, home: Path, quick: bool) -> list[list]:
    """Generate and train through the services the window uses, with the stall probe running."""
    from melodygan_desktop.config import TrainConfig
    from melodygan_desktop.services.generation import GenerationRequest
    from melodygan_desktop.ui.app import create_window

    genres = ("genre0", "genre1")
    model = make_model(home / "bench-run", genres)
    args = argparse.Namespace(model=model, smoke_test=False, measure_startup=False, seconds=5.0,
                              timeout=300.0)
    app, window = create_window(args, show_dialogs=False)
    services, probe, rows = window.services, StallProbe(), []
    sampler = StackSampler()
    sampler.start()
    listed: list = []
    services.catalog.models_changed.connect(listed.append)
    window.start_background_work()  # as main() does once the window shows: models, audio device, warm-up
    warming = [thread for thread in threading.enumerate() if thread.name == "warm-up"]
    run_until(app, lambda: bool(listed) and not any(thread.is_alive() for thread in warming), 120)
    probe.start()
    run_until(app, lambda: False, 3.0)
    stats = probe.stop()
    rows.append(["idle window (the machine's own scheduling noise)", stats["max_ms"], stats["p99_ms"],
                 stats["ticks"]])
    for seconds in (10.0, 60.0):
        stats = generate_once(app, services, probe, GenerationRequest(str(model), genres[0], 1, seconds,
                                                                      "nnls-fgla"))
        rows.append([f"generating {seconds:g} s (job thread) and showing the take", stats["max_ms"],
                     stats["p99_ms"], stats["ticks"]])
    data_dir = home / "data"
    benchlib.write_music_folder(data_dir, genres=2, tracks_per_genre=2, seconds=25.0)
    steps_seen: list = []
    services.training.metrics.connect(steps_seen.append)
    config = TrainConfig(data_dir=str(data_dir), preset="melodygan-cond", steps=100_000, threads=THREADS,
                         log_every=1, preview_every=4, checkpoint_every=100_000,
                         cache_dir=str(home / "cache"))
    probe.start()
    services.training.start(config, home / "runs" / "bench")
    run_until(app, lambda: bool(steps_seen), 600)
    stats = probe.stop()
    rows.append(["training starts: data preparation, networks built, first step", stats["max_ms"],
                 stats["p99_ms"], stats["ticks"]])
    probe.start()
    run_until(app, lambda: len(steps_seen) >= (6 if quick else 16), 600)
    stats = probe.stop()
    rows.append(["training melodygan-cond, batch 16 (metrics every step, previews every 4)", stats["max_ms"],
                 stats["p99_ms"], stats["ticks"]])
    stopped = time.perf_counter()
    services.training.stop()
    run_until(app, lambda: services.training.wait(1), 60)
    joined = time.perf_counter() - stopped
    report.figure("stop_to_joined", joined, "s", "Stop pressed to training thread joined (checkpoint saved)")
    report.target("stop", "Stop to training thread joined <= 1 s", f"{joined:.2f} s", joined <= 1.0)
    sampler.stop()
    culprits = sampler.culprits(probe.stalls)
    if culprits:
        report.note("GUI-thread stack during stalls over 50 ms (innermost project function, sampled): "
                    + "; ".join(culprits))
    services.shutdown(30_000)
    window.close()
    return rows


def main() -> None:
    args = benchlib.base_parser(__doc__.splitlines()[0]).parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    threads = benchlib.set_threads(THREADS)
    report = benchlib.Report("gui_responsiveness", "GUI responsiveness", threads,
                             f"offscreen Qt; a {PROBE_MS}-ms timer on the GUI thread, stall = how late a "
                             "tick came; wall clock")
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        os.environ["MELODYGAN_HOME"] = str(home)
        launches = cold_start(home / "start", 2 if args.quick else 4)
        report.table("Start to window shown (s; offscreen, warm disk cache)",
                     ["launch", "from process start", "reported by the app (from main())"],
                     [[i + 1, a, b] for i, (a, b) in enumerate(launches)])
        best = min(a for a, _ in launches)
        report.target("cold start", "start to window shown <= 3 s",
                      f"best {best:.2f} s, median {statistics.median(a for a, _ in launches):.2f} s of "
                      f"{len(launches)} launches", best <= 3.0)
        rows = in_app(report, home, args.quick)
    report.table("Longest GUI-thread stall (ms)", ["while", "max", "p99", "probe ticks"], rows)
    worst = max(row[1] for row in rows if not row[0].startswith("idle"))
    report.target("GUI stalls", "longest main-thread stall <= 50 ms while training and generating",
                  f"{worst:.0f} ms", worst <= 50)
    report.finish(args.json)


if __name__ == "__main__":
    main()
