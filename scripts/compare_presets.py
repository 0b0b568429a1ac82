"""Train every preset on the same data with the same CPU budget, evaluate each, and rank them.

Usage: python scripts/compare_presets.py CORPUS --out DIR [--genre metal] [--cpu-minutes 15] [--jobs 2]

``CORPUS`` is a folder made by ``melodygan corpus build`` (train/ and test/ splits). With ``--genre`` every
preset trains on that genre only (one model per genre, as both papers do), so "heard as asked" applies to
the unconditional presets too. Each run stops at ``--cpu-minutes`` of its own CPU time (``--budget-clock
cpu``: fair when runs share cores) and the budget holds across interruptions: run the same command again to
finish what was cut off. Writes ``DIR/<preset>/`` (run), ``DIR/<preset>.eval.json``, ``DIR/comparison.md``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from melodygan_desktop.models.presets import PRESETS
from melodygan_lab.evaluation.comparison import comparison_markdown, row_from_run

CLI = [sys.executable, "-m", "melodygan_desktop.cli"]


def training_data(corpus: Path, genre: str | None, out: Path) -> Path:
    if genre is None:
        return corpus / "train"
    source = corpus / "train" / genre
    if not source.is_dir():
        sys.exit(f"{source}: no such genre folder")
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    link = data / genre
    if not link.exists():
        link.symlink_to(source.resolve(), target_is_directory=True)
    return data


def train(preset: str, data: Path, args) -> int:
    run = args.out / preset
    common = ["--max-minutes", str(args.cpu_minutes), "--budget-clock", "cpu", "--threads", "1",
              "--device", "cpu"]  # fmt: skip
    if (run / "config.json").exists():
        command = [*CLI, "train", "--resume", str(run), *common]
    else:
        command = [
            *CLI, "train", str(data), "--preset", preset, "--run-dir", str(run), "--steps", "100000000",
            "--val-fraction", "0", "--seed", str(args.seed), "--checkpoint-every", str(args.checkpoint_every),
            "--keep-last", "2", "--log-every", "5", "--preview-every", "100000000", *common,
        ]  # fmt: skip
        if args.cache_dir:
            command += ["--cache-dir", str(args.cache_dir)]
    with open(args.out / f"{preset}.log", "a", encoding="utf-8") as log:
        return subprocess.call(command, stdout=log, stderr=subprocess.STDOUT)


def evaluate(preset: str, args) -> Path:
    report = args.out / f"{preset}.eval.json"
    command = [
        *CLI, "evaluate", str(args.out / preset), "--data", str(args.corpus),
        "--per-genre", str(args.per_genre), "--no-resynthesis", "--seed", str(args.seed),
        "--json", str(report), "--threads", "1",
    ]  # fmt: skip
    if args.cache_dir:
        command += ["--cache-dir", str(args.cache_dir)]
    with open(args.out / f"{preset}.log", "a", encoding="utf-8") as log:
        if subprocess.call(command, stdout=log, stderr=subprocess.STDOUT) != 0:
            raise SystemExit(f"evaluating {preset} failed; see {args.out / f'{preset}.log'}")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--genre", help="train on this genre only (default: all genres)")
    parser.add_argument("--presets", nargs="+", default=sorted(PRESETS), help="default: all")
    parser.add_argument("--cpu-minutes", type=float, default=15.0, help="CPU time per preset (15)")
    parser.add_argument("--jobs", type=int, default=1, help="runs at once, one core each (1)")
    parser.add_argument("--per-genre", type=int, default=24, help="clips per genre to evaluate (24)")
    parser.add_argument(
        "--checkpoint-every", type=int, default=10, help="steps (10: big presets take a minute a step on CPU)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", type=Path)
    args = parser.parse_args()
    unknown = [p for p in args.presets if p not in PRESETS]
    if unknown:
        parser.error(f"unknown preset(s): {', '.join(unknown)}")
    args.out.mkdir(parents=True, exist_ok=True)
    data = training_data(args.corpus, args.genre, args.out)

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        codes = dict(zip(args.presets, pool.map(lambda p: train(p, data, args), args.presets), strict=True))
    rows = []
    for preset in args.presets:
        if codes[preset] != 0:
            print(f"{preset}: training failed (exit {codes[preset]}); see {args.out / f'{preset}.log'}")
            continue
        report = json.loads(evaluate(preset, args).read_text(encoding="utf-8"))
        rows.append(row_from_run(args.out / preset, report))
    text = comparison_markdown(rows)
    (args.out / "comparison.md").write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
