"""Training step of melodygan-v3 and melodygan-cond: our loop (``training.loop.train`` and its inner
``train_step`` + ``BatchSource``) against a bare reference loop of the same networks, batch and loss written
in plain torch, in the same run; time spent waiting for data and the cache hit rate.

Run: ``.venv/bin/python bench/train_step.py [--json out.json] [--quick]``
"""

from __future__ import annotations

import copy
import statistics
import tempfile
import time
from pathlib import Path

import benchlib
import numpy as np
import torch
import torch.nn.functional as F

from melodygan_desktop.config import MEL_PRESETS, TrainConfig
from melodygan_desktop.data.prepared import prepare_dataset
from melodygan_desktop.models.augment import augment
from melodygan_desktop.models.presets import Preset, get_preset
from melodygan_desktop.training.batches import BatchSource, label_map
from melodygan_desktop.training.distributed import init_from_env
from melodygan_desktop.training.events import Started, StepMetrics
from melodygan_desktop.training.loop import train
from melodygan_desktop.training.step import build_state, train_step

PRESETS = ("melodygan-v3", "melodygan-cond")
THREADS = 1
STEPS_PER_ROUND = 8
R1_INTERVAL = 16


class BareLoop:
    """The reference: the preset's networks, optimisers, loss, augmentation, lazy R1 and EMA in plain torch,
    fed from one float32 tensor already in the model's range."""

    def __init__(self, preset: Preset, mel, genres: int, mels: np.ndarray, labels: np.ndarray) -> None:
        torch.manual_seed(0)
        self.preset, self.genres = preset, genres
        self.generator = preset.build_generator(mel, genres)
        self.discriminator = preset.build_discriminator(mel, genres)
        self.ema = copy.deepcopy(self.generator).requires_grad_(False) if preset.ema_beta else None
        self.opt_g = torch.optim.Adam(self.generator.parameters(), preset.lr_g, betas=preset.betas)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), preset.lr_d, betas=preset.betas)
        self.mels = self.generator.from_unit(torch.from_numpy(mels.astype(np.float32)).unsqueeze(1))
        self.labels = torch.from_numpy(labels)
        self.order = torch.Generator().manual_seed(0)

    def step(self, step: int) -> None:
        p, G, D = self.preset, self.generator, self.discriminator
        index = torch.randint(len(self.labels), (p.batch_size,), generator=self.order)
        real, labels = self.mels[index], self.labels[index]
        weights = F.one_hot(labels, self.genres).float() if p.conditional else None
        genres = labels if p.conditional else None
        aug = augment if p.augment else (lambda x: x)
        z_shape = (p.batch_size, *G.latent_shape(real.shape[-1]))
        with torch.no_grad():
            fake = G(torch.randn(z_shape), weights)
        d_real, d_fake = D(aug(real), genres), D(aug(fake), genres)
        if p.loss == "hinge":
            d_loss = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
        else:  # least squares
            d_loss = 0.5 * ((d_real - 1) ** 2).mean() + 0.5 * (d_fake**2).mean()
        if p.r1_gamma > 0 and step % R1_INTERVAL == 0:
            x = real.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(D(x, genres).sum(), x, create_graph=True)
            d_loss = d_loss + p.r1_gamma / 2 * R1_INTERVAL * grad.pow(2).flatten(1).sum(1).mean()
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        fake = G(torch.randn(z_shape), weights)
        D.requires_grad_(False)
        score = D(aug(fake), genres)
        D.requires_grad_(True)
        g_loss = -score.mean() if p.loss == "hinge" else 0.5 * ((score - 1) ** 2).mean()
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        if self.ema is not None:
            with torch.no_grad():
                for average, param in zip(self.ema.parameters(), G.parameters()):
                    average.lerp_(param, 1 - p.ema_beta)
                for average, buffer in zip(self.ema.buffers(), G.buffers()):
                    average.copy_(buffer)


class InnerLoop:
    """Our step as the loop runs it: seeded per step, ``BatchSource`` batches, ``train_step``."""

    def __init__(self, preset: Preset, mel, data, context) -> None:
        torch.manual_seed(0)
        self.state = build_state(preset, mel, len(data.genres), preset.lr_g, preset.lr_d, context.device)
        self.context = context
        self.source = BatchSource(data.train, label_map(data.genres, data.genres), preset.batch_size, 0,
                                  context, self.state.generator.from_unit, draws_per_step=preset.n_critic)
        self.wait = self.wall = 0.0

    def step(self, step: int) -> None:
        started = time.perf_counter()  # BatchSource measures its wait in wall time: compare like with like
        torch.manual_seed(step)
        self.source.begin_step(step)
        train_step(self.state, self.source.next_batch, step, self.context)
        if step >= STEPS_PER_ROUND:  # round 0 is discarded
            self.wait += self.source.take_wait_time()
            self.wall += time.perf_counter() - started
        else:
            self.source.take_wait_time()


