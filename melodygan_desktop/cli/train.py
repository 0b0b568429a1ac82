"""The ``train`` and ``prepare`` sub-commands: argument definitions next to the code that runs them."""

from __future__ import annotations

import sys
from pathlib import Path

from ..config import BUDGET_CLOCKS, DEFAULT_PRESET, DEFAULT_STEPS, cadence_for
from ..paths import display_text
from . import arguments as bounded
from .errors import EXIT_FAILURE, CliError
from .models import resolve_model
from .progress import Bar, print_summary, run_training


def add_train(sub) -> None:
    p = sub.add_parser("train", help="train or fine-tune a generator on a folder of tracks")
    p.add_argument("data_dir", nargs="?", help="folder of tracks (sub-folders = genres)")
    p.add_argument("--preset", help=f"training recipe (see 'melodygan list'; default: the --from model's, "
                                    f"else {DEFAULT_PRESET})")
    p.add_argument("--from", dest="init_from", help="fine-tune from this model (name or folder)")
    p.add_argument("--resume", help="continue the run in this folder")
    p.add_argument("--run-dir", help="where to write the run (default: a new folder under the user data)")
    p.add_argument("--steps", type=bounded.STEPS, help=f"total steps (default {DEFAULT_STEPS})")
    p.add_argument("--batch-size", type=bounded.BATCH_SIZE, help="clips per step (default: the preset's)")
    p.add_argument("--lr-g", type=bounded.LEARNING_RATE)
    p.add_argument("--lr-d", type=bounded.LEARNING_RATE)
    p.add_argument("--clip-seconds", type=bounded.CLIP_SECONDS,
                   help="clip length, 0.5-60 (default: the preset's, 10 or 5 s)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--threads", type=bounded.THREADS, default=0,
                   help="torch CPU threads (default: half the cores; at most 4 per core)")
    p.add_argument("--seed", type=bounded.SEED, default=0)
    # A new run's cadences follow its step count (config.cadence_for); given with --resume they replace the
    # run's stored ones.
    p.add_argument("--checkpoint-every", type=bounded.EVERY,
                   help=f"steps between checkpoints ({_by_steps('checkpoint_every')})")
    p.add_argument("--preview-every", type=bounded.EVERY,
                   help=f"steps between previews ({_by_steps('preview_every')})")
    p.add_argument("--keep-last", type=bounded.KEEP_LAST, help=f"checkpoints kept ({_default('keep_last')})")
    p.add_argument("--log-every", type=bounded.EVERY,
                   help=f"steps between logged losses ({_by_steps('log_every')})")
    p.add_argument("--cache-dir", help="mel cache folder (default: the user cache, which prepare fills)")
    p.add_argument("--val-fraction", type=bounded.FRACTION, default=0.1,
                   help="tracks held out for validation (0.1)")
    p.add_argument(
        "--max-minutes", type=bounded.MINUTES,
        help="stop (with a checkpoint) after this much training time, summed over resumes",
    )
    p.add_argument(
        "--budget-clock", choices=BUDGET_CLOCKS,
        help="what --max-minutes counts: wall-clock time (default) or this process's CPU time",
    )
    p.add_argument("--codec", help="melodygan-latent: mel codec (codec or model folder) of a new run "
                                   "(default: the bundled model's)")
    p.add_argument("--no-best", action="store_true",
                   help="do not score checkpoints on held-out clips (no best.txt; export takes the newest)")
    p.set_defaults(handler=cmd_train)


CADENCES = ("checkpoint_every", "preview_every", "keep_last", "log_every")


def _default(name: str):
    from ..config import TrainConfig

    return TrainConfig.__dataclass_fields__[name].default


def _by_steps(name: str) -> str:
    return f"default: by the step count, {cadence_for(DEFAULT_STEPS)[name]} for {DEFAULT_STEPS} steps"


def _cadences(args, fallback: dict) -> dict:
    """The cadence settings given on the command line, else ``fallback``'s."""
    given = {name: getattr(args, name) for name in CADENCES}
    return {name: value if value is not None else fallback[name] for name, value in given.items()}


