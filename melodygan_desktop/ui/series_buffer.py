"""Bounded buffers for live curves: a whole training run in a fixed number of points."""

from __future__ import annotations

import numpy as np


class DecimatingSeries:
    """(x, y) points kept in at most ``capacity`` slots, covering the whole run at uniform resolution.

    When full, neighbouring pairs are averaged (halving the count) and later points are averaged in groups
    of the new stride before they are stored: memory and redraw cost stay constant over long runs.
    """

    def __init__(self, capacity: int = 4096) -> None:
        if capacity < 4 or capacity % 2:
            raise ValueError("capacity must be an even number >= 4")
        self.capacity = capacity
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self._count = 0
        self.stride = 1
        self._pending_x = 0.0
        self._pending_y = 0.0
        self._pending = 0
        self.total = 0  # points appended since the last clear

    def __len__(self) -> int:
        return self._count

    def clear(self) -> None:
        self._count = 0
        self.stride = 1
        self._pending = 0
        self._pending_x = self._pending_y = 0.0
        self.total = 0

    def append(self, x: float, y: float) -> None:
        self.total += 1
        self._pending_x += float(x)
        self._pending_y += float(y)
        self._pending += 1
        if self._pending < self.stride:
            return
        if self._count == self.capacity:
            self._halve()
        self._x[self._count] = self._pending_x / self._pending
        self._y[self._count] = self._pending_y / self._pending
        self._count += 1
        self._pending = 0
        self._pending_x = self._pending_y = 0.0

    def _halve(self) -> None:
        half = self._count // 2
        self._x[:half] = (self._x[0 : 2 * half : 2] + self._x[1 : 2 * half : 2]) / 2
        self._y[:half] = (self._y[0 : 2 * half : 2] + self._y[1 : 2 * half : 2]) / 2
        self._count = half
        self.stride *= 2

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the stored points (x, y), oldest first."""
        return self._x[: self._count].copy(), self._y[: self._count].copy()


def exponential_smoothing(values: np.ndarray, strength: float) -> np.ndarray:
    """Debiased exponential moving average (TensorBoard-style); ``strength`` in [0, 1), 0 = unchanged.

    Non-finite values (a diverged step) are carried through as they are and do not poison later points.
    """
    values = np.asarray(values, dtype=np.float64)
    if strength <= 0 or values.size == 0:
        return values.copy()
    out = np.empty_like(values)
    average, weight = 0.0, 0.0
    for index, value in enumerate(values):
        if not np.isfinite(value):
            out[index] = value
            continue
        average = strength * average + (1 - strength) * value
        weight = strength * weight + (1 - strength)
        out[index] = average / weight
    return out
