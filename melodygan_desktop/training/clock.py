"""Training time spent by a run, summed over every resume: wall-clock seconds and process CPU seconds.

The spent time is saved with each checkpoint's resume state, so a ``max_minutes`` budget holds across
interruptions; CPU time is the fair measure when several runs share a machine (each is charged only for the
cycles it got).
"""

from __future__ import annotations

import time


class TrainingClock:
    def __init__(self, spent: dict[str, float] | None = None) -> None:
        spent = spent or {}
        self._base_wall = float(spent.get("wall", 0.0))
        self._base_cpu = float(spent.get("cpu", 0.0))
        self._wall0 = time.perf_counter()
        self._cpu0 = time.process_time()

    def spent(self) -> dict[str, float]:
        return {
            "wall": self._base_wall + time.perf_counter() - self._wall0,
            "cpu": self._base_cpu + time.process_time() - self._cpu0,
        }

    def remaining(self, max_minutes: float | None, clock: str) -> float | None:
        """Seconds left of the budget (never negative), or ``None`` without a budget."""
        if max_minutes is None:
            return None
        return max(0.0, max_minutes * 60.0 - self.spent()[clock])
