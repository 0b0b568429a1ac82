"""The CLI's sub-commands: argument definitions next to the code that runs them."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from ..config import BUDGET_CLOCKS, DEFAULT_PRESET, DEFAULT_STEPS, cadence_for
from ..paths import display_text
from . import arguments as bounded
from .arguments import parse_genre
from .errors import EXIT_FAILURE, CliError
from .models import model_dirs, model_label, resolve_model
from .progress import Bar, print_summary, run_training


def add_generate(sub) -> None:
    p = sub.add_parser("generate", help="generate a take and write it as WAV/FLAC/OGG")
    p.add_argument("--genre", required=True, help="a genre of the model, or a morph like 'jazz:0.7,rock:0.3'")
    p.add_argument("--model", help="model name (see 'melodygan list') or checkpoint folder")
    p.add_argument("--seconds", type=bounded.TAKE_SECONDS,
                   help="length in seconds, 1-600 (10; with --loop-bars and --bpm: what the loop needs)")
    p.add_argument("--seed", type=bounded.SEED, help="random seed (default: random, printed)")
    p.add_argument("--method", help="mel-to-audio method (see 'melodygan list')")
    p.add_argument("--threads", type=bounded.THREADS, default=0,
                   help="torch CPU threads (default: half the cores; at most 4 per core)")
    p.add_argument("-o", "--output", required=True, help="output file (.wav, .flac or .ogg)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.add_argument("--loop-bars", type=bounded.LOOP_BARS, metavar="N",
                   help="write N whole bars (1-256) from the first beat with loop points (.wav only)")
    p.add_argument("--bpm", type=bounded.BPM, help="tempo of the loop, 20-320 (default: estimated)")
    p.add_argument("--beats-per-bar", type=bounded.BEATS_PER_BAR, default=4, help="beats per bar, 1-16 (4)")
    p.set_defaults(handler=cmd_generate)


#: Seconds generated beyond what a loop needs at a given tempo: room for a late first beat and the seam.
LOOP_MARGIN_SECONDS = 1.0


def cmd_generate(args) -> int:
    from ..audio.inversion import DEFAULT_METHOD, available_methods
    from ..audio.io import write_audio
    from ..inference import generate
    from ..threads import set_torch_threads

    output = Path(args.output)
    if output.suffix.lower() not in (".wav", ".flac", ".ogg"):
        raise CliError(f"{output}: the output must end in .wav, .flac or .ogg")
    if output.exists() and not args.force:
        raise CliError(f"{output} exists; pass --force to overwrite it")
    if args.loop_bars is None and args.bpm is not None:
        raise CliError("--bpm is the tempo of a loop: pass --loop-bars N too")
    if args.loop_bars is not None and output.suffix.lower() != ".wav":
        raise CliError(f"{output}: loop points are written into WAV files only; use a .wav output")
    seconds = args.seconds if args.seconds is not None else _take_seconds(args)
    method = args.method or DEFAULT_METHOD
    if method not in available_methods():  # built-in and registered (plug-in) methods alike
        raise CliError(f"unknown method {method!r}; choose one of: {', '.join(available_methods())}")
    set_torch_threads(args.threads)
    genre = parse_genre(args.genre)
    model = resolve_model(args.model, genre)
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    with Bar(total=100, desc=f"generating {seconds:g} s", unit="%") as bar:
        take = generate(
            model, genre, seed=seed, seconds=seconds, method=method,
            progress=lambda f: bar.update_to(round(100 * f)),
        )
    if args.loop_bars is not None:
        return _write_loop(args, output, take, seed, model.name)
    write_audio(output, take.audio, take.sample_rate, metadata=take.metadata)
    print(display_text(
        f"wrote {output} ({take.genre_label}, seed {seed}, {seconds:g} s, model {model.name})"
    ))
    return 0


def _take_seconds(args) -> float:
    """The take's length when --seconds is not given: what the loop needs at a given tempo, else 10 s."""
    if args.loop_bars is None or args.bpm is None:
        return 10.0
    from ..audio.loops import LoopSpec

    needed = LoopSpec(args.bpm, args.loop_bars, args.beats_per_bar).seconds + LOOP_MARGIN_SECONDS
    if needed > 600.0:
        raise CliError(f"{args.loop_bars} bar(s) at {args.bpm:g} BPM need {needed:.0f} s; "
                       "a take is at most 600 s")
    return max(1.0, needed)


def _write_loop(args, output: Path, take, seed: int, model_name: str) -> int:
    """Cut the take to --loop-bars bars at --bpm (or the estimated tempo) from the first beat; write it."""
    from ..audio.loops import LoopSpec, write_loop_wav
    from ..evaluation.tempo import estimate_tempo

    estimate = estimate_tempo(take.audio, take.sample_rate)
    bpm = args.bpm if args.bpm is not None else (estimate.bpm if estimate else None)
    if bpm is None:
        raise CliError("no beat found in the take to estimate its tempo; pass --bpm")
    bpm = min(max(bpm, 20.0), 320.0)
    start = estimate.first_beat_seconds if estimate else 0.0
    spec = LoopSpec(bpm, args.loop_bars, args.beats_per_bar, start)
    have = len(take.audio) / take.sample_rate - start
    if round(start * take.sample_rate) + spec.frames(take.sample_rate) > len(take.audio):
        raise CliError(f"{spec.bars} bar(s) at {bpm:g} BPM need {spec.seconds:.2f} s from the first beat "
                       f"({start:.2f} s); the take has {have:.2f} s there: pass a longer --seconds")
    write_loop_wav(output, take.audio, take.sample_rate, spec, metadata=take.metadata)
    source = "given" if args.bpm is not None else "estimated"
    print(display_text(
        f"wrote {output} ({take.genre_label}, seed {seed}, model {model_name}): loop of {spec.bars} bar(s) "
        f"at {bpm:g} BPM ({source}), {spec.seconds:.2f} s from {start:.2f} s"
    ))
    return 0


