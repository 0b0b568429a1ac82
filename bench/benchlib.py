"""Shared helpers of the benchmark scripts: thread set-up, interleaved timing, machine facts, test music and
the JSON report every script can write for ``run_all.py``."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
#: Environment variable naming a folder of real music used where a script asks for it (see --audio).
AUDIO_ENV = "MELODYGAN_BENCH_AUDIO"


def set_threads(threads: int) -> int:
    """Pin torch's intra-op pool to ``threads`` (and inter-op to 1 where still allowed); returns it."""
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already started: harmless, inter-op parallelism is unused here
        pass
    return torch.get_num_threads()


def base_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run, noisier figures)")
    parser.add_argument("--audio", type=Path, default=os.environ.get(AUDIO_ENV) or None,
                        help=f"a folder of real music to use as well (default: ${AUDIO_ENV})")
    return parser


@dataclass
class Timing:
    """Repeated measurements of one callable: wall-clock (``perf_counter``) and process CPU seconds."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def best_wall(self) -> float:
        return min(self.wall)

    @property
    def median_wall(self) -> float:
        return statistics.median(self.wall)

    @property
    def best_cpu(self) -> float:
        return min(self.cpu)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu)

    def summary(self) -> dict[str, float]:
        return {"best_wall_s": self.best_wall, "median_wall_s": self.median_wall,
                "best_cpu_s": self.best_cpu, "median_cpu_s": self.median_cpu, "repeats": len(self.wall)}


def time_once(function: Callable[[], Any]) -> tuple[float, float, Any]:
    """``(wall seconds, CPU seconds, result)`` of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def interleaved(functions: dict[str, Callable[[], Any]], repeats: int, warmup: int = 1) -> dict[str, Timing]:
    """Time each callable ``repeats`` times, alternating between them round by round, so a change in the
    machine's load during the run hits every candidate alike. ``warmup`` untimed rounds first."""
    for _ in range(warmup):
        for function in functions.values():
            function()
    timings = {name: Timing() for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            wall, cpu, _ = time_once(function)
            timings[name].wall.append(wall)
            timings[name].cpu.append(cpu)
    return timings


def load_average() -> list[float]:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return []


def machine() -> dict[str, Any]:
    """Facts that decide how to read the figures: cores, load, CPU model, library versions."""
    model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": model, "cores": cores, "load_average": load_average(), "python": platform.python_version(),
        "torch": torch.__version__, "numpy": np.__version__, "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


class Report:
    """Collects figures, tables and target checks; prints as it goes; ``finish`` writes the JSON."""

    def __init__(self, name: str, title: str, threads: int | str, timing_rule: str) -> None:
        self.data: dict[str, Any] = {
            "name": name, "title": title, "threads": threads, "timing_rule": timing_rule,
            "machine": machine(), "figures": {}, "tables": [], "targets": [], "notes": [],
        }
        print(f"== {title} (torch threads: {threads}; {timing_rule})")
        print(f"   load average at start: {self.data['machine']['load_average']}")

    def figure(self, key: str, value: float, unit: str, label: str) -> None:
        self.data["figures"][key] = {"value": value, "unit": unit, "label": label}
        print(f"   {label}: {format_value(value)} {unit}")

    def table(self, title: str, columns: list[str], rows: list[list[Any]]) -> None:
        self.data["tables"].append({"title": title, "columns": columns, "rows": rows})
        widths = [max(len(str(c)), *(len(format_value(r[i])) for r in rows)) for i, c in enumerate(columns)]
        print(f"   -- {title}")
        print("   " + "  ".join(str(c).ljust(w) for c, w in zip(columns, widths)))
        for row in rows:
            print("   " + "  ".join(format_value(v).ljust(w) for v, w in zip(row, widths)))

    def target(self, name: str, goal: str, measured: str, met: bool) -> None:
        self.data["targets"].append({"name": name, "goal": goal, "measured": measured, "met": bool(met)})
        print(f"   target {name}: {goal} -> {measured} [{'met' if met else 'NOT met'}]")

    def note(self, text: str) -> None:
        self.data["notes"].append(text)
        print(f"   note: {text}")

    def finish(self, path: Path | None) -> None:
        self.data["load_average_end"] = load_average()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(self.data, indent=1, default=float))


def format_value(value: Any) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) < 1e6:
            return str(int(value))
        magnitude = abs(value)
        return f"{value:.0f}" if magnitude >= 100 else f"{value:.3g}" if magnitude < 10 else f"{value:.1f}"
    return str(value)


