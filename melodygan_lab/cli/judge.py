"""``melodygan judge train CORPUS -o DIR``: train the independent genre judge on audio features.

Heavy modules are imported inside the handler so building the parser stays instant.
"""

from __future__ import annotations

import sys

from melodygan_desktop.cli.arguments import float_in, int_in, max_threads
from melodygan_desktop.config import MAX_SEED
from melodygan_lab.cli.training_output import check_folders, print_test_result


def add_judge_subparser(subparsers) -> None:
    """Register ``judge train`` on the main CLI (dispatched via ``args.handler``)."""
    j = subparsers.add_parser(
        "judge", help="the independent genre judge (audio features) that 'evaluate' also listens with"
    )
    actions = j.add_subparsers(dest="judge_command", metavar="ACTION", required=True)
    t = actions.add_parser(
        "train",
        help="train a genre judge on a corpus or genre folder",
        description="Compute audio features (MFCC, chroma, spectral contrast, tempogram; not the log-mels) "
        "of every 10-s clip of CORPUS/train, train a small classifier, select it on CORPUS/validation and "
        "report its accuracy on CORPUS/test (a plain genre folder: held-out tracks serve as both).",
    )
    t.add_argument("data_dir", metavar="CORPUS")
    t.add_argument("-o", "--output", required=True, help="judge folder to write")
    t.add_argument(
        "--hidden", type=int_in(0, 4096), default=0,
        help="hidden units (default 0: multinomial logistic regression)",
    )
    t.add_argument("--dropout", type=float_in(0.0, 0.95), default=0.5,
                   help="dropout on the inputs (and hidden layer)")
    t.add_argument("--epochs", type=int_in(1, 100000), default=300)
    t.add_argument("--learning-rate", type=float_in(0.0, 1.0, low_open=True), default=3e-3)
    t.add_argument("--weight-decay", type=float_in(0.0, 1.0), default=1e-2)
    t.add_argument("--seed", type=int_in(0, MAX_SEED), default=0)
    t.add_argument("--threads", type=int_in(0, max_threads), default=0,
                   help="torch CPU threads (default: half the cores)")
    t.add_argument("--force", action="store_true", help="replace an existing output folder")
    t.set_defaults(handler=cmd_judge_train)


def cmd_judge_train(args) -> int:
    from tqdm import tqdm

    from melodygan_desktop.cli.errors import CliError
    from melodygan_desktop.cli.progress import Bar
    from melodygan_desktop.threads import set_torch_threads
    from melodygan_lab.evaluation.judge import JudgeArchitecture, JudgeTrainConfig
    from melodygan_lab.evaluation.judge_pipeline import train_judge_folder
    output = check_folders(args)
    threads = set_torch_threads(args.threads)
    try:
        config = JudgeTrainConfig(
            epochs=args.epochs,
            learning_rate=args.learning_rate,
            weight_decay=args.weight_decay,
            seed=args.seed,
            architecture=JudgeArchitecture(hidden=args.hidden, dropout=args.dropout),
        )
    except ValueError as exc:
        raise CliError(str(exc)) from None
    state: dict = {"bar": None, "split": None}

    def feature_progress(split: str, done: int, total: int) -> None:
        if state["split"] != split:
            if state["bar"] is not None:
                state["bar"].close()
            state["split"], state["bar"] = split, Bar(total=total, desc=f"features {split}", unit="track")
        state["bar"].update_to(done)

    def epoch_progress(epoch: int, loss: float, validation) -> None:
        if state["bar"] is not None:
            state["bar"].close()
            state["bar"] = None
        if epoch % 25 == 0 or epoch == 1:
            shown = f"val bal acc {validation.balanced_accuracy:.3f}" if validation else "no validation"
            tqdm.write(f"epoch {epoch}: loss {loss:.4f}, {shown}", file=sys.stderr)

    try:
        build = train_judge_folder(
            args.data_dir, output, config=config, progress=feature_progress, epoch_progress=epoch_progress
        )
    except ValueError as exc:
        raise CliError(str(exc)) from None
    finally:
        if state["bar"] is not None:
            state["bar"].close()
    test = build.test
    print(
        f"features in {build.seconds_features:.0f} s; trained on {threads} thread(s) in "
        f"{build.trained.seconds:.0f} s (best epoch {build.trained.best_epoch} of {build.trained.epochs_run})"
    )
    print_test_result(build.test_split, test, build.judge.path)
    return 0


__all__ = ["add_judge_subparser", "cmd_judge_train"]
