"""``melodygan``: the headless command line (generate, train, prepare, list, export, codec, vocoder),
plus the commands other installed packages declare in the ``melodygan.commands`` entry-point group
(``plugins``; the lab's evaluate, classifier, judge and corpus in a development install).

Heavy modules are imported inside each command so ``melodygan --help`` answers at once.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..paths import display_text
from .errors import EXIT_FAILURE, EXIT_USAGE, CliError, known_errors


def build_parser() -> argparse.ArgumentParser:
    from . import codec, commands, plugins, train, vocoder

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
    vocoder.add_vocoder(sub)
    plugins.add_plugin_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    return run(build_parser(), argv)


def run(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> int:
    """Parse ``argv`` and call the chosen command's handler; errors are printed as ``PROG: error: ...``."""
    prog = parser.prog
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CliError as exc:
        print(f"{prog}: error: {display_text(str(exc), keep_newlines=True)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except known_errors() as exc:
        # Messages name files and what they hold: shown with control characters escaped.
        print(f"{prog}: error: {display_text(str(exc), keep_newlines=True)}", file=sys.stderr)
        return EXIT_FAILURE


__all__ = ["EXIT_FAILURE", "EXIT_USAGE", "build_parser", "main", "run"]
