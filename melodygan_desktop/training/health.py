"""Training health in one plain line: is the run learning, is the critic winning, did it collapse or diverge?

``HealthMonitor.feed(event)`` takes the loop's events (``Started``, ``StepMetrics``, ``Preview``,
``Finished``) and returns a ``Health``: a state key, a one-line text a musician understands and a short
"why" with the numbers. Each update costs O(window): a few medians over the last ``WINDOW`` logs, and for a
preview the pairwise distances of its mels pooled to a 16 x 16 grid.

What the numbers mean
---------------------
The loop logs per-window means of ``d/real`` and ``d/fake`` (the critic's raw scores on real and generated
clips, higher = "more real"), ``d/loss`` (the critic's loss, penalties included), ``g/adv`` (the generator's
adversarial loss), the gradient norms ``d/grad_norm`` / ``g/grad_norm`` and, when the preset uses them,
``d/gp`` (WGAN-GP) and ``d/r1`` (R1, every 16th step). The score gap ``d/real - d/fake`` says how well the
critic separates real from generated; what counts as "no separation" and "full separation" depends on the
loss (``training/losses.py``):

* **hinge** (melodygan-cond, melodygan-latent): ``relu(1 - real) + relu(1 + fake)``. A critic that gives
  every clip the same score sits at ``d/loss = 2.0`` with gap 0 and ``g/adv = -fake ~ 0``; its gradients
  then only come from its own noise and its gradient norm falls. Once real > 1 and fake < -1 (gap >= 2,
  the margin) both hinges are inactive: the adversarial critic loss is ~0, its gradient vanishes, and
  ``g/adv = -fake`` keeps rising as generated scores are pushed further down: the critic is winning.
* **lsgan** (melodygan-v2/v3): targets 1 (real) / 0 (generated). A critic that cannot tell gives both the
  same score (best constant 0.5: ``d/loss = 0.25``, ``g/adv = 0.125``); a winning one gives ~1 / ~0
  (gap >= 0.8: ``d/loss ~ 0.01``) and ``g/adv`` climbs towards 0.5.
* **bce** (techno-dcgan1/2): logits. No separation is ``d/loss = 2 ln 2 = 1.39``, ``g/adv = ln 2``; a gap of
  6 logits is sigmoid 0.95 / 0.05 (``d/loss ~ 0.1``): the critic is saturated and the non-saturating
  ``g/adv`` keeps rising.
* **wgan-clip / wgan-gp** (techno-wgan-*): the gap is the critic's Wasserstein estimate, on a free scale
  (tiny with weight clipping). Equal scores are not a "cannot tell" sign the way they are above, so there
  is no warm-up rule; what matters is the trend: a Wasserstein estimate that keeps growing (last third of
  the window >= 1.5 x the first third) while ``g/adv`` rises means the generator falls behind. For WGAN-GP a
  penalty ``d/gp = (|grad| - 1)^2`` above 1 for a while means the critic's slope is off by more than 1: the
  Lipschitz constraint is not held and the critic is unstable.

The rules, in order (the first that holds is the state)
-------------------------------------------------------
1. ``diverged``: a non-finite loss, or the loop's ``Finished(reason="diverged")`` (it stops itself on a
   non-finite loss or a gradient norm above ``max_grad_norm``; its last good checkpoint is kept).
2. ``collapsed``: the two newest previews both have a spread (mean pairwise L1 distance of the pooled mels,
   in [0, 1]) below ``max(COLLAPSE_FLOOR, COLLAPSE_RATIO x the best spread of the earlier previews)``:
   different latents and genres giving the same clip is mode collapse, whatever the losses say.
3. ``critic_winning``: hinge / lsgan / bce: the median gap of the last ``RECENT`` logs is at or beyond the
   family's full separation and ``g/adv`` is not falling; WGAN: the rising-estimate rule above.
4. ``unstable``: WGAN-GP penalty median > 1, or a gradient norm median > ``UNSTABLE_RISE`` x its value in
   the run's first logs and above ``UNSTABLE_FLOOR``: a steep rise that precedes the loop's divergence stop.
5. ``undecided``: hinge / lsgan / bce: median |gap| below the family's "no separation" bound and the critic
   gradient norm not rising. Normal for the first few hundred steps ("warming up"); after
   ``STUCK_AFTER_STEPS`` steps it reads "stuck" with advice (lower the learning rate, another preset).
6. ``learning`` otherwise (or ``waiting`` before ``MIN_LOGS`` logs).

Smoothing: levels are medians of the last ``RECENT`` logs (each log is already a mean over ``log_every``
steps), trends compare the medians of the first and last thirds of the last ``WINDOW`` logs, and a new
state from the loss rules is shown only once it has come out ``HOLD`` updates in a row (``diverged`` and
``collapsed``, which need two previews anyway, show at once). Not here: choosing a "best so far"
checkpoint, which needs an evaluation on held-out clips.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from .events import Event, Finished, Preview, Started, StepMetrics

WINDOW = 24  # logs kept for trends
RECENT = 8  # logs whose median is a "level"
MIN_LOGS = 6  # logs before any judgement
HOLD = 3  # updates a new state must persist before it is shown
STUCK_AFTER_STEPS = 1000  # "warming up" becomes "stuck" after this many steps of the run
COLLAPSE_FLOOR = 0.01  # preview spread (mean |difference| of pooled mels in [0, 1]) below which clips match
COLLAPSE_RATIO = 0.25  # ... or below this share of the best earlier spread
UNSTABLE_RISE = 50.0
UNSTABLE_FLOOR = 100.0
POOL = (16, 16)  # mel bands x time segments the previews are averaged to before comparing

#: State keys, most serious first.
STATES = ("diverged", "collapsed", "critic_winning", "unstable", "undecided", "learning", "waiting")


@dataclass(frozen=True)
class Family:
    """How to read one loss: ``tie_value`` the critic loss with no separation, ``tie_gap`` the score gap
    below which the critic cannot tell, ``win_gap`` the gap of full separation (``None``: no such level)."""

    name: str
    tie_value: float | None
    tie_gap: float | None
    win_gap: float | None


FAMILIES = {
    "hinge": Family("hinge", 2.0, 0.1, 2.0),
    "lsgan": Family("lsgan", 0.25, 0.05, 0.8),
    "bce": Family("bce", 2.0 * math.log(2.0), 0.2, 6.0),
    "wgan-clip": Family("wgan-clip", None, None, None),
    "wgan-gp": Family("wgan-gp", None, None, None),
}


@dataclass(frozen=True)
class Health:
    """``state`` (one of ``STATES``), ``level`` (``"good"``, ``"info"``, ``"warning"``, ``"error"``), the
    one-line ``text`` and the ``why`` with the numbers."""

    state: str
    level: str
    text: str
    why: str
    step: int = 0


WAITING = Health("waiting", "info", "Starting: collecting the first losses…", "No losses logged yet.")


def _median(values) -> float:
    return float(np.median(np.asarray(list(values), dtype=np.float64)))


def _thirds(values: list[float]) -> tuple[float, float] | None:
    """Medians of the first and the last third, when there are enough values for a trend."""
    if len(values) < 2 * RECENT:
        return None
    third = len(values) // 3
    return _median(values[:third]), _median(values[-third:])


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


class HealthMonitor:
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

    # -- rules
    def _series(self, key: str) -> list[float]:
        return [log[key] for log in self.logs if key in log]

    def _level(self, key: str) -> float | None:
        values = self._series(key)[-RECENT:]
        return _median(values) if values else None

    def _gaps(self) -> list[float]:
        return [log["d/real"] - log["d/fake"] for log in self.logs if "d/real" in log and "d/fake" in log]

    def _collapsed(self) -> bool:
        if len(self.spreads) < 2:
            return False
        earlier = [spread for _, spread in self.spreads[:-2]]
        bound = max(COLLAPSE_FLOOR, COLLAPSE_RATIO * max(earlier, default=0.0))
        return all(spread < bound for _, spread in self.spreads[-2:])

    def _classify(self) -> str:
        if self._collapsed():
            return "collapsed"
        if len(self.logs) < MIN_LOGS:
            return "waiting"
        family = self.family
        gaps = self._gaps()
        gap = _median(gaps[-RECENT:]) if len(gaps) >= MIN_LOGS else None
        g_trend = _thirds(self._series("g/adv"))
        g_not_falling = g_trend is None or g_trend[1] >= g_trend[0] - 1e-6
        if family is not None and gap is not None:
            if family.win_gap is not None:
                if gap >= family.win_gap and g_not_falling:
                    return "critic_winning"
            else:
                trend = _thirds(gaps)
                if (
                    trend
                    and trend[1] > 0
                    and trend[1] >= 1.5 * abs(trend[0])
                    and g_trend
                    and g_trend[1] > g_trend[0]
                ):
                    return "critic_winning"
        if self._unstable_reason():
            return "unstable"
        if (
            family is not None
            and family.tie_gap is not None
            and gap is not None
            and abs(gap) < family.tie_gap
        ):
            d_trend = _thirds(self._series("d/grad_norm"))
            if d_trend is None or d_trend[1] <= 1.1 * d_trend[0]:
                return "undecided"
        return "learning"

    def _unstable_reason(self) -> str | None:
        gp = self._level("d/gp")
        if self.family is not None and self.family.name == "wgan-gp" and gp is not None and gp > 1.0:
            return f"gradient penalty d/gp {gp:.3g} (above 1: the critic's slope is off by more than 1)"
        for key in ("d/grad_norm", "g/grad_norm"):
            now = self._level(key)
            first = [log[key] for log in self.first_logs if key in log]
            if now is None or not first:
                continue
            base = _median(first)
            if now > UNSTABLE_FLOOR and now > UNSTABLE_RISE * max(base, 1e-12):
                return f"{key} {now:.3g}, {now / max(base, 1e-12):.0f}x its first value {base:.3g}"
        return None

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
    "STATES",
    "WAITING",
    "Family",
    "Health",
    "HealthMonitor",
    "preview_spread",
]
