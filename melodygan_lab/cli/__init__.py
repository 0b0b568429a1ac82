"""The lab's commands: ``evaluate``, ``classifier train``, ``judge train``, ``corpus build|deps``.

Each module's ``add_*_subparser(subparsers)`` follows the product CLI's plug-in protocol
(``melodygan_desktop.cli.plugins``): ``pyproject.toml`` declares them as ``melodygan.commands`` entry
points, so ``melodygan evaluate ...`` works wherever the lab is installed. ``melodygan-lab`` (``main``) runs
the same commands without the product's. Nothing is imported here, so one broken command module cannot take
the others down.
"""

from __future__ import annotations

import argparse


def build_parser() -> argparse.ArgumentParser:
    from melodygan_desktop import __version__

    from .classifier import add_classifier_subparser
    from .corpus import add_corpus_subparser
    from .evaluate import add_evaluate_subparser
    from .judge import add_judge_subparser

    parser = argparse.ArgumentParser(
        prog="melodygan-lab",
        description="Build the open corpus, train the measuring models and evaluate generators.",
    )
    parser.add_argument("--version", action="version", version=f"MELodyGAN lab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in (add_evaluate_subparser, add_classifier_subparser, add_judge_subparser,
                     add_corpus_subparser):
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from melodygan_desktop.cli import run

    return run(build_parser(), argv)


__all__ = ["build_parser", "main"]
