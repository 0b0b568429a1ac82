"""What the hostile-input tests share: the CLI arguments of a tiny run, escape sequences, a deadline that
fails a test instead of hanging the suite, and a folder of the user's own files."""

from __future__ import annotations

import signal
from contextlib import contextmanager

TINY_TRAIN = ["--preset", "melodygan-v3", "--batch-size", "2", "--clip-seconds", "2", "--threads", "1",
              "--device", "cpu", "--checkpoint-every", "2", "--log-every", "1", "--preview-every", "1000"]
ESC_TITLE = "\x1b]0;pwned\x07"
ESC_CLEAR = "\x1b[2J"


@contextmanager
def deadline(seconds: int):
    """Fail (instead of hanging the suite) when the body runs longer than ``seconds``."""
    def expired(_signum, _frame):
        raise AssertionError(f"still running after {seconds} s: it hangs")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def user_files(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "thesis.txt").write_text("years of work")
    (folder / "photos").mkdir()
    (folder / "photos" / "cat.jpg").write_bytes(b"\xff\xd8 cat")
    return folder


def untouched(folder) -> bool:
    return (folder / "thesis.txt").read_text() == "years of work" and (folder / "photos" / "cat.jpg").exists()
