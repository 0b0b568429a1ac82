"""Peak (min/max) envelope of a waveform for drawing: a few thousand points whatever the clip length."""

from __future__ import annotations

import numpy as np

BASE_BLOCK = 256  # samples per block of the precomputed level (11.6 ms at 22050 Hz)


class PeakEnvelope:
    """Min/max envelope of ``audio`` (samples,) at any zoom, from a precomputed 256-sample level.

    ``window(start_seconds, stop_seconds, bins)`` returns ``(times (n,), lows (n,), highs (n,))`` with
    ``n <= bins`` (or the raw samples when fewer than ``2 * bins`` are visible): peaks are kept, never
    averaged away, so clipping and transients stay visible when zoomed out.
    """

    def __init__(self, audio: np.ndarray, sample_rate: int) -> None:
        self.audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        self.sample_rate = int(sample_rate)
        blocks = len(self.audio) // BASE_BLOCK
        shaped = self.audio[: blocks * BASE_BLOCK].reshape(blocks, BASE_BLOCK)
        self._lows = shaped.min(axis=1) if blocks else np.zeros(0, np.float32)
        self._highs = shaped.max(axis=1) if blocks else np.zeros(0, np.float32)

    @property
    def duration_seconds(self) -> float:
        return len(self.audio) / float(self.sample_rate)

    def window(self, start_seconds: float, stop_seconds: float, bins: int) -> tuple[np.ndarray, ...]:
        bins = max(1, int(bins))
        start = int(np.clip(np.floor(start_seconds * self.sample_rate), 0, len(self.audio)))
        stop = int(np.clip(np.ceil(stop_seconds * self.sample_rate), start, len(self.audio)))
        count = stop - start
        if count <= 2 * bins:
            times = (start + np.arange(count)) / self.sample_rate
            segment = self.audio[start:stop]
            return times, segment, segment
        per = -(-count // bins)  # ceil: at most ``bins`` groups, the last one may be partial
        if per >= BASE_BLOCK and len(self._lows):
            # From the precomputed level: groups of whole 256-sample blocks.
            first = start // BASE_BLOCK
            last = max(first + 1, min(-(-stop // BASE_BLOCK), len(self._lows)))
            group = -(-(last - first) // bins)
            offsets = np.arange(0, last - first, group)
            lows = np.minimum.reduceat(self._lows[first:last], offsets)
            highs = np.maximum.reduceat(self._highs[first:last], offsets)
            centres = (first + offsets + np.minimum(group, last - first - offsets) / 2) * BASE_BLOCK
        else:
            segment = self.audio[start:stop]
            offsets = np.arange(0, count, per)
            lows, highs = np.minimum.reduceat(segment, offsets), np.maximum.reduceat(segment, offsets)
            centres = start + offsets + np.minimum(per, count - offsets) / 2
        return centres / self.sample_rate, lows, highs


def zigzag(times: np.ndarray, lows: np.ndarray, highs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Interleave min/max into one polyline (t0 min, t0 max, t1 max, t1 min, ...) that fills the envelope."""
    xs = np.repeat(np.asarray(times, dtype=np.float64), 2)
    pairs = np.column_stack([lows, highs]).astype(np.float64)
    pairs[1::2] = pairs[1::2, ::-1]  # alternate direction so consecutive strokes join without diagonals
    return xs, pairs.reshape(-1)
