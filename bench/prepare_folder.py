"""Preparing a folder: decode + resample + log-mel into the cache (``training.data.prepare_dataset``, cold
cache) against ``librosa.load`` + ``librosa.feature.melspectrogram`` on the same files, in the same run; peak
memory for a long file.

Run: ``.venv/bin/python bench/prepare_folder.py [--audio FOLDER] [--json out.json] [--quick]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import benchlib
import soundfile

from melodygan_desktop.audio.io import audio_info
from melodygan_desktop.config import MEL_PRESETS, MelConfig
from melodygan_desktop.training.data import prepare_dataset

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


def memory_child(mode: str, path: Path) -> None:
    """Run in a child process: report resident memory before the work and the peak after it (bytes)."""
    import psutil

    benchlib.set_threads(THREADS)
    if mode == "librosa":
        librosa_folder([path], MEL)  # imports and warms librosa; the peak below is what matters
    before = psutil.Process().memory_info().rss
    with tempfile.TemporaryDirectory() as folder:
        if mode == "ours":
            link_folder([path], Path(folder) / "data")
            ours_folder(Path(folder) / "data", MEL)
        else:
            librosa_folder([path], MEL)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"before": before, "peak": peak}))


def measure_memory(report: benchlib.Report, quick: bool) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for minutes in (2.0, 6.0) if quick else (2.0, 12.0):
            path = write_long_file(Path(folder) / f"long_{minutes:g}min.flac", minutes)
            row: list = [f"{minutes:g} min, 44.1 kHz stereo FLAC"]
            for mode in ("ours", "librosa"):
                result = subprocess.run([sys.executable, __file__, "--memory-child", mode, str(path)],
                                        capture_output=True, text=True, check=True)
                numbers = json.loads(result.stdout.strip().splitlines()[-1])
                row.append(round((numbers["peak"] - numbers["before"]) / 2**20, 1))
            rows.append(row)
            path.unlink()
    report.table("Peak memory above the process's resident size before the work (MiB)",
                 ["file", "ours: prepare_dataset", "librosa: load + melspectrogram"], rows)
    growth = rows[-1][1] - rows[0][1]
    report.figure("memory_growth_ours", growth, "MiB", "ours: peak growth from the short to the long file")
    report.target("flat memory", "peak memory flat for long files",
                  f"ours {rows[0][1]:g} -> {rows[-1][1]:g} MiB, "
                  f"librosa {rows[0][2]:g} -> {rows[-1][2]:g} MiB",
                  growth < 0.25 * max(1.0, rows[-1][2] - rows[0][2]))


def main() -> None:
    parser = benchlib.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--memory-child", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child[0], Path(args.memory_child[1]))
        return
    threads = benchlib.set_threads(THREADS)
    report = benchlib.Report("prepare_folder", "Preparing a folder", threads,
                             "cold cache every run; ours and librosa interleaved; best-of-N wall time "
                             "(2 cores) with CPU time shown")
    repeats = 1 if args.quick else 3
    rows, speed = [], {}
    with tempfile.TemporaryDirectory() as folder:
        synthetic = benchlib.write_music_folder(
            Path(folder) / "synthetic", genres=2, tracks_per_genre=2 if args.quick else 4, seconds=60.0,
            sample_rate=44100, channels=2, formats=("flac", "ogg"))
        sets = {"synthetic, 44.1 kHz stereo FLAC + Ogg Vorbis": synthetic}
        real = benchlib.real_music_files(args.audio, 4 if args.quick else 10)
        if real:
            sets[f"real music from {args.audio.name}/ (Ogg/FLAC, mixed rates)"] = real
        librosa_folder(synthetic[:1], MEL)  # first-call costs of librosa (imports, resampler set-up)
        ours_folder(link_folder(synthetic[:1], Path(folder) / "warm"), MEL)
        for index, (label, files) in enumerate(sets.items()):
            seconds = sum(audio_info(path).duration_seconds for path in files)
            data_dir = link_folder(files, Path(folder) / f"set{index}")
            timings = benchlib.interleaved({"ours": lambda d=data_dir: ours_folder(d, MEL),
                                            "librosa": lambda f=files: librosa_folder(f, MEL)},
                                           repeats, warmup=0)
            ours, baseline = timings["ours"], timings["librosa"]
            for name, timing in timings.items():
                rows.append([label, len(files), round(seconds / 60, 1), name, timing.best_wall,
                             seconds / timing.best_wall, seconds / timing.best_cpu])
            speed[label] = (seconds / ours.best_wall, baseline.best_wall / ours.best_wall)
            benchlib.log(f"{label}: ours {seconds / ours.best_wall:.0f}x realtime, "
                         f"{baseline.best_wall / ours.best_wall:.2f}x librosa")
    report.table(f"Cold preparation, {threads} torch threads", ["files", "count", "minutes", "pipeline",
                 "best wall s", "x realtime (wall)", "audio s per CPU s"], rows)
    slowest = min(speed.values())
    report.figure("realtime", slowest[0], "x", "ours, realtime factor (slowest set, best wall)")
    report.figure("vs_librosa", min(ratio for _, ratio in speed.values()), "x", "ours vs librosa (worst set)")
    report.target("prepare speed", ">= 100x realtime on 2 cores and >= 2x librosa",
                  "; ".join(f"{label}: {rt:.0f}x realtime, {ratio:.2f}x librosa"
                            for label, (rt, ratio) in speed.items()),
                  all(rt >= 100 and ratio >= 2 for rt, ratio in speed.values()))
    measure_memory(report, args.quick)
    report.finish(args.json)


if __name__ == "__main__":
    main()
