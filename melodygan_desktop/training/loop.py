"""The training loop: ``train(config, run_dir, should_stop)`` yields typed events; GUI and CLI share it.

A ``scorer`` (built by the caller, e.g. from the evaluation package's genre classifier) scores each checkpoint
on the run's held-out clips; the best so far is named by ``best.txt`` and survives keep-last pruning.

Resuming is exact: the batch order and every random draw of step ``s`` are derived from ``(seed, s, rank)``
rather than from a running RNG, so a resumed run repeats the uninterrupted run's losses bit for bit on CPU.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch

from .. import checkpoints
from ..audio.inversion import invert
from ..config import MEL_PRESETS, TrainConfig
from ..data.pack import is_pack, read_pack
from ..data.prepared import PreparationCancelled, prepare_dataset
from ..models.presets import get_preset
from . import distributed
from .batches import BatchSource, label_map
from .clock import TrainingClock
from .errors import TrainingError
from .events import Event, Finished, Preview, Started, StepMetrics
from .latent_data import encode_data
from .run_folder import MetricsLog, read_run_config, reconcile, write_run_config, write_skipped
from .run_lock import run_folder_lock
from .scoring import CheckpointScorer, bind_scorer
from .setup import load_resume_state, run_networks, start_from_checkpoint
from .snapshots import preview_latent, preview_mels, save_checkpoint
from .step import build_state, train_step

#: Training clips are kept on the GPU when they take at most this share of its free memory.
RESIDENT_FRACTION = 0.25


def _step_seed(seed: int, step: int, rank: int) -> int:
    return (seed * 1_000_003 + step * 9_973 + rank * 7_919) % (2**63 - 1)


def train(
    config: TrainConfig,
    run_dir: str | Path,
    should_stop: Callable[[], bool] = lambda: False,
    scorer: CheckpointScorer | None = None,
) -> Iterator[Event]:
    """Train (or resume) the run in ``run_dir``; see ``events.py`` for what is yielded.

    ``scorer`` (see ``scoring.py``) scores every checkpoint on the validation clips, lower is better; the
    best so far is written to ``best.txt``. Without one (or without enough held-out clips) nothing is scored.

    Raises ``TrainingError`` (and the data/checkpoint errors) when training cannot start or continue.
    Under torchrun, every rank runs this; only rank 0 writes files, and all ranks yield the same events.
    """
    run_dir = Path(run_dir)
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    context = distributed.init_from_env(config.device)
    try:
        with run_folder_lock(run_dir) if context.is_main else contextlib.nullcontext():
            yield from _train(config, run_dir, should_stop, context, scorer)
    finally:
        distributed.shutdown(context)


def _train(config, run_dir: Path, should_stop, context, scorer=None) -> Iterator[Event]:
    stored = read_run_config(run_dir)
    resuming = stored is not None and checkpoints.latest_checkpoint(run_dir) is not None
    if stored is not None:
        config = reconcile(stored, config)
    preset = get_preset(config.preset)
    base_model = checkpoints.load_generator(config.init_from) if config.init_from else None
    mel = config.mel or (base_model.meta.mel if base_model else MEL_PRESETS[preset.mel_preset])
    if base_model and base_model.meta.mel != mel:
        raise TrainingError(
            f"{config.init_from}: its mel settings differ from the run's; fine-tune with its own"
        )

    def prepare():
        if is_pack(config.data_dir):
            return read_pack(config.data_dir, mel)[0]
        return prepare_dataset(
            config.data_dir, mel, cache_dir=config.cache_dir or None, val_fraction=config.val_fraction,
            seed=config.seed,
            should_stop=should_stop if not context.distributed else None,
        )

    try:
        data = prepare() if context.is_main else None
        distributed.barrier(context)
        if data is None:  # the cache is warm now: other ranks read it instead of decoding again
            data = prepare()
    except PreparationCancelled:
        yield Finished(step=0, reason="stopped", message="stopped while preparing the data")
        return
    genres = list(base_model.meta.genres) if base_model else []
    genres += [g for g in data.genres if g not in genres]
    if stored is not None and resuming:
        genres = _stored_genres(run_dir, genres)
    stored_architecture = _stored_extra(run_dir).get("architecture") if resuming else None
    codec, architecture = run_networks(config, preset, mel, len(genres), base_model, run_dir, resuming,
                                       stored_architecture)
    scoring, scoring_note = bind_scorer(scorer, mel, genres, data, config.seed)  # on the mels, not latents
    if codec is not None:
        data = encode_data(data, codec, context.device)
    if stored is None:  # record the values in force, so later preset changes cannot alter this run
        config = dataclasses.replace(
            config, batch_size=config.batch_size or preset.batch_size, lr_g=config.lr_g or preset.lr_g,
            lr_d=config.lr_d or preset.lr_d, mel=mel,
        )
        if context.is_main:
            extra = {"genres": genres, "mel_frames": mel.frames}
            if architecture:
                extra["architecture"] = architecture
            write_run_config(run_dir, config, extra)
    if context.is_main:
        write_skipped(run_dir, config.data_dir, data.summary.skipped)

    batch_size = config.batch_size or preset.batch_size
    torch.manual_seed(config.seed)  # the same initial weights for the same seed
    state = build_state(
        preset, mel, len(genres), config.lr_g or preset.lr_g, config.lr_d or preset.lr_d, context.device,
        codec=codec, architecture=architecture,
    )
    start_step, last_saved, spent = 0, None, {}
    if resuming:
        start_step, last_saved, spent = load_resume_state(state, run_dir, context.device)
    elif base_model is not None:
        start_from_checkpoint(state, base_model, genres)
    distributed.broadcast_parameters(state.generator, context)
    distributed.broadcast_parameters(state.discriminator, context)

    to_model = state.generator.from_unit
    source = BatchSource(
        data.train, label_map(data.genres, genres), batch_size, config.seed, context, to_model,
        draws_per_step=preset.n_critic,
    )
    if context.device.type == "cuda":  # small sets (latents, a user's folder) live on the GPU
        # Autotuned kernels may differ between runs: off when bit-exact resume was asked for.
        torch.backends.cudnn.benchmark = not torch.are_deterministic_algorithms_enabled()
        source.make_resident(RESIDENT_FRACTION * torch.cuda.mem_get_info(context.device)[0])
    total = config.steps
    yield Started(
        run_dir=str(run_dir), preset=preset.name, device=str(context.device), start_step=start_step,
        total_steps=total, resumed=resuming, data=data.summary, scoring=scoring_note,
    )
    if scoring is not None and resuming:
        scoring.resume_from(run_dir)
    if start_step >= total:
        yield Finished(step=start_step, reason="completed", checkpoint=last_saved)
        return

    metrics_log = MetricsLog(run_dir, start_step) if context.is_main else None
    # The genres asked for (those the run has), else the run's genres in order from the first.
    preview_genres = [g for g in config.preview_genres if g in genres][: config.preview_count] or [
        genres[i % len(genres)] for i in range(config.preview_count)
    ]
    preview_z = preview_latent(state.export_generator, config.seed, len(preview_genres), mel.frames,
                                context.device)
    window: dict[str, list[float]] = {}
    rate, wait_time, step_time = 0.0, 0.0, 0.0
    step = start_step
    clock = TrainingClock(spent)

    def save(at_step: int):
        return save_checkpoint(
            state, run_dir, at_step, config, genres, mel, context, clock, scoring, metrics_log
        )

    try:
        while step < total:
            stop = distributed.any_rank(bool(should_stop()), context)
            out_of_time = config.max_minutes is not None and distributed.any_rank(
                clock.remaining(config.max_minutes, config.budget_clock) == 0.0, context
            )
            if stop or out_of_time:
                path = last_saved if last_saved and _step_of(last_saved) == step else None
                if path is None and step > start_step:
                    path = yield from save(step)
                message = "" if stop else _budget_message(config)
                yield Finished(
                    step=step, reason="stopped" if stop else "completed", message=message,
                    checkpoint=path or last_saved,
                )
                return
            torch.manual_seed(_step_seed(config.seed, step, context.rank))
            started = time.perf_counter()
            source.begin_step(step)
            values = train_step(state, source.next_batch, step, context)
            elapsed = time.perf_counter() - started
            step += 1
            wait_time += source.take_wait_time()
            step_time += elapsed
            for key, value in values.items():
                window.setdefault(key, []).append(value)
            bad = _divergence(values, config.max_grad_norm)
            if distributed.any_rank(bad is not None, context):
                yield Finished(
                    step=step, reason="diverged",
                    message=(bad or "another process diverged") + _kept(last_saved),
                    checkpoint=last_saved,
                )
                return
            rate = 1.0 / elapsed if rate == 0 else 0.9 * rate + 0.1 / elapsed
            if step % config.log_every == 0 or step == total:
                losses = distributed.mean_over_ranks(
                    {k: float(np.mean(v)) for k, v in window.items()}, context
                )
                window.clear()
                wait_fraction = wait_time / step_time if step_time else 0.0
                if metrics_log:
                    spent_now = {f"{k}_seconds": round(v, 2) for k, v in clock.spent().items()}
                    metrics_log.write(step, {**losses, "steps_per_second": rate, **spent_now})
                eta = (total - step) / rate
                left = clock.remaining(config.max_minutes, config.budget_clock)
                eta = eta if left is None else min(eta, left)
                yield StepMetrics(step, total, losses, rate, eta, wait_fraction)
            if step % config.preview_every == 0 or step == total:
                mels = preview_mels(state, preview_z, preview_genres, genres, mel.frames)
                audio = invert(mels, mel) if context.is_main else None  # ~50 ms a 10-s clip
                yield Preview(step, mels, tuple(preview_genres), mel, audio)
            if step % config.checkpoint_every == 0 or step == total:
                last_saved = yield from save(step)
        yield Finished(step=step, reason="completed", checkpoint=last_saved)
    finally:
        if metrics_log:
            metrics_log.close()


def _stored_extra(run_dir: Path) -> dict:
    """What ``config.json`` records beside the settings (genres, architecture, ...)."""
    import json

    return json.loads((run_dir / "config.json").read_text(encoding="utf-8"))


def _stored_genres(run_dir: Path, fallback: list[str]) -> list[str]:
    stored = list(_stored_extra(run_dir).get("genres", fallback))
    missing = [g for g in fallback if g not in stored]
    if missing:
        raise TrainingError(
            f"cannot resume {run_dir}: the data folder now has genre(s) {', '.join(missing)} that the run "
            "was not started with; start a new run (or fine-tune from this one)"
        )
    return stored


def _step_of(path: str) -> int:
    return int(Path(path).name.split("_")[-1])


def _kept(last_saved: str | None) -> str:
    if last_saved:
        return f"; the last good checkpoint is kept: {last_saved}"
    return "; no checkpoint had been saved yet"


def _divergence(values: dict[str, float], max_grad_norm: float) -> str | None:
    for key, value in values.items():
        if not math.isfinite(value):
            return f"training diverged at a non-finite {key} ({value})"
    for key in ("d/grad_norm", "g/grad_norm"):
        if values.get(key, 0.0) > max_grad_norm:
            return f"training diverged: {key} = {values[key]:.3g} exceeds {max_grad_norm:.3g}"
    return None


def _budget_message(config: TrainConfig) -> str:
    clock = "CPU" if config.budget_clock == "cpu" else "wall-clock"
    return f"time budget reached ({config.max_minutes:g} min of {clock} time)"
