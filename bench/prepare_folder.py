"""Preparing a folder: decode + resample + log-mel into the cache (``data.prepared.prepare_dataset``, cold
cache) against ``librosa.load`` + ``librosa.feature.melspectrogram`` on the same files, in the same run; peak
memory for a long file.

Run: ``.venv/bin/python bench/prepare_folder.py [--audio FOLDER] [--json out.json] [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import benchlib
import soundfile
import torch

from melodygan_desktop.audio.io import audio_info
from melodygan_desktop.config import MEL_PRESETS, MelConfig
from melodygan_desktop.data.prepared import prepare_dataset

THREADS = 2
MEL = MEL_PRESETS["paper000-10s"]


def librosa_folder(files: list[Path], mel: MelConfig) -> int:
    """The baseline: ``librosa.load`` (mono, resampled to the mel rate) then the same mel spectrogram."""
    import librosa

    frames = 0
    for path in files:
        audio, rate = librosa.load(path, sr=mel.sample_rate, mono=True)
        power = librosa.feature.melspectrogram(
            y=audio, sr=rate, n_fft=mel.n_fft, hop_length=mel.hop_length, n_mels=mel.n_mels,
            fmin=mel.f_min, fmax=mel.top_hz, htk=True, norm=None, power=2.0, center=True,
        )
        frames += power.shape[1]
    return frames


def with_threads(threads: int, function, *args):
    """Call ``function(*args, MEL)`` with torch's pool set to ``threads``, restoring it after."""
    previous = torch.get_num_threads()
    benchlib.set_threads(threads)
    try:
        return function(*args, MEL)
    finally:
        torch.set_num_threads(previous)


def ours_folder(folder: Path, mel: MelConfig) -> int:
    """Ours, cold: a fresh cache folder each time, so every file is decoded, resampled and transformed."""
    with tempfile.TemporaryDirectory() as cache:
        data = prepare_dataset(folder, mel, cache_dir=cache, val_fraction=0.0)
    return data.summary.clips


def link_folder(files: list[Path], folder: Path) -> Path:
    """A folder of symbolic links to ``files``, one sub-folder per parent folder (labels need not matter)."""
    for index, path in enumerate(files):
        target = folder / path.parent.name / f"{index:03d}_{path.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(path.resolve())
    return folder


def write_long_file(path: Path, minutes: float, sample_rate: int = 44100) -> Path:
    """A long stereo FLAC written 30 s at a time, so making it needs no more memory than reading it."""
    block = benchlib.synth_music(30.0, sample_rate, seed=7, channels=2)
    with soundfile.SoundFile(path, "w", samplerate=sample_rate, channels=2, format="FLAC") as handle:
        for _ in range(int(round(minutes * 2))):
            handle.write(block)
    return path


def run_pipeline(mode: str, data: Path) -> int:
    """Prepare ``data`` with one pipeline; returns the bytes of what it produces (the mels it hands over:
    float16 clips for ours, the float32 mel power of each file for librosa)."""
    if mode == "ours":
        return ours_folder(data, MEL) * MEL.n_mels * MEL.frames * 2
    return librosa_folder(sorted(data.rglob("*.flac")), MEL) * MEL.n_mels * 4


