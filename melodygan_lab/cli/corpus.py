"""``melodygan corpus build DIR`` and ``melodygan corpus deps``: the command-line face of the builder."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from melodygan_lab.corpus.errors import CorpusError
from melodygan_lab.corpus.split import DEFAULT_FRACTIONS, SPLITS
from melodygan_lab.corpus.tables import TIERS

#: Debian packages with the renderers (installing them is the one step that needs root).
APT_PACKAGES = ("openmpt123", "fluidsynth", "fluid-soundfont-gm", "mma", "sox", "timidity")
INSTALL_COMMAND = ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES]


def _fractions(text: str) -> tuple[float, float, float]:
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: expected three numbers like 0.7,0.15,0.15") from exc
    if len(values) != 3 or min(values) < 0 or abs(sum(values) - 1.0) > 1e-6:
        raise argparse.ArgumentTypeError(f"{text!r}: three non-negative fractions summing to 1")
    return values  # type: ignore[return-value]


def _number(kind: type, low: float, high: float):
    """An argparse ``type``: a ``kind`` (int or float) in ``low..high``, refused with the bound otherwise."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not low <= value <= high:  # NaN fails too
            raise argparse.ArgumentTypeError(f"must be {low:g} to {high:g}, got {text}")
        return value

    return parse


def add_corpus_subparser(subparsers) -> argparse.ArgumentParser:
    """Add ``corpus build`` and ``corpus deps`` to the main CLI; both dispatch via ``args.handler``."""
    corpus = subparsers.add_parser("corpus", help="build the open genre corpus from Debian music packages")
    commands = corpus.add_subparsers(dest="corpus_command", metavar="ACTION", required=True)
    build = commands.add_parser(
        "build", help="download, render and arrange the corpus into DIR (resumable)",
        description="Fetch freely licensed music with `apt-get download` (no root), render modules and MIDI, "
                    "generate MMA arrangements, split by track and write manifest + attribution into DIR. "
                    "Rerunning the command resumes where it stopped.")
    build.add_argument("directory", metavar="DIR", help="corpus folder (created; reused to resume)")
    build.add_argument("--tier", choices=TIERS, default="core",
                       help="core (about 1 GB of packages) or extended (several GB)")
    build.add_argument("--only", nargs="+", metavar="GENRE", dest="genres", help="build these genres only")
    build.add_argument("--jobs", type=_number(int, 1, 64), default=1, help="parallel renders (default 1)")
    build.add_argument("--seed", type=_number(int, 0, 2**63 - 1), default=0,
                       help="selection, split and arrangement seed")
    build.add_argument("--max-minutes", type=_number(float, 0.1, 100_000),
                       help="recorded minutes kept per genre (tier default)")
    build.add_argument("--songs", type=_number(int, 1, 10_000),
                       help="MMA songs per arranged genre (tier default)")
    build.add_argument("--song-seconds", type=_number(float, 5, 1200),
                       help="length of each MMA song (default 75)")
    build.add_argument("--split", type=_fractions, default=DEFAULT_FRACTIONS, metavar="TRAIN,VAL,TEST",
                       help="fractions of each genre's minutes (default 0.7,0.15,0.15)")
    build.add_argument("--arrange", nargs="+", default=[], metavar="GENRE",
                       help="also add MMA arrangements to these recorded genres (e.g. metal rock)")
    build.add_argument("--offline", action="store_true", help="use downloaded .deb files only")
    build.add_argument("--keep-extracted", action="store_true", help="keep unpacked packages in DIR/.work")
    build.set_defaults(handler=run_corpus_command)
    deps = commands.add_parser("deps", help="show (or install) the renderers the build needs")
    deps.add_argument("--install", action="store_true", help="run apt-get install (needs root)")
    deps.set_defaults(handler=run_corpus_command)
    return corpus


class _TqdmProgress:
    """One tqdm bar per stage, on stderr."""

    def __init__(self) -> None:
        self.bar = None
        self.stage = None

    def __call__(self, stage: str, done: int, total: int, message: str) -> None:
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total, desc=stage, unit="file", file=sys.stderr, dynamic_ncols=True)
        if self.bar is not None:
            self.bar.total = total
            self.bar.update(done - self.bar.n)
            self.bar.set_postfix_str(message[-40:], refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _deps(args: argparse.Namespace) -> int:
    from melodygan_lab.corpus.render import Tools

    tools = Tools.detect()
    missing = tools.missing()
    names = ("openmpt123", "fluidsynth", "mma", "sox", "fluid-soundfont-gm")
    print("renderers: " + ", ".join(f"{name} {'MISSING' if name in missing else 'ok'}" for name in names))
    print(f"optional: timidity {'ok' if tools.timidity else 'missing'} (MIDI fallback), "
          f"lmms {'ok' if tools.lmms else 'missing'} (renders LMMS demo projects)")
    print("install: sudo " + " ".join(INSTALL_COMMAND))
    if not args.install:
        return 0 if not missing else 1
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*prefix, "apt-get", "update"], check=False)
    return subprocess.run([*prefix, *INSTALL_COMMAND], check=False).returncode


def print_minutes(minutes: dict[str, dict[str, float]], kinds: dict[str, str]) -> None:
    columns = (*SPLITS, "total")
    print(f"{'genre':<12} {'kind':<9} " + " ".join(f"{s:>10}" for s in columns) + "  (minutes)")
    for genre, row in minutes.items():
        print(f"{genre:<12} {kinds.get(genre, ''):<9} " + " ".join(f"{row[s]:>10.1f}" for s in columns))


def run_corpus_command(args: argparse.Namespace) -> int:
    """Dispatch ``corpus build`` / ``corpus deps``; returns the exit code (errors print one line)."""
    if args.corpus_command == "deps":
        return _deps(args)
    from melodygan_lab.corpus.builder import build_corpus

    progress = _TqdmProgress()
    started = time.monotonic()
    try:
        result = build_corpus(
            args.directory, tier=args.tier, genres=args.genres, progress=progress, jobs=args.jobs,
            seed=args.seed, max_minutes_per_genre=args.max_minutes, songs_per_genre=args.songs,
            song_seconds=args.song_seconds, split_fractions=args.split, arrange=args.arrange,
            offline=args.offline,
            keep_extracted=args.keep_extracted,
        )
    except CorpusError as exc:
        progress.close()
        print(f"melodygan corpus: error: {exc}", file=sys.stderr)
        return 1
    progress.close()
    kinds = {}
    for record in result.records:
        kinds.setdefault(record.label, record.kind)
    minutes = sum(r.seconds for r in result.records) / 60
    print(f"corpus in {result.corpus_dir}: {len(result.records)} files, {minutes:.1f} min, "
          f"built in {time.monotonic() - started:.0f} s")
    print_minutes(result.minutes, kinds)
    if result.failed:
        print(f"{len(result.failed)} file(s) failed (see excluded.tsv):", file=sys.stderr)
        for package, source, reason in result.failed[:10]:
            print(f"  {package} {source}: {reason}", file=sys.stderr)
    return 0
