"""``melodygan vocoder train DATA`` and ``melodygan vocoder export RUN -o DIR``: the neural mel-to-audio
method, trained on a folder of tracks with the app's mel settings."""

from __future__ import annotations

import json
import signal
import sys
from datetime import datetime
from pathlib import Path

from ..config import MAX_STEPS
from ..paths import display_text
from . import arguments as bounded
from .errors import CliError
from .progress import Bar

VOCODER_BATCH = bounded.int_in(1, 1024)
SEGMENT_FRAMES = bounded.int_in(4, 512)
CLIPS_PER_TRACK = bounded.int_in(1, 100_000)
#: Length of the clips read from each track: longer than any segment, short enough for short tracks.
CLIP_SECONDS = 2.0


def add_vocoder(sub) -> None:
    vocoder = sub.add_parser("vocoder", help="the neural mel-to-audio method (train, export)")
    actions = vocoder.add_subparsers(dest="vocoder_command", metavar="ACTION", required=True)
    p = actions.add_parser(
        "train",
        help="train a vocoder on a folder of tracks (resumes a run folder that has checkpoints)",
        description="Train the mel-to-audio network on real audio with the app's mel settings "
        "(22.05 kHz, n_fft 2048, hop 512, 128 mels): mel and multi-resolution STFT losses, then a "
        "multi-resolution spectrogram critic. Checkpoints go to --run-dir; running the same command again "
        "continues from the newest one.",
    )
    p.add_argument("data", help="folder of tracks (sub-folders = genres; a corpus' train folder)")
    p.add_argument("--run-dir", help="run folder (default: a new folder under the user data)")
    p.add_argument("--steps", type=bounded.STEPS, default=100_000, help="total steps (default 100000)")
    p.add_argument("--max-minutes", type=bounded.MINUTES,
                   help="stop (with a checkpoint) after this much training time, summed over resumes")
    p.add_argument("--budget-clock", choices=("wall", "cpu"), default="wall",
                   help="what --max-minutes counts: wall-clock time (default) or this process's CPU time")
    p.add_argument("--batch-size", type=VOCODER_BATCH, default=8, help="segments per step, 1-1024 (8)")
    p.add_argument("--segment-frames", type=SEGMENT_FRAMES, default=32,
                   help="mel frames per segment, 4-512 (32, about 0.74 s)")
    p.add_argument("--adversarial-from", type=bounded.int_in(0, MAX_STEPS), default=4000,
                   help="step from which the critic trains and judges (4000)")
    p.add_argument("--clips-per-track", type=CLIPS_PER_TRACK, default=300,
                   help=f"at most this many {CLIP_SECONDS:g}-s clips from each track, spread over it (300)")
    p.add_argument("--checkpoint-every", type=bounded.EVERY, default=500, help="steps between checkpoints")
    p.add_argument("--keep-last", type=bounded.KEEP_LAST, default=3, help="checkpoints kept (3)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--threads", type=bounded.THREADS, default=0,
                   help="torch CPU threads (default: half the cores; at most 4 per core)")
    p.add_argument("--seed", type=bounded.SEED, default=0)
    p.set_defaults(handler=cmd_vocoder_train)

    e = actions.add_parser("export", help="write a run's newest checkpoint as a vocoder folder")
    e.add_argument("run", help="vocoder run folder or one of its step folders")
    e.add_argument("-o", "--output", required=True, help="vocoder folder to write")
    e.add_argument("--half", action="store_true", help="float16 weights (half the size)")
    e.set_defaults(handler=cmd_vocoder_export)


def cmd_vocoder_train(args) -> int:
    import dataclasses

    from .. import paths
    from ..checkpoints.vocoder_files import vocoder_checkpoints
    from ..config import MEL_PRESETS
    from ..data.audio_clips import load_audio_clips
    from ..threads import prepare_workers, set_torch_threads
    from ..training.distributed import resolve_device
    from ..training.vocoder_training import VocoderRecipe, train_vocoder

    data_dir = Path(args.data)
    if not data_dir.is_dir():
        raise CliError(f"{args.data}: no such folder")
    run_dir = Path(args.run_dir) if args.run_dir else paths.runs_dir() / datetime.now().strftime(
        "vocoder-%Y%m%d-%H%M%S")
    set_torch_threads(args.threads)
    mel = dataclasses.replace(MEL_PRESETS["paper000-10s"], clip_seconds=CLIP_SECONDS)
    with Bar(total=None, desc="reading audio", unit="track") as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update_to(done)

        data = load_audio_clips(data_dir, mel, seed=args.seed, max_clips_per_track=args.clips_per_track,
                                workers=prepare_workers(), progress=progress)
    print(f"{len(data.train)} training clips, {len(data.val)} validation clips ({data.minutes:.0f} min)")
    for path, reason in data.skipped[:20]:
        print(display_text(f"skipped {path}: {reason}"))
    if len(data.skipped) > 20:
        print(f"... and {len(data.skipped) - 20} more skipped")
    recipe = VocoderRecipe(batch=args.batch_size, segment_frames=args.segment_frames,
                           adversarial_from=args.adversarial_from, seed=args.seed)
    device = resolve_device(args.device)
    done = vocoder_checkpoints(run_dir)
    if done:  # the run keeps the recipe, shape and mel settings it started with
        print(display_text(f"resuming the vocoder run in {run_dir} from {done[-1].name} on {device} "
                           "(with the recipe it started with)"))
    else:
        print(display_text(f"training the vocoder on {device} in {run_dir}"))
    last = None
    stop = {"requested": False}

    def on_interrupt(_signum, _frame) -> None:
        if stop["requested"]:
            raise KeyboardInterrupt
        stop["requested"] = True
        print("stopping after this step (Ctrl+C again to abort without saving)", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        with Bar(total=args.steps, desc="vocoder", unit="step") as bar:
            for progress_ in train_vocoder(
                data, mel, run_dir, steps=args.steps, recipe=recipe, device=device,
                max_minutes=args.max_minutes, budget_clock=args.budget_clock,
                checkpoint_every=args.checkpoint_every, keep_last=args.keep_last,
                should_stop=lambda: stop["requested"],
            ):
                bar.update_to(progress_.step)
                shown = {k: round(v, 3) for k, v in progress_.losses.items()}
                shown.update({f"val_{k}": round(v, 3) for k, v in progress_.val.items()})
                bar.set_postfix_str(" ".join(f"{k}={v}" for k, v in shown.items()))
                if progress_.checkpoint is not None:
                    bar.write(display_text(f"saved {progress_.checkpoint} {json.dumps(progress_.val)}"))
                last = progress_
    finally:
        signal.signal(signal.SIGINT, previous)
    if last is not None and last.checkpoint is not None:
        print(display_text(f"checkpoint: {last.checkpoint} (step {last.step}); val {json.dumps(last.val)}"))
    return 0


def cmd_vocoder_export(args) -> int:
    from ..checkpoints.files import check_replaceable
    from ..checkpoints.vocoder_files import load_vocoder, save_vocoder

    try:
        check_replaceable(Path(args.output))
    except FileExistsError as exc:
        raise CliError(str(exc.strerror)) from None
    vocoder, mel, meta = load_vocoder(args.run)
    out = save_vocoder(vocoder, args.output, mel, meta.get("metrics"), half=args.half)
    print(display_text(f"vocoder written to {out}"))
    return 0
