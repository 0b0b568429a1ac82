"""The built-in mel-to-audio methods: the papers' torchaudio Griffin-Lim, fast Griffin-Lim on our STFT engine,
and NNLS + peak-locked fast Griffin-Lim; and ``mel_consistent_audio``, the fit to the mel that the last one
and plugged-in vocoders share. ``inversion`` registers them by name.

Each method has the inverter signature ``fn(mel_unit, mel, *, n_iter, seed, progress) -> audio``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
import torch
import torchaudio

from melodygan_desktop.audio.fgla import (
    MelBasis,
    StftPair,
    fast_griffin_lim,
    nnls_mel_to_linear,
    peak_locked_phase,
    random_phase,
)
from melodygan_desktop.audio.mel import mel_filterbank, reference_power, unit_to_power
from melodygan_desktop.config import MelConfig

Progress = Callable[[float], None]

#: Stock torchaudio iteration count, used by both Griffin-Lim baselines.
BASELINE_ITERATIONS = 32
#: Default phase iterations of "nnls-fgla": the NNLS magnitude and peak-locked start make more redundant.
NNLS_FGLA_ITERATIONS = 4
#: Over-relaxed KL multiplicative updates for mel -> linear power in "nnls-fgla".
NNLS_ITERATIONS = 4


@functools.lru_cache(maxsize=8)
def inversion_basis(mel: MelConfig) -> MelBasis:
    """Filterbank ``(freqs, n_mels)``, its pseudo-inverse ``(n_mels, freqs)`` and their banded forms for
    ``mel``; read-only, memoised.

    The least-norm map from mel power to linear power is ``(F^T F + eps)^-1 F^T``: normal equations of
    n_mels^2 size (~1 ms) where an SVD takes ~30 ms; the tiny ridge keeps configs with empty bands solvable.
    """
    filterbank = mel_filterbank(mel)
    basis = filterbank.double()
    gram = basis.t() @ basis
    ridge = 1e-9 * float(gram.diagonal().max()) + 1e-12
    gram += ridge * torch.eye(gram.shape[0], dtype=gram.dtype)
    solution = torch.linalg.solve(gram, basis.t())
    # Entries that are zero in exact arithmetic come out near 1e-40 and would be float32 denormals, which
    # make every later matmul ~20x slower: flush them.
    solution[solution.abs() < 1e-9 * float(solution.abs().max())] = 0.0
    return MelBasis.from_filterbank(filterbank, solution.float().contiguous())


def mel_power_frames_last(mel_unit: np.ndarray, mel: MelConfig) -> torch.Tensor:
    """``(batch, n_mels, frames)`` unit in [0, 1] -> mel power ``(batch, frames, n_mels)`` contiguous
    (FFT-friendly). The same mapping as ``unit_to_power``, written as one ``exp`` (``pow`` of a tensor
    exponent is several times slower on CPU); exactly 0 stays silence."""
    unit = torch.from_numpy(mel_unit).transpose(1, 2).contiguous()
    to_log_power = math.log(10.0) / 10.0  # dB -> natural log of power
    scale = (mel.db_ceil - mel.db_floor) * to_log_power
    offset = mel.db_floor * to_log_power + math.log(reference_power(mel))
    power = torch.exp(unit * scale + offset)
    return power.masked_fill_(unit <= 0.0, 0.0)


def griffin_lim(
    mel_unit: np.ndarray, mel: MelConfig, *, n_iter: int | None, seed: int, progress: Progress | None
) -> np.ndarray:
    """The papers' inversion, stock torchaudio: ``InverseMelScale`` (least squares, ReLU) then
    ``GriffinLim(n_iter=32)`` with its defaults (momentum 0.99, random initial phase)."""
    frames = mel_unit.shape[-1]
    inverse_mel = torchaudio.transforms.InverseMelScale(
        n_stft=mel.n_fft // 2 + 1,
        n_mels=mel.n_mels,
        sample_rate=mel.sample_rate,
        f_min=mel.f_min,
        f_max=mel.top_hz,
        mel_scale="htk",
    )
    griffin_lim = torchaudio.transforms.GriffinLim(
        n_fft=mel.n_fft,
        hop_length=mel.hop_length,
        n_iter=BASELINE_ITERATIONS if n_iter is None else n_iter,
        power=2.0,
        length=mel.samples_for_frames(frames),
    )
    with torch.random.fork_rng(devices=[]):  # GriffinLim draws from the global RNG; keep it untouched
        torch.manual_seed(seed)
        linear_power = inverse_mel(unit_to_power(torch.from_numpy(mel_unit), mel))
        if progress is not None:
            progress(0.1)
        audio = griffin_lim(linear_power)
    return audio.numpy()


def fast_griffin_lim_method(
    mel_unit: np.ndarray, mel: MelConfig, *, n_iter: int | None, seed: int, progress: Progress | None
) -> np.ndarray:
    """The same algorithm as the baseline (least-norm magnitude, random phase, 32 FGLA iterations at momentum
    0.99) on the cached STFT engine: a precomputed pseudo-inverse instead of a solve per call, no
    per-iteration window set-up, real-view arithmetic instead of complex kernels."""
    mel_power = mel_power_frames_last(mel_unit, mel)
    magnitude = (mel_power @ inversion_basis(mel).pseudo_inverse).clamp_(min=0.0).sqrt_()
    phase = random_phase(magnitude.shape, seed)
    stft = StftPair(mel.n_fft, mel.hop_length)
    iterations = BASELINE_ITERATIONS if n_iter is None else n_iter
    return fast_griffin_lim(magnitude, phase, stft, iterations, progress=progress).numpy()


def mel_floor_power(mel: MelConfig) -> float:
    """The power of a mel band at the floor (normalised value 0, ``mel.db_floor``)."""
    return 10.0 ** (mel.db_floor / 10.0) * reference_power(mel)


def mel_consistent_audio(
    mel_unit: np.ndarray,
    mel: MelConfig,
    *,
    proposal: torch.Tensor | None = None,
    fit_iterations: int = NNLS_ITERATIONS,
    phase_iterations: int = NNLS_FGLA_ITERATIONS,
    progress: Progress | None = None,
) -> np.ndarray:
    """Audio whose spectrum agrees with ``mel_unit`` (batch, n_mels, frames), from a proposed spectrum.

    ``proposal`` (complex ``(batch, frames, freqs)``, e.g. a vocoder's STFT) is first made consistent (the
    STFT of its own audio); without one, the start is the mel's pseudo-inverse. Its power is fitted to the
    mel (``fit_iterations`` KL updates; bands at the floor bound the power from above), then
    ``phase_iterations`` of fast Griffin-Lim make the phase consistent, starting from the proposal's phase
    (without one: peak-locked). Returns ``(batch, (frames - 1) * hop)`` float32.
    """
    stft = StftPair(mel.n_fft, mel.hop_length)
    start_power = start_phase = None
    if proposal is not None:
        consistent = stft.project(proposal)
        start_power, start_phase = consistent.abs().square_(), consistent.angle()
    mel_power = mel_power_frames_last(mel_unit, mel)
    power = nnls_mel_to_linear(
        mel_power, inversion_basis(mel), fit_iterations, start=start_power, floor_power=mel_floor_power(mel)
    )
    magnitude = power.sqrt_()
    phase = peak_locked_phase(magnitude, mel.hop_length, mel.n_fft) if start_phase is None else start_phase
    return fast_griffin_lim(magnitude, phase, stft, phase_iterations, progress=progress).numpy()


def nnls_fgla(
    mel_unit: np.ndarray, mel: MelConfig, *, n_iter: int | None, seed: int, progress: Progress | None
) -> np.ndarray:
    """Default: non-negative mel -> linear power (KL multiplicative updates from the pseudo-inverse), a
    peak-locked initial phase, then a few FGLA iterations. Deterministic: ``seed`` is not used."""
    del seed  # no random start
    iterations = NNLS_FGLA_ITERATIONS if n_iter is None else n_iter
    return mel_consistent_audio(mel_unit, mel, phase_iterations=iterations, progress=progress)


__all__ = [
    "BASELINE_ITERATIONS",
    "NNLS_FGLA_ITERATIONS",
    "NNLS_ITERATIONS",
    "fast_griffin_lim_method",
    "griffin_lim",
    "inversion_basis",
    "mel_consistent_audio",
    "mel_floor_power",
    "mel_power_frames_last",
    "nnls_fgla",
]
