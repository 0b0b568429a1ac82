"""The "vocoder" mel-to-audio method: the bundled ``mel-vocoder`` plugged into ``audio.inversion``'s registry.

The network proposes an STFT (magnitude and phase per bin) for the mel; the method then makes it agree with
the mel and with itself, as ``nnls-fgla`` does from a cruder start: the proposal is made consistent (the
STFT of its own audio), a few KL updates fit its power to the mel's bands (bands at the floor only bound it
from above), and a few fast Griffin-Lim iterations start from its phase. The network supplies what a mel
cannot say (structure finer than a band, the phase); the fit keeps what it does say (each band's level).

Registered only when the bundled weights are there; loaded once, on first use. Mels whose settings differ
from the ones the vocoder was trained on (sample rate, n_fft, hop, mel bins, range or dB window) fall back
to ``nnls-fgla`` with a note (``inversion.resolve_method``).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch

from melodygan_desktop.audio import inversion
from melodygan_desktop.audio.builtin_methods import mel_consistent_audio
from melodygan_desktop.audio.fgla import polar_spectrum
from melodygan_desktop.checkpoints.vocoder_files import load_vocoder, read_vocoder_meta, resolve_vocoder_dir
from melodygan_desktop.config import MelConfig
from melodygan_desktop.models.vocoder import MelVocoder

VOCODER_METHOD = "vocoder"
#: Whether the bundled vocoder is the default method. It is: it beats nnls-fgla on the measures of
#: docs/AUDIO.md (closer on MR-STFT and MCD on 8 and 9 of the bench's 9 clips, both genre classifiers keep
#: over 95 % of their accuracy on resynthesised real clips) at over 100x realtime on one thread.
BUNDLED_IS_DEFAULT = True
#: KL updates fitting the network's power to the mel, and phase iterations from its phase (``n_iter``).
FIT_ITERATIONS = 8
PHASE_ITERATIONS = 8
#: Frames per forward pass of long mels: bounds memory (about 90 MB at width 256) for any take length.
#: Chunks overlap by the network's receptive field, so the joins are exact.
CHUNK_FRAMES = 4096


@functools.lru_cache(maxsize=4)
def _loaded(folder: str) -> tuple[MelVocoder, MelConfig]:
    vocoder, mel, _meta = load_vocoder(folder)
    return vocoder, mel


def _context_frames(vocoder: MelVocoder) -> int:
    """Frames each side that reach one output frame: the embedding conv and one per block."""
    return (vocoder.shape.kernel // 2) * (vocoder.shape.depth + 1)


def network_spectrum(vocoder: MelVocoder, mel_unit: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(B, n_mels, T)`` -> the network's magnitude and phase, each ``(B, T, bins)``, in chunks of
    ``CHUNK_FRAMES`` frames for long mels (overlapping by the receptive field, so the joins are exact)."""
    frames = mel_unit.shape[-1]
    if frames <= CHUNK_FRAMES:
        return vocoder.magnitude_phase(mel_unit)
    context = _context_frames(vocoder)
    magnitudes, phases = [], []
    for start in range(0, frames, CHUNK_FRAMES):
        stop = min(frames, start + CHUNK_FRAMES)
        left, right = max(0, start - context), min(frames, stop + context)
        magnitude, phase = vocoder.magnitude_phase(mel_unit[..., left:right])
        magnitudes.append(magnitude[:, start - left : stop - left])
        phases.append(phase[:, start - left : stop - left])
    return torch.cat(magnitudes, dim=1), torch.cat(phases, dim=1)


def _mismatch(trained: MelConfig, mel: MelConfig) -> str | None:
    if trained == mel:
        return None
    names = [name for name in ("sample_rate", "n_fft", "hop_length", "n_mels", "f_min", "f_max", "db_floor",
                               "db_ceil") if getattr(trained, name) != getattr(mel, name)]
    if not names:
        return None  # only the clip length differs, which the vocoder does not care about
    shown = ", ".join(f"{name} {getattr(mel, name)} (trained for {getattr(trained, name)})" for name in names)
    return f"the vocoder was trained for other mel settings: {shown}"


def make_inverter(folder: Path):
    """An inverter (``audio.inversion`` signature) for the vocoder in ``folder``."""

    def invert_with_vocoder(mel_unit: np.ndarray, mel: MelConfig, *, n_iter, seed, progress) -> np.ndarray:
        del seed  # deterministic
        vocoder, _trained = _loaded(str(folder))
        iterations = PHASE_ITERATIONS if n_iter is None else n_iter
        with torch.inference_mode():
            proposal = polar_spectrum(*network_spectrum(vocoder, torch.from_numpy(mel_unit)))
            return mel_consistent_audio(
                mel_unit, mel, proposal=proposal, fit_iterations=FIT_ITERATIONS, phase_iterations=iterations,
                progress=progress,
            )

    return invert_with_vocoder


def register_vocoder_method(folder: Path | None = None, *, preferred: bool | None = None) -> bool:
    """Register the "vocoder" method for the vocoder in ``folder`` (default: the bundled one; a run folder
    means its newest checkpoint) when it is there and its meta reads; True when registered. ``preferred``
    (default: ``BUNDLED_IS_DEFAULT`` for the bundled one, else False) makes it the default method. Safe to
    call again."""
    if preferred is None:
        preferred = BUNDLED_IS_DEFAULT and folder is None
    folder = resolve_vocoder_dir(folder)
    try:
        _shape, trained, _meta = read_vocoder_meta(folder)
    except Exception:  # no bundled vocoder (or a damaged one): the method is simply not offered
        return False
    inversion.register_inverter(VOCODER_METHOD, make_inverter(folder), replace=True,
                                accepts=lambda mel: _mismatch(trained, mel), preferred=preferred)
    return True


__all__ = [
    "CHUNK_FRAMES",
    "FIT_ITERATIONS",
    "PHASE_ITERATIONS",
    "VOCODER_METHOD",
    "make_inverter",
    "network_spectrum",
    "register_vocoder_method",
]
