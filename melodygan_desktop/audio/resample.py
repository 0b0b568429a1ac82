"""Block-wise resampling that joins seamlessly: the same output as one ``torchaudio.functional.resample``
call over the whole signal, with memory bounded by the block size (for streaming long files)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import torch
import torchaudio

_LOWPASS_FILTER_WIDTH = 6  # torchaudio.functional.resample defaults, mirrored to size the block overlap
_ROLLOFF = 0.99


def resample_geometry(orig_rate: int, new_rate: int) -> tuple[int, int, int]:
    """``(orig_step, new_step, context)``: rates over their gcd and the input overlap (a multiple of
    ``orig_step``) that covers torchaudio's windowed-sinc kernel, so block-wise output equals whole-signal."""
    divisor = math.gcd(orig_rate, new_rate)
    orig_step, new_step = orig_rate // divisor, new_rate // divisor
    width = math.ceil(_LOWPASS_FILTER_WIDTH * orig_step / (min(orig_step, new_step) * _ROLLOFF))
    return orig_step, new_step, orig_step * math.ceil((width + 2) / orig_step)


def resample_blocks(blocks: Iterator[np.ndarray], orig_rate: int, new_rate: int) -> Iterator[np.ndarray]:
    """Resample a block stream (each block but the last a multiple of ``orig_step`` long) with overlap so the
    concatenated output is the same as one ``torchaudio.functional.resample`` call over the whole signal."""
    orig_step, new_step, context = resample_geometry(orig_rate, new_rate)
    history = np.zeros(0, dtype=np.float32)
    current = next(blocks, None)
    while current is not None:
        following = next(blocks, None)
        lookahead = following[:context] if following is not None else history[:0]
        chunk = torch.from_numpy(np.concatenate([history, current, lookahead]))
        out = torchaudio.functional.resample(chunk, orig_rate, new_rate).numpy()
        skip = history.shape[0] * new_step // orig_step
        if following is None:
            count = math.ceil(current.shape[0] * new_step / orig_step)
        else:
            count = current.shape[0] * new_step // orig_step
        yield out[skip : skip + count]
        history = np.concatenate([history, current])[-context:]
        current = following


__all__ = ["resample_blocks", "resample_geometry"]
