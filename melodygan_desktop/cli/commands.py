"""The CLI's generate, list and export sub-commands: argument definitions next to the code that runs them.

``train`` and ``prepare`` are in ``cli.train`` (re-exported here).
"""

from __future__ import annotations

import random
from pathlib import Path

from ..paths import display_text
from . import arguments as bounded
from .arguments import parse_genre
from .errors import CliError
from .models import model_dirs, model_label, resolve_model
from .progress import Bar
from .train import add_prepare, add_train, cmd_prepare, cmd_train  # noqa: F401  (re-exported)


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
    from ..audio.inversion import available_methods, default_method
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
    method = args.method or default_method()
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


def add_list(sub) -> None:
    p = sub.add_parser("list", help="list installed models with their genres, presets and methods")
    p.set_defaults(handler=cmd_list)


def cmd_list(args) -> int:
    from ..audio.inversion import available_methods, default_method
    from ..checkpoints import find_models
    from ..checkpoints.vocoder_method import register_vocoder_method
    from ..models.presets import PRESETS

    register_vocoder_method()  # the bundled vocoder, when installed

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
        print(f"  {name}{'  (default)' if name == default_method() else ''}")
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