def cmd_train(args) -> int:
    import dataclasses
    import time

    from .. import paths
    from ..config import MEL_PRESETS, TrainConfig
    from ..data.pack import is_pack
    from ..models.presets import get_preset
    from ..threads import default_threads
    from ..training.run_folder import read_run_config

    if args.resume:
        run_dir = Path(args.resume)
        stored = read_run_config(run_dir)
        if stored is None:
            raise CliError(f"{run_dir}: not a run folder (no config.json)")
        config = dataclasses.replace(
            stored, steps=args.steps or stored.steps, device=args.device,
            **_cadences(args, {name: getattr(stored, name) for name in CADENCES}),
            threads=args.threads or default_threads(),
            max_minutes=stored.max_minutes if args.max_minutes is None else args.max_minutes,
            budget_clock=args.budget_clock or stored.budget_clock,
        )
    else:
        if not args.data_dir:
            raise CliError("give a DATA_DIR to train on, or --resume RUN_FOLDER")
        if not Path(args.data_dir).is_dir() and not is_pack(args.data_dir):
            raise CliError(f"{args.data_dir}: no such folder (or data pack)")
        base = resolve_model(args.init_from, None) if args.init_from else None
        init_from = str(base.path) if base else None
        preset = get_preset(args.preset or (base.meta.preset if base else DEFAULT_PRESET))
        mel = None
        if args.clip_seconds:
            mel = MEL_PRESETS[preset.mel_preset].with_clip_seconds(args.clip_seconds)
        steps = args.steps or DEFAULT_STEPS
        by_steps = {**cadence_for(steps), "keep_last": _default("keep_last")}
        config = TrainConfig(
            data_dir=str(Path(args.data_dir).resolve()), preset=preset.name, steps=steps,
            batch_size=args.batch_size, lr_g=args.lr_g, lr_d=args.lr_d, mel=mel, device=args.device,
            threads=args.threads or default_threads(), seed=args.seed, init_from=init_from,
            **_cadences(args, by_steps), cache_dir=args.cache_dir, val_fraction=args.val_fraction,
            max_minutes=args.max_minutes, budget_clock=args.budget_clock or "wall",
            codec=str(Path(args.codec).resolve()) if args.codec else None,
        )
        stamp = time.strftime("%Y%m%d-%H%M%S")
        run_dir = Path(args.run_dir) if args.run_dir else paths.runs_dir() / f"{preset.name}-{stamp}"
    scorer = None
    if not args.no_best:
        from ..evaluation.checkpoint_score import HeldOutScorer

        scorer = HeldOutScorer()
    finished = run_training(config, run_dir, scorer=scorer)
    if finished.reason == "diverged":
        print(f"melodygan: training stopped: {finished.message}", file=sys.stderr)
        return EXIT_FAILURE
    return 0


def add_prepare(sub) -> None:
    p = sub.add_parser("prepare", help="decode a folder into the mel cache and report what is usable")
    p.add_argument("data_dir")
    p.add_argument("--preset", default=DEFAULT_PRESET, help="whose mel settings to use")
    p.add_argument("--clip-seconds", type=bounded.CLIP_SECONDS, help="clip length, 0.5-60 s")
    p.add_argument("--cache-dir", help="mel cache folder (default: the user cache, which train reads)")
    p.add_argument("--threads", type=bounded.THREADS, default=0)
    p.add_argument("--pack", metavar="FILE.npz",
                   help="also write the prepared clips into one data pack (train on another machine with it)")
    p.add_argument("--max-clips", type=bounded.MAX_CLIPS,
                   help="with --pack: at most this many training clips, as many from each genre")
    p.add_argument("--val-fraction", type=bounded.FRACTION, default=0.1,
                   help="tracks held out for validation (0.1)")
    p.set_defaults(handler=cmd_prepare)


def cmd_prepare(args) -> int:
    from ..config import MEL_PRESETS
    from ..data.prepared import prepare_dataset
    from ..models.presets import get_preset
    from ..threads import set_torch_threads

    if not Path(args.data_dir).is_dir():
        raise CliError(f"{args.data_dir}: no such folder")
    set_torch_threads(args.threads)
    mel = MEL_PRESETS[get_preset(args.preset).mel_preset]
    if args.clip_seconds:
        mel = mel.with_clip_seconds(args.clip_seconds)
    with Bar(total=None, desc="preparing", unit="file") as bar:
        def progress(done: int, total: int, name: str) -> None:
            bar.total = total
            bar.set_postfix_str(display_text(Path(name).name)[-40:])
            bar.update_to(done)

        data = prepare_dataset(
            args.data_dir, mel, cache_dir=args.cache_dir, val_fraction=args.val_fraction, seed=0,
            progress=progress,
        )
    print_summary(data.summary)
    if args.pack:
        from ..data.pack import write_pack

        out = write_pack(data, mel, args.pack, max_clips=args.max_clips)
        print(f"data pack: {out} ({out.stat().st_size / 2**20:.1f} MiB)")
    return 0
