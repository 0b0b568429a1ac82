"""Training health, the rules: how to read each loss family's numbers, and which state they add up to.

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

The monitor that feeds these rules and words the states is ``training/health.py``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

WINDOW = 24  # logs kept for trends
RECENT = 8  # logs whose median is a "level"
MIN_LOGS = 6  # logs before any judgement
STUCK_AFTER_STEPS = 1000  # "warming up" becomes "stuck" after this many steps of the run
COLLAPSE_FLOOR = 0.01  # preview spread (mean |difference| of pooled mels in [0, 1]) below which clips match
COLLAPSE_RATIO = 0.25  # ... or below this share of the best earlier spread
UNSTABLE_RISE = 50.0
UNSTABLE_FLOOR = 100.0

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


class HealthRules:
    """The loss and preview rules over a monitor's window: ``family`` (a ``Family`` or ``None``), ``logs``
    (the last ``WINDOW`` logged losses), ``first_logs`` (the run's first ``RECENT``) and ``spreads`` ((step,
    spread) of every preview). ``HealthMonitor`` keeps them up to date."""

    family: Family | None
    logs: deque[dict[str, float]]
    first_logs: list[dict[str, float]]
    spreads: list[tuple[int, float]]

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


__all__ = [
    "COLLAPSE_FLOOR",
    "COLLAPSE_RATIO",
    "FAMILIES",
    "MIN_LOGS",
    "RECENT",
    "STATES",
    "STUCK_AFTER_STEPS",
    "UNSTABLE_FLOOR",
    "UNSTABLE_RISE",
    "WAITING",
    "WINDOW",
    "Family",
    "Health",
    "HealthRules",
]
