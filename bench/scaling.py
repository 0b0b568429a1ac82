"""Scaling: training step time against batch size and clip length, generation time against length; writes a
small plot (``docs/images/scaling.png``, needs matplotlib from the ``bench`` extra).

Run: ``.venv/bin/python bench/scaling.py [--json out.json] [--quick] [--plot PATH]``
"""

from __future__ import annotations

from pathlib import Path

import benchlib
import torch
from click_to_sound import GENRES, StockInversion, bench_model

from melodygan_desktop.config import MEL_PRESETS
from melodygan_desktop.inference import generate, generate_mel, genre_weights
from melodygan_desktop.models.presets import get_preset
from melodygan_desktop.training.distributed import init_from_env
from melodygan_desktop.training.step import build_state, train_step

THREADS = 1
PLOT = benchlib.ROOT / "docs" / "images" / "scaling.png"


def step_seconds(preset_name: str, batch: int, clip_seconds: float, repeats: int) -> float:
    """Best CPU seconds of one ``train_step`` (R1 steps excluded) on a fixed random batch."""
    preset = get_preset(preset_name)
    mel = MEL_PRESETS[preset.mel_preset].with_clip_seconds(clip_seconds)
    context = init_from_env("cpu")
    torch.manual_seed(0)
    state = build_state(preset, mel, len(GENRES), preset.lr_g, preset.lr_d, context.device)
    real = state.generator.from_unit(torch.rand(batch, 1, mel.n_mels, mel.frames))
    labels = torch.arange(batch) % len(GENRES)
    steps = iter(range(1, 10_000))

    def one_step() -> None:
        step = next(steps)
        if step % 16 == 0:  # keep the lazy R1 step (1 in 16) out: a typical step is timed
            step = next(steps)
        train_step(state, lambda: (real, labels), step, context)

    return benchlib.interleaved({"step": one_step}, repeats)["step"].best_cpu


def main() -> None:
    parser = benchlib.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--plot", type=Path, default=PLOT, help=f"where to write the plot (default {PLOT})")
    args = parser.parse_args()
    threads = benchlib.set_threads(THREADS)
    report = benchlib.Report("scaling", "Scaling", threads, "best-of-N process CPU time, 1 thread")
    repeats = 2 if args.quick else 3

    batches = (4, 16) if args.quick else (4, 8, 16, 32)
    batch_rows, batch_series = [], {}
    for name in ("melodygan-cond", "melodygan-v3"):
        series = []
        for batch in batches:
            seconds = step_seconds(name, batch, 10.0, repeats)
            series.append(seconds)
            batch_rows.append([name, batch, seconds * 1e3, seconds * 1e3 / batch])
            benchlib.log(f"{name} batch {batch}: {seconds * 1e3:.0f} ms/step")
        batch_series[name] = series
    report.table("Step time against batch size (10-s clips)", ["preset", "batch", "ms/step", "ms per clip"],
                 batch_rows)

    lengths = (2.5, 10.0) if args.quick else (2.5, 5.0, 10.0, 20.0)
    length_series = []
    for seconds in lengths:
        step = step_seconds("melodygan-cond", 16, seconds, repeats)
        length_series.append(step)
        benchlib.log(f"melodygan-cond {seconds:g}-s clips: {step * 1e3:.0f} ms/step")
    report.table("Step time against clip length (melodygan-cond, batch 16)", ["clip s", "frames", "ms/step"],
                 [[s, MEL_PRESETS["paper000-10s"].frames_for_seconds(s), t * 1e3]
                  for s, t in zip(lengths, length_series)])

    model, origin = bench_model()
    mel = model.meta.mel
    weights, _ = genre_weights(model, GENRES[0])
    stock = StockInversion(mel)
    durations = (5.0, 30.0, 120.0) if args.quick else (5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
    generation_rows, ours_series, stock_series = [], [], []
    for seconds in durations:
        short = seconds <= 60
        ours = benchlib.interleaved({"ours": lambda s=seconds: generate(model, GENRES[0], seed=3, seconds=s)},
                                    repeats if short else 1, warmup=1 if short else 0)["ours"].best_cpu
        ours_series.append(ours)
        baseline = None
        if short:
            frames = mel.frames_for_seconds(seconds)
            run_stock = lambda f=frames: stock(generate_mel(model, weights, 3, f))  # noqa: E731
            baseline = benchlib.interleaved({"stock": run_stock}, 1, warmup=0)["stock"].best_cpu
        stock_series.append(baseline)
        generation_rows.append([seconds, ours, seconds / ours, baseline if baseline else "-",
                                f"{baseline / ours:.1f}x" if baseline else "-"])
        benchlib.log(f"generate {seconds:g} s: {ours:.2f} s")
    report.note(f"generation model: melodygan-cond, {origin}")
    report.table("Generation time against length (melodygan-cond, generate(), 1 thread)",
                 ["seconds", "ours s", "x realtime", "stock GL-32 s", "speed-up"], generation_rows)
    plot(args.plot, batches, batch_series, lengths, length_series, durations, ours_series, stock_series)
    shown = args.plot.resolve()
    if shown.is_relative_to(benchlib.ROOT):
        shown = shown.relative_to(benchlib.ROOT)
    report.note(f"plot written to {shown}")
    report.finish(args.json)


def plot(path: Path, batches, batch_series, lengths, length_series, durations, ours, stock) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(11, 3.2), dpi=100)
    for name, series in batch_series.items():
        axes[0].plot(batches, series, marker="o", label=name)
    axes[0].set(title="Training step vs batch (10-s clips)", xlabel="batch size", ylabel="seconds per step")
    axes[0].legend(fontsize=8)
    axes[1].plot(lengths, length_series, marker="o", color="tab:green")
    axes[1].set(title="Step vs clip length (cond, batch 16)", xlabel="clip seconds", ylabel="s per step")
    axes[2].plot(durations, ours, marker="o", label="ours (nnls-fgla)")
    stock_points = [(d, s) for d, s in zip(durations, stock) if s]
    axes[2].plot([d for d, _ in stock_points], [s for _, s in stock_points], marker="s", label="stock GL-32")
    axes[2].set(title="Generation vs length", xlabel="seconds of music", ylabel="seconds (1 thread)",
                xscale="log", yscale="log")
    axes[2].legend(fontsize=8)
    for axis in axes:
        axis.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


if __name__ == "__main__":
    main()