def _status_bytes(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise OSError(f"no {field} in /proc/self/status")


def memory_child(mode: str, path: Path) -> None:
    """Run in a child process: resident memory before the work and its peak during the work (bytes).

    Both pipelines first run once on a short file, so imports and one-time set-up are not counted; the
    kernel's peak-RSS mark is then reset (``/proc/self/clear_refs``), so the peak is the work's own."""
    benchlib.set_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        short = Path(folder) / "short.flac"
        benchlib.write_blocks(short, benchlib.synth_music(12.0, 44100, seed=1, channels=2), 44100)
        run_pipeline(mode, link_folder([short], Path(folder) / "warm"))
        data = link_folder([path], Path(folder) / "data")
        Path("/proc/self/clear_refs").write_text("5")
        before = _status_bytes("VmRSS")
        result = run_pipeline(mode, data)
        peak = _status_bytes("VmHWM")
    print(json.dumps({"before": before, "peak": peak, "result": result}))


def stage_costs(report: benchlib.Report, folder: Path, repeats: int) -> None:
    """Where the time goes, cumulatively, for one minute of 44.1 kHz stereo (1 thread, best CPU time)."""
    import librosa

    from melodygan_desktop.audio.io import iter_audio_blocks
    from melodygan_desktop.data.clips import file_to_mels, make_front_end

    benchlib.set_threads(1)
    front_end = make_front_end(MEL)
    rows = []
    for extension in ("ogg", "flac"):
        path = folder / f"minute.{extension}"
        benchlib.write_blocks(path, benchlib.synth_music(60.0, 44100, seed=5, channels=2), 44100)
        data_dir = link_folder([path], folder / f"stage_{extension}")
        steps = {
            "decode (soundfile.read, both pipelines)": lambda p=path: soundfile.read(p, dtype="float32"),
            "ours: + mono mix (iter_audio_blocks, native rate)": lambda p=path: list(
                iter_audio_blocks(p, None)),
            "ours: + resample to 22.05 kHz (libsoxr HQ)": lambda p=path: list(
                iter_audio_blocks(p, 22050)),
            "ours: + cut, silence check, log-mel (file_to_mels)": lambda p=path: file_to_mels(
                p, MEL, front_end),
            "ours: + scan and cache write (prepare_dataset)": lambda d=data_dir: ours_folder(d, MEL),
            "librosa: load (mono, soxr_hq to 22.05 kHz)": lambda p=path: librosa.load(p, sr=MEL.sample_rate),
            "librosa: load + melspectrogram": lambda p=path: librosa_folder([p], MEL),
        }
        timings = benchlib.interleaved(steps, repeats)
        rows += [[extension, name, timing.best_cpu * 1e3] for name, timing in timings.items()]
    benchlib.set_threads(THREADS)
    report.table("Cumulative cost of one minute of 44.1 kHz stereo, 1 thread (best CPU ms)",
                 ["format", "stage", "CPU ms per minute"], rows)


#: Child-process runs: each pipeline with glibc's default allocator, and ours with big blocks always mapped
#: (returned to the OS on free), which shows how much of what remains is the allocator's placement.
MEMORY_RUNS = {"ours": ("ours", {}), "librosa": ("librosa", {}),
               "ours, MALLOC_MMAP_THRESHOLD_=128 KiB": ("ours", {"MALLOC_MMAP_THRESHOLD_": "131072"})}


def measure_memory(report: benchlib.Report, quick: bool) -> None:
    """Peak memory for files of 2 to 24 minutes, each pipeline in a fresh child process.

    The mels a pipeline produces grow with the file by nature (the point of preparing it), so the target is
    on its working memory: the peak above what it hands over. Flat means bounded: no longer file needs more
    than 1.25x the working memory of the 2-minute one (growing with the length would give 12x at 24 min)."""
    lengths = (2.0, 6.0) if quick else (2.0, 6.0, 12.0, 24.0)
    working: dict[str, list[float]] = {name: [] for name in MEMORY_RUNS}
    peaks: dict[str, list[float]] = {name: [] for name in MEMORY_RUNS}
    produced: dict[str, list[float]] = {name: [] for name in MEMORY_RUNS}
    with tempfile.TemporaryDirectory() as folder:
        for minutes in lengths:
            path = write_long_file(Path(folder) / f"long_{minutes:g}min.flac", minutes)
            for name, (mode, extra) in MEMORY_RUNS.items():
                command = [sys.executable, __file__, "--memory-child", mode, str(path)]
                result = subprocess.run(command, capture_output=True, text=True, check=True,
                                        env={**os.environ, **extra})
                numbers = json.loads(result.stdout.strip().splitlines()[-1])
                peaks[name].append((numbers["peak"] - numbers["before"]) / 2**20)
                produced[name].append(numbers["result"] / 2**20)
                working[name].append(peaks[name][-1] - produced[name][-1])
            path.unlink()
    header = ["pipeline", *(f"{minutes:g} min" for minutes in lengths)]
    report.table("Working memory: peak resident memory above the resident size before the work, less the "
                 "mels produced (MiB; 44.1 kHz stereo FLAC; Linux)", header,
                 [[name, *(round(value, 1) for value in values)] for name, values in working.items()])
    report.table("Peak resident memory above the resident size before the work, mels included (MiB)", header,
                 [[name, *(round(value, 1) for value in values)] for name, values in peaks.items()]
                 + [[f"mels produced, {name}", *(round(value, 1) for value in produced[name])]
                    for name in ("ours", "librosa")])
    ours = working["ours"]
    ratio = max(ours[1:]) / ours[0]
    report.figure("memory_working_ratio_ours", ratio, "x", "ours: largest working memory / the 2-min file's")
    measured = "; ".join(f"{name}: " + ", ".join(f"{value:.1f}" for value in values) + " MiB"
                         for name, values in working.items())
    report.target("flat memory", "working memory (peak above the mels produced) bounded for long files "
                  f"(<= 1.25x the 2-min file's up to {lengths[-1]:g} min)",
                  f"{measured} (ours: {ratio:.2f}x)", ratio <= 1.25)


def compare_sets(report: benchlib.Report, folder: Path, audio: Path | None, quick: bool) -> None:
    """Ours against librosa on a synthetic set and, when a folder of music is given, on real tracks."""
    rows, speed = [], {}
    synthetic = benchlib.write_music_folder(
        folder / "synthetic", genres=2, tracks_per_genre=2 if quick else 4, seconds=60.0,
        sample_rate=44100, channels=2, formats=("flac", "ogg"))
    sets = {"synthetic, 44.1 kHz stereo FLAC + Ogg Vorbis": synthetic}
    real = benchlib.real_music_files(audio, 4 if quick else 8)
    if real:
        sets[f"real music from {audio.name}/ (Ogg/FLAC, mixed rates)"] = real
    librosa_folder(synthetic[:1], MEL)  # first-call costs of librosa (imports, resampler set-up)
    ours_folder(link_folder(synthetic[:1], folder / "warm"), MEL)
    for index, (label, files) in enumerate(sets.items()):
        seconds = sum(audio_info(path).duration_seconds for path in files)
        data_dir = link_folder(files, folder / f"set{index}")
        timings = benchlib.interleaved({
            "ours, 1 torch thread, a decoding thread per core (app default)":
                lambda d=data_dir: with_threads(1, ours_folder, d),
            "ours, 2 torch threads, a decoding thread per core":
                lambda d=data_dir: with_threads(2, ours_folder, d),
            "librosa": lambda f=files: librosa_folder(f, MEL)}, 1 if quick else 3, warmup=0)
        baseline = timings.pop("librosa")
        ours = min(timings.values(), key=lambda timing: timing.best_wall)
        timings["librosa"] = baseline
        for name, timing in timings.items():
            rows.append([label, len(files), round(seconds / 60, 1), name, timing.best_wall,
                         seconds / timing.best_wall, seconds / timing.best_cpu])
        speed[label] = (seconds / ours.best_wall, baseline.best_wall / ours.best_wall,
                        baseline.best_cpu / ours.best_cpu)
        benchlib.log(f"{label}: ours {seconds / ours.best_wall:.0f}x realtime, "
                     f"{baseline.best_wall / ours.best_wall:.2f}x librosa")
    report.table("Cold preparation of a folder", ["files", "count", "minutes", "pipeline",
                 "best wall s", "x realtime (wall)", "audio s per CPU s"], rows)
    report.figure("realtime", min(rt for rt, _, _ in speed.values()), "x",
                  "ours (faster thread setting), realtime factor (slowest set, best wall)")
    report.figure("vs_librosa", min(ratio for _, ratio, _ in speed.values()), "x",
                  "ours vs librosa, wall (worst set)")
    report.figure("vs_librosa_cpu", min(ratio for _, _, ratio in speed.values()), "x",
                  "ours vs librosa, CPU time (worst set)")
    report.target("prepare speed", ">= 100x realtime on 2 cores and >= 2x librosa",
                  "; ".join(f"{label}: {rt:.0f}x realtime, {ratio:.2f}x librosa (wall), {cpu:.2f}x (CPU)"
                            for label, (rt, ratio, cpu) in speed.items()),
                  all(rt >= 100 and ratio >= 2 for rt, ratio, _ in speed.values()))


def main() -> None:
    parser = benchlib.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--memory-child", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child[0], Path(args.memory_child[1]))
        return
    benchlib.set_threads(THREADS)
    report = benchlib.Report("prepare_folder", "Preparing a folder", "1 (the app's default) and 2, per row",
                             "cold cache every run; ours (both settings) and librosa interleaved; best-of-N "
                             "wall time on the 2-core machine, CPU time shown; stage costs on 1 thread")
    with tempfile.TemporaryDirectory() as folder:
        compare_sets(report, Path(folder), args.audio, args.quick)
        stage_costs(report, Path(folder), 2 if args.quick else 5)
    measure_memory(report, args.quick)
    report.finish(args.json)


if __name__ == "__main__":
    main()
