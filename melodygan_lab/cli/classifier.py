"""``melodygan classifier train DATA_DIR -o OUT``: the genre classifier that ``evaluate`` listens with.

Heavy modules are imported inside the handler so building the parser stays instant.
"""

from __future__ import annotations

import sys
from pathlib import Path

from melodygan_desktop.cli.arguments import float_in, int_in, max_threads
from melodygan_desktop.config import MAX_BATCH_SIZE, MAX_CLIP_SECONDS, MAX_SEED
from melodygan_lab.cli.training_output import check_folders, print_test_result


def add_classifier_subparser(subparsers) -> None:
    """Register ``classifier train`` on the main CLI (dispatched via ``args.handler``)."""
    c = subparsers.add_parser("classifier", help="the genre classifier that 'evaluate' listens with")
    actions = c.add_subparsers(dest="classifier_command", metavar="ACTION", required=True)
    t = actions.add_parser(
        "train",
        help="train a genre classifier on a corpus or genre folder",
        description="Train on DATA_DIR/train, select on DATA_DIR/validation, report accuracy and confusion "
        "on DATA_DIR/test (a plain genre folder: held-out tracks serve as validation and test).",
    )
    t.add_argument("data_dir", metavar="DATA_DIR")
    t.add_argument("-o", "--output", required=True, help="classifier folder to write")
    t.add_argument("--epochs", type=int_in(1, 10000), default=40)
    t.add_argument("--batch-size", type=int_in(1, MAX_BATCH_SIZE), default=32)
    t.add_argument("--learning-rate", type=float_in(0.0, 1.0, low_open=True), default=2e-3)
    t.add_argument("--patience", type=int_in(1, 10000), default=8,
                   help="epochs without improvement before stopping")
    t.add_argument("--crop-frames", type=int_in(0, 4096), default=128,
                   help="training crop length (0 = whole clips)")
    t.add_argument("--clip-seconds", type=float_in(0.0, MAX_CLIP_SECONDS, low_open=True),
                   help="clip length (default 10, paper 000)")
    t.add_argument("--seed", type=int_in(0, MAX_SEED), default=0)
    t.add_argument("--cache-dir", help="mel cache folder (default: the user cache)")
    t.add_argument("--threads", type=int_in(0, max_threads), default=0,
                   help="torch CPU threads (default: half the cores)")
    t.add_argument("--force", action="store_true", help="replace an existing output folder")
    t.set_defaults(handler=cmd_classifier_train)


def cache_dir_of(args) -> Path:
    """``--cache-dir``, else the user cache."""
    from melodygan_desktop import paths

    return Path(args.cache_dir) if args.cache_dir else paths.cache_dir()


def file_bar(desc: str):
    """A bar over files read (``progress(done, total, name)``); restarts for each split folder."""
    from melodygan_desktop.cli.progress import Bar

    bar = Bar(total=None, desc=desc, unit="file")

    def progress(done: int, total: int, name: str) -> None:
        if done < bar.n:  # the next folder (split) started
            bar.reset(total=total)
        bar.total = total
        bar.set_postfix_str(Path(name).name[-40:], refresh=False)
        bar.update_to(done)

    return bar, progress


def cmd_classifier_train(args) -> int:
    from tqdm import tqdm

    from melodygan_desktop.cli.errors import CliError
    from melodygan_desktop.cli.progress import Bar
    from melodygan_desktop.config import MEL_PRESETS
    from melodygan_desktop.threads import set_torch_threads
    from melodygan_lab.evaluation.classifier_pipeline import train_classifier_folder
    from melodygan_lab.evaluation.train_classifier import ClassifierTrainConfig

    output = check_folders(args)
    threads = set_torch_threads(args.threads)
    mel = MEL_PRESETS["paper000-10s"]
    if args.clip_seconds:
        mel = mel.with_clip_seconds(args.clip_seconds)
    try:
        config = ClassifierTrainConfig(
            epochs=args.epochs,
            batch_size=args.batch_size,
            learning_rate=args.learning_rate,
            patience=args.patience,
            crop_frames=args.crop_frames,
            seed=args.seed,
        )
    except ValueError as exc:
        raise CliError(str(exc)) from None
    files_bar, file_progress = file_bar("reading clips")
    state: dict = {"bar": None, "epoch": 1}

    def batch_progress(done: int, total: int) -> None:
        if state["bar"] is None:
            files_bar.close()
            state["bar"] = Bar(total=total, desc=f"epoch {state['epoch']}/{config.epochs}", unit="batch")
        state["bar"].update_to(done)

    def epoch_progress(report) -> None:
        if state["bar"] is not None:
            state["bar"].close()
        state["bar"], state["epoch"] = None, report.epoch + 1
        val = report.validation
        shown = f"val acc {val.accuracy:.3f} bal {val.balanced_accuracy:.3f}" if val else "no validation"
        tqdm.write(
            f"epoch {report.epoch}: loss {report.train_loss:.4f}, {shown}, best {report.best_epoch} "
            f"({report.seconds:.0f} s)",
            file=sys.stderr,
        )

    try:
        build = train_classifier_folder(
            args.data_dir,
            output,
            mel=mel,
            config=config,
            cache_dir=cache_dir_of(args),
            file_progress=file_progress,
            epoch_progress=epoch_progress,
            batch_progress=batch_progress,
        )
    finally:
        files_bar.close()
        if state["bar"] is not None:
            state["bar"].close()
    test = build.test
    print(
        f"trained on {threads} thread(s) in {build.training.seconds:.0f} s (best epoch "
        f"{build.training.best_epoch}); clips read in {build.seconds_loading:.0f} s"
    )
    print_test_result(build.test_split, test, build.classifier.path)
    return 0


__all__ = ["add_classifier_subparser", "cache_dir_of", "cmd_classifier_train", "file_bar"]
