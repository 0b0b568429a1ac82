"""Small helpers of ``report.evaluate_model`` and ``audio_report`` (re-exported by ``report``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def default_methods() -> tuple[str, ...]:
    """Every available mel-to-audio method: Griffin-Lim (the papers' inversion), fast Griffin-Lim, the app's
    default, then plugged-in ones (the vocoder, when registered)."""
    from melodygan_desktop.audio.inversion import DEFAULT_METHOD, available_methods

    return tuple(dict.fromkeys(("griffin-lim", "fast-griffin-lim", DEFAULT_METHOD, *available_methods())))


def mean_present(values: Sequence[float | None]) -> float | None:
    """Mean of the values that are not None (None when there are none)."""
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None