def bench_preset(name: str, data_dir: Path, cache: Path, rounds: int, report: benchlib.Report) -> list:
    preset = get_preset(name)
    mel = MEL_PRESETS[preset.mel_preset]
    data = prepare_dataset(data_dir, mel, cache_dir=cache, val_fraction=0.0, seed=0)
    context = init_from_env("cpu")
    bare = BareLoop(preset, mel, len(data.genres), data.train.mels, data.train.labels)
    inner = InnerLoop(preset, mel, data, context)
    total = rounds * STEPS_PER_ROUND + 1  # the final step's preview and checkpoint are never reached
    config = TrainConfig(data_dir=str(data_dir), preset=name, steps=total, threads=THREADS,
                         cache_dir=str(cache), val_fraction=0.0, log_every=STEPS_PER_ROUND,
                         checkpoint_every=total, preview_every=total)
    with tempfile.TemporaryDirectory() as run_dir:
        events = train(config, Path(run_dir) / "run")
        started = next(events)
        assert isinstance(started, Started)
        rounds_time: dict[str, list[float]] = {"loop.train()": [], "bare torch": []}
        pairs: list[tuple[float, float]] = []  # (ours, bare) per step, alternating which runs first
        wait_fraction = 0.0
        for round_index in range(rounds):
            begin = time.process_time()
            event = next(events)
            while not isinstance(event, StepMetrics):
                event = next(events)
            rounds_time["loop.train()"].append(time.process_time() - begin)
            wait_fraction = event.data_wait_fraction
            bare_round = 0.0
            for step in range(round_index * STEPS_PER_ROUND, (round_index + 1) * STEPS_PER_ROUND):
                order = (inner, bare) if step % 2 else (bare, inner)
                spent = {}
                for runner in order:
                    begin = time.process_time()
                    runner.step(step)
                    spent[runner] = time.process_time() - begin
                bare_round += spent[bare]
                if round_index:  # round 0 warms up allocators and caches
                    pairs.append((spent[inner], spent[bare]))
            rounds_time["bare torch"].append(bare_round)
            benchlib.log(f"{name} round {round_index}: loop.train() "
                         f"{rounds_time['loop.train()'][-1] / STEPS_PER_ROUND * 1e3:.0f} ms/step, bare "
                         f"{bare_round / STEPS_PER_ROUND * 1e3:.0f} ms/step")
        events.close()
    hits = started.data.cache_hits / max(1, started.data.tracks)
    loop_ratios = [o / r for o, r in zip(rounds_time["loop.train()"][1:], rounds_time["bare torch"][1:])]
    step_ratios = [o / r for o, r in pairs]
    overhead = {"loop.train()": statistics.median(loop_ratios) - 1,
                "train_step + BatchSource": statistics.median(step_ratios) - 1}
    per_step = {"loop.train()": [t / STEPS_PER_ROUND for t in rounds_time["loop.train()"][1:]],
                "train_step + BatchSource": [o for o, _ in pairs], "bare torch": [r for _, r in pairs]}
    rows = [[name, label, preset.batch_size, min(values) * 1e3, statistics.median(values) * 1e3,
             f"{overhead.get(label, 0.0) * 100:+.1f} %"] for label, values in per_step.items()]
    report.figure(f"{name}_overhead_loop", overhead["loop.train()"] * 100, "%",
                  f"{name}: loop.train() vs bare (median of {len(loop_ratios)} round ratios)")
    report.figure(f"{name}_overhead_step", overhead["train_step + BatchSource"] * 100, "%",
                  f"{name}: train_step + BatchSource vs bare (median of {len(step_ratios)} step ratios)")
    report.figure(f"{name}_wait", wait_fraction * 100, "%", f"{name}: time waiting for data in loop.train()")
    report.figure(f"{name}_hits", hits * 100, "%", f"{name}: cache hit rate when loop.train() started")
    worst = max(overhead["loop.train()"], overhead["train_step + BatchSource"])
    report.target(f"{name} step", "within 5 % of the bare loop; data never the bottleneck",
                  f"{worst * 100:+.1f} % (worst of our two); data wait {wait_fraction * 100:.2f} % in "
                  f"train(), {inner.wait / max(inner.wall, 1e-9) * 100:.2f} % in BatchSource; "
                  f"cache hits {hits:.0%}",
                  worst <= 0.05 and wait_fraction < 0.05)
    return rows


def main() -> None:
    args = benchlib.base_parser(__doc__.splitlines()[0]).parse_args()
    threads = benchlib.set_threads(THREADS)
    report = benchlib.Report("train_step", "Training step", threads,
                             "process CPU time; train() in rounds of 8 steps interleaved with the other two, "
                             "which alternate step by step; overhead = median of the paired ratios ours / "
                             "bare - 1; round 0 discarded")
    rounds = 3 if args.quick else 8
    rows: list = []
    with tempfile.TemporaryDirectory() as folder:
        data_dir, cache = Path(folder) / "data", Path(folder) / "cache"
        benchlib.write_music_folder(data_dir, genres=4, tracks_per_genre=2, seconds=31.0)
        cold = prepare_dataset(data_dir, MEL_PRESETS["paper000-10s"], cache_dir=cache, val_fraction=0.0)
        report.note(f"data: {cold.summary.tracks} synthetic tracks, {cold.summary.clips} clips of 10 s, "
                    f"{len(cold.genres)} genres; cache filled once before the runs")
        for name in PRESETS:
            rows += bench_preset(name, data_dir, cache, rounds, report)
    report.table("Training step, 1 thread (ms per step; overhead = median of paired ratios ours / bare - 1)",
                 ["preset", "loop", "batch", "best ms/step", "median ms/step", "overhead"], rows)
    report.finish(args.json)


if __name__ == "__main__":
    main()