def synth_music(seconds: float, sample_rate: int = 22050, seed: int = 0, channels: int = 1) -> np.ndarray:
    """A mastered-like loop: chords with harmonics, a square bass, kick, snare, hi-hat and a noise floor.

    Each seed picks a tempo, a key and a chord order, so several seeds make a varied set.
    Returns float32 ``(samples,)`` or, for ``channels`` > 1, ``(samples, channels)`` with slightly different
    mixes per channel; peak 0.9.
    """
    rng = np.random.default_rng(seed)
    samples = int(round(seconds * sample_rate))
    t = np.arange(samples) / sample_rate
    beat = 60.0 / rng.uniform(90, 140)
    root = 110.0 * 2 ** (rng.integers(0, 12) / 12)
    progression = rng.permutation([(0, 4, 7), (5, 9, 12), (7, 11, 14), (9, 12, 16)])
    bar = (t // (4 * beat)).astype(int) % len(progression)
    age = t % beat
    music = np.zeros(samples)
    for index, chord in enumerate(progression):
        active = bar == index
        envelope = np.minimum(age / 0.01, 1.0) * np.exp(-2.5 * age)
        for semitone in chord:
            pitch = root * 2 * 2 ** (semitone / 12)
            for harmonic in range(1, 7):
                if pitch * harmonic < sample_rate / 2:
                    music += active * envelope * np.sin(2 * np.pi * pitch * harmonic * t) / (harmonic * 7)
        bass_age = t % (beat / 2)
        bass = root * 2 ** (chord[0] / 12) / 2
        music += active * 0.45 * np.exp(-6 * bass_age) * np.sign(np.sin(2 * np.pi * bass * t))
    kick = 2 * np.pi * (50 * age + (100 / 12.0) * (1 - np.exp(-12 * age)))
    music += 1.1 * np.exp(-8 * age) * np.sin(kick)
    snare_age = np.where((t % (2 * beat)) >= beat, (t % (2 * beat)) - beat, 10.0)
    music += 0.5 * np.exp(-20 * snare_age) * (rng.standard_normal(samples) + np.sin(2 * np.pi * 180 * t))
    music += 0.2 * np.exp(-60 * (t % (beat / 2))) * np.diff(rng.standard_normal(samples + 1))
    music += 0.003 * rng.standard_normal(samples)
    if channels > 1:
        spread = [music + 0.02 * rng.standard_normal(samples) for _ in range(channels)]
        music = np.stack(spread, axis=1)
    return (0.9 * music / np.max(np.abs(music))).astype(np.float32)


def write_music_folder(
    folder: Path, genres: int, tracks_per_genre: int, seconds: float, *, sample_rate: int = 22050,
    channels: int = 1, formats: tuple[str, ...] = ("flac",),
) -> list[Path]:
    """Write ``genres`` sub-folders of synthetic tracks (cycling through ``formats``); returns the files."""
    paths = []
    for genre in range(genres):
        (folder / f"genre{genre}").mkdir(parents=True, exist_ok=True)
        for track in range(tracks_per_genre):
            seed = genre * 100 + track
            path = folder / f"genre{genre}" / f"track{track}.{formats[seed % len(formats)]}"
            audio = synth_music(seconds, sample_rate, seed=seed, channels=channels)
            write_blocks(path, audio, sample_rate)
            paths.append(path)
    return paths


def write_blocks(path: Path, audio: np.ndarray, sample_rate: int, block: int = 1 << 16) -> None:
    """Write ``audio`` a block at a time: libvorbis overflows its stack when one call hands it minutes of
    audio (python-soundfile issues #233 / #426), so Ogg files are never written in one piece."""
    import soundfile

    channels = 1 if audio.ndim == 1 else audio.shape[1]
    with soundfile.SoundFile(path, "w", samplerate=sample_rate, channels=channels) as handle:
        for start in range(0, audio.shape[0], block):
            handle.write(audio[start : start + block])


def real_music_files(folder: Path | None, count: int, min_seconds: float = 30.0) -> list[Path]:
    """Up to ``count`` decodable audio files of at least ``min_seconds`` under ``folder``, spread over its
    sub-folders (sorted, deterministic); [] when there is no folder."""
    if folder is None or not Path(folder).is_dir():
        return []
    from melodygan_desktop.audio.io import SUPPORTED_EXTENSIONS, AudioReadError, audio_info

    by_folder: dict[Path, list[Path]] = {}
    for path in sorted(Path(folder).rglob("*")):
        if path.suffix.lower() in SUPPORTED_EXTENSIONS and path.is_file():
            by_folder.setdefault(path.parent, []).append(path)
    chosen: list[Path] = []
    queues = list(by_folder.values())
    while queues and len(chosen) < count:
        for queue in list(queues):
            if not queue:
                queues.remove(queue)
                continue
            path = queue.pop(0)
            try:
                if audio_info(path).duration_seconds >= min_seconds:
                    chosen.append(path)
            except AudioReadError:
                continue
            if len(chosen) >= count:
                break
    return chosen


def log(message: str) -> None:
    print(f"   {message}", flush=True)
    sys.stdout.flush()
