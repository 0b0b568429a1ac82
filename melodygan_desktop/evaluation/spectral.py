"""Spectral building blocks of the tempo estimate (``tempo``) and of the lab's audio yardsticks
(``melodygan_lab.evaluation.musicality``, ``judge_features``), in NumPy and torch.

Each follows the librosa function named in its docstring (same windows, padding, filter shapes and
normalisations), so figures can be compared with published librosa numbers; librosa itself is not needed.
Arrays are float32 unless stated; spectrograms are ``(freqs, frames)`` with ``freqs = n_fft // 2 + 1`` and
``frames = 1 + samples // hop_length`` (centred frames).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import torch

#: Smallest power kept before a logarithm (librosa's ``amin``).
AMIN = 1e-10

#: The analysis every audio measure uses: librosa's defaults (22.05 kHz, STFT n_fft 2048, hop 512, 128 mels).
SAMPLE_RATE = 22050
N_FFT = 2048
HOP_LENGTH = 512
N_MELS = 128
FRAME_RATE = SAMPLE_RATE / HOP_LENGTH


def stft_magnitude(audio: np.ndarray, n_fft: int, hop_length: int) -> np.ndarray:
    """``|STFT|`` (freqs, frames) of mono ``audio`` (samples,): periodic Hann window of ``n_fft``, centred
    frames with zero padding (``librosa.stft`` defaults). Audio shorter than ``n_fft // 2`` is zero-padded."""
    signal = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))
    if signal.numel() <= n_fft // 2:
        signal = torch.nn.functional.pad(signal, (0, n_fft // 2 + 1 - signal.numel()))
    with torch.inference_mode():
        spectrum = torch.stft(
            signal,
            n_fft,
            hop_length,
            window=torch.hann_window(n_fft),
            center=True,
            pad_mode="constant",
            return_complex=True,
        )
        return spectrum.abs().numpy()


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (linear below 1 kHz, logarithmic above), as ``librosa.hz_to_mel(htk=False)``."""
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3)
    log_step = np.log(6.4) / 27.0
    above = hz >= 1000.0
    return np.where(above, 15.0 + np.log(np.maximum(hz, 1000.0) / 1000.0) / log_step, mel)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    log_step = np.log(6.4) / 27.0
    return np.where(mel >= 15.0, 1000.0 * np.exp(log_step * (mel - 15.0)), mel * (200.0 / 3))


@functools.lru_cache(maxsize=8)
def mel_filters(
    sample_rate: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None
) -> np.ndarray:
    """Triangular Slaney-scale filters with area normalisation, (n_mels, freqs) (``librosa.filters.mel``)."""
    fmax = sample_rate / 2 if fmax is None else fmax
    fft_hz = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(np.array(fmin)), _hz_to_mel(np.array(fmax)), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper)) * (2.0 / (edges[2:] - edges[:-2]))[:, None]
    weights = weights.astype(np.float32)
    weights.setflags(write=False)
    return weights


@functools.lru_cache(maxsize=16)
def chroma_filters(
    sample_rate: int, n_fft: int, n_chroma: int = 12, tuning: float = 0.0, ctroct: float = 5.0,
    octwidth: float = 2.0,
) -> np.ndarray:  # fmt: skip
    """Gaussian chroma bumps per FFT bin, (n_chroma, freqs), C first (``librosa.filters.chroma``).

    ``tuning`` is the deviation from A440 in fractions of a chroma bin; columns are L2-normalised, then
    weighted by a Gaussian over octaves centred on octave ``ctroct`` (about 520 Hz) ``octwidth`` wide.
    """
    frequencies = np.linspace(0, sample_rate, n_fft, endpoint=False)[1:]
    a440 = 440.0 * 2.0 ** (tuning / n_chroma)
    bins = n_chroma * np.log2(frequencies / (a440 / 16))
    bins = np.concatenate(([bins[0] - 1.5 * n_chroma], bins))
    widths = np.concatenate((np.maximum(bins[1:] - bins[:-1], 1.0), [1.0]))
    distance = bins[None, :] - np.arange(n_chroma, dtype=np.float64)[:, None]
    half = np.round(n_chroma / 2)
    distance = np.remainder(distance + half + 10 * n_chroma, n_chroma) - half
    weights = np.exp(-0.5 * (2 * distance / widths[None, :]) ** 2)
    weights /= np.maximum(np.sqrt((weights**2).sum(axis=0, keepdims=True)), np.finfo(np.float64).tiny)
    weights *= np.exp(-0.5 * ((bins / n_chroma - ctroct) / octwidth) ** 2)[None, :]
    weights = np.roll(weights, -3 * (n_chroma // 12), axis=0)
    out = np.ascontiguousarray(weights[:, : n_fft // 2 + 1], dtype=np.float32)
    out.setflags(write=False)
    return out


def power_to_db(power: np.ndarray, top_db: float | None = 80.0) -> np.ndarray:
    """``10 log10(max(power, 1e-10))`` (reference 1), floored ``top_db`` below the maximum
    (``librosa.power_to_db``)."""
    db = 10.0 * np.log10(np.maximum(power, AMIN))
    if top_db is not None and db.size:
        db = np.maximum(db, db.max() - top_db)
    return db.astype(np.float32, copy=False)


def onset_strength(
    mel_db: np.ndarray, n_fft: int, hop_length: int, aggregate: Callable[..., np.ndarray] = np.mean
) -> np.ndarray:
    """Spectral flux (frames,) of a log-power mel spectrogram (n_mels, frames): positive frame-to-frame
    increase in dB, aggregated over bands, shifted to the centre of the analysis window
    (``librosa.onset.onset_strength``, lag 1)."""
    if mel_db.shape[1] < 2:
        return np.zeros(mel_db.shape[1], dtype=np.float32)
    flux = aggregate(np.maximum(0.0, mel_db[:, 1:] - mel_db[:, :-1]), axis=0)
    pad = 1 + n_fft // (2 * hop_length)
    return np.concatenate([np.zeros(pad, dtype=np.float32), flux.astype(np.float32)])[: mel_db.shape[1]]


def autocorrelate(x: np.ndarray, max_lag: int | None = None) -> np.ndarray:
    """Raw autocorrelation ``r[k] = sum_t x[t] x[t + k]`` along the last axis, lags 0..max_lag-1
    (``librosa.autocorrelate``), computed with one zero-padded real FFT."""
    n = x.shape[-1]
    max_lag = n if max_lag is None else min(max_lag, n)
    size = 1 << int(np.ceil(np.log2(max(2 * n - 1, 1))))
    spectrum = np.fft.rfft(x, size, axis=-1)
    return np.fft.irfft(spectrum.real**2 + spectrum.imag**2, size, axis=-1)[..., :max_lag]


def median_filter(values: np.ndarray, size: int, axis: int, rows_per_block: int = 64) -> np.ndarray:
    """Running median of odd ``size`` along ``axis`` of a 2-D array, edges mirrored including the edge sample
    (``scipy.ndimage.median_filter(mode="reflect")`` with a 1-D window). Works in blocks of rows so the
    windows being partitioned stay in cache."""
    moved = np.ascontiguousarray(np.moveaxis(values, axis, -1))
    half = size // 2
    padded = np.pad(moved, ((0, 0), (half, half)), mode="symmetric")
    out = np.empty_like(moved)
    for start in range(0, moved.shape[0], rows_per_block):
        windows = np.lib.stride_tricks.sliding_window_view(
            padded[start : start + rows_per_block], size, axis=-1
        )
        out[start : start + rows_per_block] = np.partition(windows, half, axis=-1)[..., half]
    return np.moveaxis(out, -1, axis)


def hpss_masks(magnitude: np.ndarray, kernel: int = 31) -> tuple[np.ndarray, np.ndarray]:
    """Soft harmonic and percussive masks (freqs, frames) in [0, 1] of a magnitude spectrogram: median over
    ``kernel`` frames (harmonic) and ``kernel`` bins (percussive), Wiener-style masks with power 2, margin 1
    (``librosa.decompose.hpss``). Bins where both medians are 0 get 0 in both masks."""
    harmonic = np.square(median_filter(magnitude, kernel, axis=1))
    percussive = np.square(median_filter(magnitude, kernel, axis=0))
    total = harmonic + percussive
    silent = total < np.finfo(np.float32).tiny
    total[silent] = 1.0
    harmonic /= total
    percussive /= total
    harmonic[silent] = 0.0
    percussive[silent] = 0.0
    return harmonic, percussive


def _parabolic_shift(values: np.ndarray) -> np.ndarray:
    """Sub-bin offset of a parabola through each bin and its two neighbours along axis 0 (0 at the edges)."""
    shift = np.zeros_like(values)
    a = values[2:] + values[:-2] - 2 * values[1:-1]
    b = (values[2:] - values[:-2]) / 2
    ok = np.abs(b) < np.abs(a)
    shift[1:-1] = np.where(ok, -b / np.where(ok, a, 1.0), 0.0)
    return shift


def estimate_tuning(
    power: np.ndarray, sample_rate: int, n_fft: int, n_chroma: int = 12, fmin: float = 150.0,
    fmax: float = 4000.0,
) -> float:  # fmt: skip
    """Deviation from A440 in fractions of a chroma bin, in [-0.5, 0.5), from spectral peaks of ``power``
    (freqs, frames) between ``fmin`` and ``fmax`` (``librosa.estimate_tuning``: peaks above a tenth of the
    frame maximum, parabolic frequency, those at or above the median magnitude, histogram in 0.01 steps)."""
    spectrum = np.abs(power).astype(np.float64)
    if spectrum.shape[0] < 3 or not spectrum.any():
        return 0.0
    hz = np.linspace(0.0, sample_rate / 2, spectrum.shape[0])
    in_band = np.flatnonzero((hz >= fmin) & (hz < fmax))
    if in_band.size == 0:
        return 0.0
    low, high = max(0, in_band[0] - 1), min(spectrum.shape[0], in_band[-1] + 2)  # one bin either side
    frame_max = spectrum.max(axis=0, keepdims=True)
    band = spectrum[low:high]
    shift = _parabolic_shift(band)
    gated = band * (band > 0.1 * frame_max)
    peak = np.zeros_like(gated, dtype=bool)
    peak[1:-1] = (gated[1:-1] > gated[:-2]) & (gated[1:-1] >= gated[2:])
    peak &= ((hz[low:high] >= fmin) & (hz[low:high] < fmax))[:, None]
    rows, cols = np.nonzero(peak)
    if rows.size == 0:
        return 0.0
    pitches = (low + rows + shift[rows, cols]) * sample_rate / n_fft
    magnitudes = band[rows, cols] + 0.5 * np.gradient(band, axis=0)[rows, cols] * shift[rows, cols]
    pitches = pitches[(magnitudes >= np.median(magnitudes)) & (pitches > 0)]
    if pitches.size == 0:
        return 0.0
    residual = np.mod(n_chroma * np.log2(pitches / (440.0 / 16)), 1.0)
    residual[residual >= 0.5] -= 1.0
    edges = np.linspace(-0.5, 0.5, 101)
    counts, _ = np.histogram(residual, edges)
    return float(edges[np.argmax(counts)])


@functools.lru_cache(maxsize=4)
def dct_matrix(n_out: int, n_in: int) -> np.ndarray:
    """Orthonormal DCT-II (n_out, n_in): ``dct_matrix(k, m) @ x`` = ``scipy.fft.dct(x, norm="ortho")[:k]``."""
    k = np.arange(n_out)[:, None]
    n = np.arange(n_in)[None, :]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    basis[0] /= np.sqrt(2.0)
    out = basis.astype(np.float32)
    out.setflags(write=False)
    return out
