"""Terminal rendering: tqdm progress bars and the training event printer."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from tqdm import tqdm

from melodygan_desktop.paths import display_text


class Bar(tqdm):
    """A tqdm bar that can be moved to an absolute position (``update_to``)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("file", sys.stderr)
        kwargs.setdefault("dynamic_ncols", True)
        super().__init__(**kwargs)

    def update_to(self, value: float) -> None:
        self.update(value - self.n)

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        super().set_postfix_str(display_text(str(s)), refresh=refresh)


def print_summary(summary) -> None:
    """The data summary: tracks, minutes, clips per genre, and every skipped file with its reason."""
    print(f"{summary.tracks} tracks, {summary.seconds / 60:.1f} min, {summary.clips} clips "
          f"({summary.cache_hits} from the cache)")
    for genre in summary.genres:
        print(f"  {display_text(genre)}: {summary.clips_per_genre.get(genre, 0)} clips")
    if summary.skipped:
        print(f"skipped {len(summary.skipped)} file(s):")
        for path, reason in summary.skipped:
            print(f"  {display_text(path)}: {display_text(reason)}")


def run_training(config, run_dir: Path, scorer=None):
    """Drive ``train`` with a progress bar; Ctrl+C stops cleanly after the current step and saves."""
    from ..training.events import CheckpointSaved, Finished, Started, StepMetrics
    from ..training.loop import train

    stop = {"requested": False}

    def on_interrupt(_signum, _frame) -> None:
        if stop["requested"]:
            raise KeyboardInterrupt
        stop["requested"] = True
        tqdm.write("stopping after this step (Ctrl+C again to abort without saving)", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_interrupt)
    bar = None
    finished = None
    try:
        for event in train(config, run_dir, should_stop=lambda: stop["requested"], scorer=scorer):
            if isinstance(event, Started):
                main = _is_main()
                if main:
                    print_summary(event.data)
                    verb = "resuming" if event.resumed else "training"
                    since = f" from step {event.start_step}" if event.resumed else ""
                    print(display_text(f"{verb} {event.preset} on {event.device} in {event.run_dir}{since}"))
                    if event.scoring:
                        print(display_text(event.scoring))
                bar = Bar(total=event.total_steps, initial=event.start_step, desc="training", unit="step",
                          disable=not main)
            elif isinstance(event, StepMetrics) and bar is not None:
                bar.update_to(event.step)
                shown = {k: v for k, v in event.losses.items() if not k.endswith("grad_norm")}
                bar.set_postfix({k: f"{v:.3f}" for k, v in sorted(shown.items())}, refresh=False)
            elif isinstance(event, CheckpointSaved) and _is_main():
                score = "" if event.score is None else f" (held-out FD {event.score:.4g}"
                score += ", best so far)" if event.best else (")" if score else "")
                tqdm.write(display_text(f"saved {event.path}{score}"), file=sys.stderr)
            elif isinstance(event, Finished):
                finished = event
    finally:
        signal.signal(signal.SIGINT, previous)
        if bar is not None:
            bar.close()
    if finished and _is_main():
        detail = f": {finished.message}" if finished.message else ""
        print(display_text(f"{finished.reason} at step {finished.step}{detail}"))
        if finished.checkpoint:
            print(display_text(f"checkpoint: {finished.checkpoint}"))
    return finished


def _is_main() -> bool:
    import os

    return os.environ.get("RANK", "0") == "0"
