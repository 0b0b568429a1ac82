"""``melodygan evaluate MODEL --data DIR``.

Heavy modules are imported inside the handlers so building the parser stays instant.
"""

from __future__ import annotations

import json
from pathlib import Path

from melodygan_desktop.cli.arguments import int_in, max_threads
from melodygan_desktop.config import MAX_SEED
from melodygan_lab.cli.classifier import cache_dir_of, file_bar


def add_evaluate_subparser(subparsers) -> None:
    """Register ``evaluate`` on the main CLI (dispatched via ``args.handler``)."""
    p = subparsers.add_parser(
        "evaluate",
        help="measure a generator: genre accuracy, Frechet and kernel distances, musicality, genre judge",
        description="Generate clips of every genre, ask the genre classifier what it hears, and measure "
        "Frechet and kernel distances of classifier embeddings against real test clips, next to the "
        "real-vs-real floor and the distance of real clips resynthesised through each mel-to-audio method. "
        "Then turn the takes into audio and set them beside real test audio: musicality yardsticks and the "
        "accuracy of an independent genre judge that listens to audio features. Real test audio also goes "
        "through every mel-to-audio method: spectral distances to the original, speed and genre accuracy; "
        "so do the generated takes: how much of their mel each method keeps, genre accuracy, musicality.",
    )
    p.add_argument("model", metavar="MODEL", help="model name (see 'melodygan list') or checkpoint folder")
    p.add_argument(
        "--data", required=True, metavar="DIR", help="corpus folder (its test split) or genre folder"
    )
    p.add_argument("--split", default="test", choices=("train", "validation", "test"), help="default: test")
    p.add_argument("--classifier", metavar="PATH", help="classifier folder (default: the bundled one)")
    p.add_argument(
        "--judge", metavar="DIR", help="genre judge folder (default: the bundled one, when installed)"
    )
    p.add_argument("--no-judge", action="store_true", help="skip the genre judge")
    p.add_argument(
        "--no-musicality", action="store_true", help="skip the musicality yardsticks (real vs generated)"
    )
    p.add_argument("--per-genre", type=int_in(2, 1000), default=32, metavar="N",
                   help="generated clips per genre (32)")
    p.add_argument(
        "--method",
        action="append",
        help="mel-to-audio method(s) to measure (repeatable; default: every available one)",
    )
    p.add_argument("--vocoder", metavar="DIR",
                   help="measure this vocoder (or vocoder run: its newest checkpoint) as 'vocoder'")
    p.add_argument("--method-clips", type=int_in(0, 1000), metavar="N", help="real audio clips and generated "
                   "takes per genre for the mel-to-audio methods section (default: --per-genre, at most 8; 0 "
                   "skips it)")
    p.add_argument(
        "--no-resynthesis",
        action="store_true",
        help="skip the resynthesised-real distances and the mel-to-audio methods section (the real-audio "
        "figures do not depend on the model, so one run per data set and seed is enough)",
    )
    p.add_argument("--genre", action="append", metavar="NAME", dest="genres",
                   help="evaluate only this genre of the model (repeatable; e.g. a fine-tuning folder's)")
    p.add_argument("--seed", type=int_in(0, MAX_SEED), default=0)
    p.add_argument("--json", metavar="OUT", help="write the full report as JSON")
    p.add_argument("--markdown", metavar="OUT", help="write the Markdown table to a file too")
    p.add_argument("--cache-dir", help="mel cache folder (default: the user cache)")
    p.add_argument("--threads", type=int_in(0, max_threads), default=0,
                   help="torch CPU threads (default: half the cores)")
    p.set_defaults(handler=cmd_evaluate)


class StageBars:
    """One tqdm bar per stage of ``progress(stage, done, total)`` callbacks."""

    def __init__(self) -> None:
        self.stage: str | None = None
        self.bar = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        from melodygan_desktop.cli.progress import Bar

        if stage != self.stage:
            self.close()
            self.stage, self.bar = stage, Bar(total=total, desc=stage, unit="clip")
        self.bar.total = total
        self.bar.update_to(done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        self.bar = None


def _judge(args):
    """The judge ``evaluate`` listens with: ``--judge``, else the bundled one if installed, else None."""
    from melodygan_desktop.cli.errors import CliError
    from melodygan_lab.evaluation.judge_files import bundled_judge_path, load_judge

    if args.no_judge:
        return None
    if args.judge:
        if not Path(args.judge).exists():
            raise CliError(f"{args.judge}: no such judge folder")
        return load_judge(args.judge)
    bundled = bundled_judge_path()
    return load_judge(bundled) if bundled.exists() else None


def _real_audio_folder(data: str, split: str) -> Path:
    """The folder whose audio the real clips come from: the split folder of a corpus, else ``data``."""
    from melodygan_lab.evaluation.data import is_split_corpus, split_folder

    folder = split_folder(data, split) if is_split_corpus(data) else None
    return folder if folder is not None else Path(data)


def cmd_evaluate(args) -> int:
    from melodygan_desktop.checkpoints.files import atomic_write_bytes
    from melodygan_desktop.cli.errors import CliError
    from melodygan_desktop.cli.models import resolve_model
    from melodygan_desktop.evaluation.classifier_files import bundled_classifier_path, load_classifier
    from melodygan_desktop.threads import set_torch_threads
    from melodygan_lab.evaluation.data import load_split
    from melodygan_lab.evaluation.markdown import report_markdown
    from melodygan_lab.evaluation.methods_report import register_vocoders
    from melodygan_lab.evaluation.report import evaluate_model

    if not Path(args.data).is_dir():
        raise CliError(f"{args.data}: no such folder")
    if args.per_genre < 2:
        raise CliError("--per-genre must be at least 2")
    set_torch_threads(args.threads)
    classifier_path = Path(args.classifier) if args.classifier else bundled_classifier_path()
    if not args.classifier and not classifier_path.exists():
        raise CliError(
            f"no bundled classifier at {classifier_path}: train one with "
            "'melodygan classifier train DATA_DIR -o OUT' and pass --classifier OUT"
        )
    classifier = load_classifier(classifier_path)
    judge = _judge(args)
    if not register_vocoders(args.vocoder) and args.vocoder:  # the bundled one joins when installed
        raise CliError(f"{args.vocoder}: not a vocoder folder or vocoder run")
    model = resolve_model(args.model, None)
    unknown = [g for g in args.genres or () if g not in model.meta.genres]
    if unknown:
        raise CliError(
            f"cannot evaluate {', '.join(unknown)}: {args.model} makes {', '.join(model.meta.genres)}"
        )
    bar, progress = file_bar(f"reading {args.split} clips")
    with bar:
        real = load_split(
            args.data, model.meta.mel, args.split, cache_dir=cache_dir_of(args), progress=progress
        )
    bars = StageBars()
    try:
        report = evaluate_model(
            model,
            classifier,
            real,
            args.per_genre,
            [] if args.no_resynthesis else args.method,
            seed=args.seed,
            judge=judge,
            real_audio=_real_audio_folder(args.data, args.split),
            musicality=not args.no_musicality,
            method_clips=args.method_clips,
            only_genres=args.genres,
            progress=bars,
        )
    finally:
        bars.close()
    text = report_markdown(report)
    print(text)
    if args.json:
        payload = json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        atomic_write_bytes(Path(args.json), payload.encode("utf-8"))
        print(f"wrote {args.json}")
    if args.markdown:
        atomic_write_bytes(Path(args.markdown), text.encode("utf-8"))
        print(f"wrote {args.markdown}")
    return 0


__all__ = ["add_evaluate_subparser", "cmd_evaluate"]
