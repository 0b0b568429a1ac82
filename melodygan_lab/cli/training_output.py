"""What ``classifier train`` and ``judge train`` share: checking the folders before training, and printing
the held-out result after it."""

from __future__ import annotations

from pathlib import Path


def check_folders(args) -> Path:
    """The output folder of ``args`` once ``args.data_dir`` exists and the output is new (or ``--force``)."""
    from melodygan_desktop.cli.errors import CliError

    if not Path(args.data_dir).is_dir():
        raise CliError(f"{args.data_dir}: no such folder")
    output = Path(args.output)
    if output.exists() and not args.force:
        raise CliError(f"{output} exists; pass --force to replace it")
    return output


def print_test_result(split: str, test, written: Path) -> None:
    """Accuracy, balanced accuracy and the confusion table on the held-out ``split``, then where it went."""
    from melodygan_lab.evaluation.markdown import confusion_table

    print(f"{split}: accuracy {test.accuracy:.3f}, balanced {test.balanced_accuracy:.3f}, {test.clips} clips")
    print(confusion_table(test.confusion, list(test.genres)))
    print(f"wrote {written}")


__all__ = ["check_folders", "print_test_result"]