def add_train(sub) -> None:
    p = sub.add_parser("train", help="train or fine-tune a generator on a folder of tracks")
    p.add_argument("data_dir", nargs="?", help="folder of tracks (sub-folders = genres)")
    p.add_argument("--preset", default=DEFAULT_PRESET, help="training recipe (see 'melodygan list')")
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
        preset = get_preset(args.preset)
        mel = None
        if args.clip_seconds:
            mel = MEL_PRESETS[preset.mel_preset].with_clip_seconds(args.clip_seconds)
        init_from = str(resolve_model(args.init_from, None).path) if args.init_from else None
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


def add_list(sub) -> None:
    p = sub.add_parser("list", help="list installed models with their genres, presets and methods")
    p.set_defaults(handler=cmd_list)


def cmd_list(args) -> int:
    from ..audio.inversion import DEFAULT_METHOD, available_methods
    from ..checkpoints import find_models
    from ..models.presets import PRESETS

    models = find_models(model_dirs())
    print("models:")
    if not models:
        print("  (none installed: train one with 'melodygan train DATA_DIR')")
    for info in models:
        origin = "bundled" if info.bundled else "user"
        print(display_text(f"  {model_label(info)}  [{origin}, {info.preset}]  {info.path}"))
        genres = [f"{g} ({info.genre_kinds[g]})" if g in info.genre_kinds else g for g in info.genres]
        print(display_text(f"    genres: {', '.join(genres)}"))
    print("presets:")
    for name, preset in PRESETS.items():
        print(f"  {name:18s} {preset.summary}")
    print("methods (mel to audio):")
    for name in available_methods():
        print(f"  {name}{'  (default)' if name == DEFAULT_METHOD else ''}")
    return 0


def add_export(sub) -> None:
    p = sub.add_parser(
        "export", help="export a run's best generator (else its newest; or a step folder) as a model"
    )
    p.add_argument("source", help="run folder or step folder")
    p.add_argument("--latest", action="store_true",
                   help="take the run's newest checkpoint, not the best-scored one (best.txt)")
    p.add_argument("destination", nargs="?", help="output folder (default: the user's models folder)")
    p.add_argument("--name", help="model name, a plain name, not a path (default: the run folder's name)")
    p.add_argument("--card", help="a Markdown model card to ship with it")
    p.add_argument("--force", action="store_true", help="replace an existing model of that name")
    p.add_argument("--half", action="store_true", help="store the weights as float16 (half the size)")
    p.add_argument("--genre-kinds", help="JSON object marking genres, e.g. '{\"jazz\": \"arranged\"}'")
    p.set_defaults(handler=cmd_export)


def cmd_export(args) -> int:
    from .. import paths
    from ..checkpoints import (
        META_NAME,
        best_checkpoint,
        check_model_name,
        export_checkpoint,
        latest_checkpoint,
        model_folder,
        read_best,
    )
    from ..checkpoints.files import read_regular_bytes

    source = Path(args.source)
    if not source.exists():
        raise CliError(f"{source}: no such run or checkpoint folder")
    chosen = ""
    if source.is_dir() and not (source / META_NAME).exists() and latest_checkpoint(source) is not None:
        best = None if args.latest else read_best(source)
        newest = latest_checkpoint(source) if args.latest else best_checkpoint(source)
        step_dir = best[0] if best else newest
        if best:
            score = "" if best[1] is None else f", held-out FD {best[1]:.4g}"
            chosen = f"the best checkpoint {step_dir.name}{score}"
        else:
            reason = "" if args.latest else " (no best.txt: the run's checkpoints were not scored)"
            chosen = f"the newest checkpoint {step_dir.name}{reason}"
        default_name = source.resolve().name
        source = step_dir
    else:
        default_name = source.resolve().name
    if args.name is not None:
        check_model_name(args.name)  # names are names, never paths
    if args.destination:
        destination = Path(args.destination)
    else:
        destination = model_folder(paths.user_models_dir(), args.name or default_name)
    card = None
    if args.card:
        try:  # a regular file only: a named pipe would block
            card = read_regular_bytes(Path(args.card), 1 << 20).decode("utf-8")
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise CliError(f"{args.card}: cannot be read as a card ({reason})") from None
    fields = None
    if args.genre_kinds:
        import json

        try:
            fields = {"genre_kinds": dict(json.loads(args.genre_kinds))}
        except (ValueError, TypeError):
            raise CliError("--genre-kinds must be a JSON object such as '{\"jazz\": \"arranged\"}'") from None
    out = export_checkpoint(
        source, destination, card=card, name=args.name, overwrite=args.force, card_fields=fields,
        half=args.half,
    )
    print(display_text(f"exported {out}" + (f" from {chosen}" if chosen else "")))
    return 0

