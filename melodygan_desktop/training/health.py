"""Training health in one plain line: is the run learning, is the critic winning, did it collapse or diverge?

``HealthMonitor.feed(event)`` takes the loop's events (``Started``, ``StepMetrics``, ``Preview``,
``Finished``) and returns a ``Health``: a state key, a one-line text a musician understands and a short
"why" with the numbers. Each update costs O(window): a few medians over the last ``WINDOW`` logs, and for a
preview the pairwise distances of its mels pooled to a 16 x 16 grid.

How each loss family's numbers are read, and the rules that name the state, are in
``training/health_rules.py``.

Smoothing: levels are medians of the last ``RECENT`` logs (each log is already a mean over ``log_every``
steps), trends compare the medians of the first and last thirds of the last ``WINDOW`` logs, and a new
state from the loss rules is shown only once it has come out ``HOLD`` updates in a row (``diverged`` and
``collapsed``, which need two previews anyway, show at once). Not here: choosing a "best so far"
checkpoint, which needs an evaluation on held-out clips.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from .events import Event, Finished, Preview, Started, StepMetrics
from .health_rules import (
    COLLAPSE_FLOOR,
    COLLAPSE_RATIO,
    FAMILIES,
    MIN_LOGS,
    RECENT,
    STATES,
    STUCK_AFTER_STEPS,
    WAITING,
    WINDOW,
    Family,
    Health,
    HealthRules,
    _median,
    _thirds,
)

HOLD = 3  # updates a new state must persist before it is shown
POOL = (16, 16)  # mel bands x time segments the previews are averaged to before comparing


def preview_spread(mels: np.ndarray) -> float | None:
    """Mean pairwise L1 distance of ``mels`` (N, n_mels, frames) in [0, 1], each pooled to ``POOL``;
    ``None`` with fewer than two previews."""
    mels = np.asarray(mels, dtype=np.float32)
    if mels.ndim != 3 or mels.shape[0] < 2:
        return None
    count, bands, frames = mels.shape
    rows, cols = min(POOL[0], bands), min(POOL[1], frames)
    bands, frames = bands - bands % rows, frames - frames % cols
    pooled = mels[:, :bands, :frames].reshape(count, rows, bands // rows, cols, frames // cols)
    flat = np.nan_to_num(pooled.mean(axis=(2, 4)).reshape(count, -1))
    distances = np.abs(flat[:, None, :] - flat[None, :, :]).mean(axis=2)
    return float(distances[np.triu_indices(count, k=1)].mean())


class HealthMonitor(HealthRules):
    """Feed it the training events; ``health`` is the state to show. ``loss`` is the preset's loss name
    (``Started`` sets it from the preset; ``None`` or an unknown loss: only the loss-free rules apply)."""

    def __init__(self, loss: str | None = None) -> None:
        self.family = FAMILIES.get(loss or "")
        self.start_step = 0
        self.step = 0
        self.logs: deque[dict[str, float]] = deque(maxlen=WINDOW)
        self.first_logs: list[dict[str, float]] = []  # the run's first RECENT logs: baselines
        self.spreads: list[tuple[int, float]] = []  # (step, spread) of every preview
        self.health = WAITING
        self._candidate: str | None = None
        self._count = 0
        self._finished = False

    # -- events
    def feed(self, event: Event) -> Health:
        if isinstance(event, Started):
            self.start(event.preset, event.start_step)
        elif isinstance(event, StepMetrics):
            self.add_losses(event.step, event.losses)
        elif isinstance(event, Preview):
            self.add_preview(event.step, event.mels)
        elif isinstance(event, Finished):
            self.finish(event)
        return self.health

    def start(self, preset: str, start_step: int = 0) -> Health:
        # here, not at the top: the presets import torch, which the window must not wait for at start-up
        from ..models.presets import UnknownPresetError, get_preset

        try:
            self.family = FAMILIES.get(get_preset(preset).loss)
        except UnknownPresetError:
            self.family = None
        self.start_step = self.step = start_step
        return self.health

    def add_losses(self, step: int, losses: dict[str, float]) -> Health:
        if self._finished:
            return self.health
        self.step = step
        bad = [key for key, value in losses.items() if not math.isfinite(value)]
        if bad:
            why = ", ".join(f"{key} = {losses[key]}" for key in bad)
            self._finished = True  # the loop stops on a non-finite loss
            return self._show(self._diverged(f"{why} at step {step}", None, step))
        self.logs.append(dict(losses))
        if len(self.first_logs) < RECENT:
            self.first_logs.append(dict(losses))
        return self._judge()

    def add_preview(self, step: int, mels: np.ndarray) -> Health:
        if self._finished:
            return self.health
        spread = preview_spread(mels)
        if spread is None:
            return self.health
        self.spreads.append((step, spread))
        return self._judge()

    def finish(self, event: Finished) -> Health:
        self._finished = True
        if event.reason == "diverged":
            return self._show(
                self._diverged(event.message or "the loop stopped", event.checkpoint, event.step)
            )
        return self.health

    def _judge(self) -> Health:
        key = self._classify()
        shown = self.health.state
        if key == shown or key == "collapsed" or shown in ("waiting", "collapsed"):
            self._candidate, self._count = None, 0
            return self._show(self._describe(key))
        if key == self._candidate:
            self._count += 1
        else:
            self._candidate, self._count = key, 1
        if self._count >= HOLD:
            self._candidate, self._count = None, 0
            return self._show(self._describe(key))
        return self._show(self._describe(shown))  # the shown state, with today's numbers

    def _show(self, health: Health) -> Health:
        self.health = health
        return health

    # -- words
    def _numbers(self) -> str:
        parts = []
        d_loss, g_adv = self._level("d/loss"), self._level("g/adv")
        family = self.family
        if d_loss is not None:
            tie = (
                f" ({family.tie_value:.2f} = cannot tell, 0 = critic wins)"
                if family and family.tie_value
                else ""
            )
            parts.append(f"critic loss d/loss {d_loss:.3g}{tie}")
        if g_adv is not None:
            trend = _thirds(self._series("g/adv"))
            moving = f", from {trend[0]:.3g}" if trend else ""
            parts.append(f"generator loss g/adv {g_adv:.3g}{moving}")
        gaps = self._gaps()
        if gaps:
            name = (
                "Wasserstein estimate" if family and family.win_gap is None else "score gap real − generated"
            )
            parts.append(f"{name} {_median(gaps[-RECENT:]):.3g}")
        for key in ("d/grad_norm", "d/r1"):
            trend = _thirds(self._series(key))
            if trend:
                parts.append(f"{key} {trend[0]:.3g} → {trend[1]:.3g}")
        if self.spreads:
            parts.append(
                f"preview spread {self.spreads[-1][1]:.3f} (best {max(s for _, s in self.spreads):.3f})"
            )
        loss = f"{family.name} loss" if family else "loss"
        return (
            f"Step {self.step}, {loss}, median of the last {min(RECENT, len(self.logs))} logs: "
            + "; ".join(parts)
            + "."
        )

    def _describe(self, key: str) -> Health:
        step = self.step
        if key == "waiting":
            return Health(
                "waiting", "info", WAITING.text, f"{len(self.logs)} of {MIN_LOGS} logs so far.", step
            )
        if key == "collapsed":
            (s1, a), (s2, b) = self.spreads[-2:]
            earlier = [spread for _, spread in self.spreads[:-2]]
            best = max(earlier, default=0.0)
            why = (
                f"Preview spread {a:.3f} at step {s1} and {b:.3f} at step {s2}; best before "
                f"{best:.3f}. Collapse is below {COLLAPSE_RATIO:.0%} of the best or below "
                f"{COLLAPSE_FLOOR}. Different seeds and genres now give nearly the same clip: stop, and "
                "resume from an earlier checkpoint or try another preset."
            )
            return Health("collapsed", "error", "Collapsed: the previews all look alike", why, step)
        numbers = self._numbers()
        if key == "critic_winning":
            return Health(
                key,
                "warning",
                "The critic is winning: previews may stop improving",
                numbers
                + " The critic separates real from generated with room to spare, so the generator gets "
                "little to learn from; if it lasts, lower the critic's learning rate or use more music.",
                step,
            )
        if key == "unstable":
            return Health(
                key,
                "warning",
                "Unstable: the critic's judgement swings; previews may get worse",
                f"{numbers} Steep rise: {self._unstable_reason() or 'see the gradient norms'}. The run stops "
                "itself if it diverges, keeping the last good checkpoint.",
                step,
            )
        if key == "undecided":
            if step - self.start_step < STUCK_AFTER_STEPS:
                return Health(
                    key,
                    "info",
                    "Warming up: the critic cannot tell real from generated yet",
                    numbers + " Normal for the first few hundred steps.",
                    step,
                )
            return Health(
                key,
                "warning",
                "Stuck: the critic still cannot tell real from generated",
                numbers + f" After {step - self.start_step} steps this means it stopped learning: lower the "
                "learning rate or try another preset.",
                step,
            )
        return Health("learning", "good", "Learning: previews should keep improving", numbers, step)

    def _diverged(self, detail: str, checkpoint: str | None, step: int) -> Health:
        kept = "last good checkpoint kept" if checkpoint else "no checkpoint had been saved yet"
        return Health(
            "diverged",
            "error",
            f"Diverged: training stopped, {kept}",
            f"Step {step}: {detail}. Try a lower learning rate, a smaller batch or another preset.",
            step,
        )


__all__ = [
    "FAMILIES",
    "HOLD",
    "STATES",
    "WAITING",
    "WINDOW",
    "Family",
    "Health",
    "HealthMonitor",
    "preview_spread",
]
