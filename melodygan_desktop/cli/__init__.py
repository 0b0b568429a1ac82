"""``melodygan``: the headless command line (generate, train, prepare, list, export, codec, evaluate,
classifier, judge, corpus).

Heavy modules are imported inside each command so ``melodygan --help`` answers at once.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..paths import display_text
from .errors import EXIT_FAILURE, EXIT_USAGE, CliError, known_errors


def build_parser() -> argparse.ArgumentParser:
    from ..corpus.cli import add_corpus_subparser
    from . import codec, commands, evaluate, judge, train

    parser = argparse.ArgumentParser(
        prog="melodygan",
        description="Generate music from genre-conditioned mel-spectrogram GANs, and train your own.",
    )
    parser.add_argument("--version", action="version", version=f"MELodyGAN Desktop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.add_generate(sub)
    train.add_train(sub)
    train.add_prepare(sub)
    commands.add_list(sub)
    commands.add_export(sub)
    codec.add_codec(sub)
    evaluate.add_evaluate_subparser(sub)
    judge.add_judge_subparser(sub)
    add_corpus_subparser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CliError as exc:
        print(f"melodygan: error: {display_text(str(exc), keep_newlines=True)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("melodygan: interrupted", file=sys.stderr)
        return 130
    except known_errors() as exc:
        # Messages name files and what they hold: shown with control characters escaped.
        print(f"melodygan: error: {display_text(str(exc), keep_newlines=True)}", file=sys.stderr)
        return EXIT_FAILURE


__all__ = ["EXIT_FAILURE", "EXIT_USAGE", "build_parser", "main"]
