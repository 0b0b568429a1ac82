"""Tempo and beats from an onset-strength envelope: the autocorrelation tempogram, a tempo estimate with a
log-normal prior around 120 BPM, and Ellis's (2007) dynamic-programming beat tracker.

All three follow librosa (``feature.tempogram``, ``feature.tempo``, ``beat.beat_track``) so tempi agree with
librosa's; envelopes are (frames,) at ``frame_rate`` frames per second (sample rate / hop length).
"""

from __future__ import annotations

import numpy as np

from melodygan_desktop.evaluation.spectral import autocorrelate

#: Tempo prior: log-normal around 120 BPM, standard deviation one octave; tempi above 320 BPM are out.
START_BPM = 120.0
STD_OCTAVES = 1.0
MAX_BPM = 320.0
#: Tempogram window for the tempo estimate, seconds (librosa's ``ac_size``).
TEMPO_WINDOW_SECONDS = 8.0
#: How strongly the beat tracker keeps to the tempo (librosa's ``tightness``).
TIGHTNESS = 100.0


def tempogram(onset: np.ndarray, win_length: int) -> np.ndarray:
    """Autocorrelation tempogram (win_length, frames): for each frame, the autocorrelation of the
    Hann-windowed envelope around it (lags 0..win_length-1 frames), scaled so its largest value is 1. The
    envelope is padded with linear ramps to 0 at both ends, as in ``librosa.feature.tempogram``."""
    onset = np.asarray(onset, dtype=np.float64)
    frames = onset.shape[0]
    half = win_length // 2
    padded = np.pad(onset, (half, half), mode="linear_ramp", end_values=(0.0, 0.0))
    windows = np.lib.stride_tricks.sliding_window_view(padded, win_length)[:frames]
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win_length) / win_length)
    acf = autocorrelate(windows * hann, win_length)
    peak = np.abs(acf).max(axis=1, keepdims=True)
    acf = np.where(peak > np.finfo(np.float64).tiny, acf / np.where(peak > 0, peak, 1.0), acf)
    return acf.T


def tempo_bpm(onset: np.ndarray, frame_rate: float) -> tuple[float, float] | None:
    """``(bpm at the best whole-frame lag, bpm refined between frames)`` from the time-averaged tempogram of
    ``onset`` weighted by the log-normal tempo prior (``librosa.feature.tempo``); None for a flat envelope.

    The whole-frame tempo is librosa's and drives the beat tracker; the refined one fits a parabola through
    the best lag and its neighbours (librosa says 117.5 or 123.0 BPM for a 120 BPM click at 43 frames/s)."""
    onset = np.asarray(onset, dtype=np.float64)
    if onset.size < 4 or not onset.any():
        return None
    win_length = min(int(np.floor(TEMPO_WINDOW_SECONDS * frame_rate)), onset.size)
    mean_acf = tempogram(onset, win_length).mean(axis=1)
    lags = np.arange(win_length, dtype=np.float64)
    with np.errstate(divide="ignore"):
        bpms = 60.0 * frame_rate / lags
    log_prior = np.full(win_length, -np.inf)
    allowed = (lags > 0) & (bpms < MAX_BPM)
    log_prior[allowed] = -0.5 * ((np.log2(bpms[allowed]) - np.log2(START_BPM)) / STD_OCTAVES) ** 2
    score = np.log1p(1e6 * np.maximum(mean_acf, 0.0)) + log_prior
    best = int(np.argmax(score))
    if not np.isfinite(score[best]):
        return None
    refined = float(best)
    if 0 < best < win_length - 1 and np.isfinite(score[best - 1]) and np.isfinite(score[best + 1]):
        left, mid, right = mean_acf[best - 1], mean_acf[best], mean_acf[best + 1]
        curve = left - 2 * mid + right
        if curve < 0:
            refined = best + float(np.clip(0.5 * (left - right) / curve, -0.5, 0.5))
    return float(bpms[best]), 60.0 * frame_rate / refined


def _local_score(onset: np.ndarray, period: int) -> np.ndarray:
    """Envelope / its standard deviation, smoothed by a Gaussian of +-period frames (sigma period / 32)."""
    scale = onset.std(ddof=1) if onset.size > 1 else 0.0
    normalised = onset / (scale + np.finfo(np.float64).tiny)
    window = np.exp(-0.5 * (np.arange(-period, period + 1) * 32.0 / period) ** 2)
    return np.convolve(normalised, window, mode="same")


def track_beats(onset: np.ndarray, frame_rate: float, bpm: float, tightness: float = TIGHTNESS) -> np.ndarray:
    """Beat frames (int64, increasing) of ``onset`` (frames,) at tempo ``bpm``: Ellis's dynamic program
    maximises onset strength at beats minus ``tightness * log(interval / period)^2`` per interval, then weak
    leading and trailing beats are trimmed (``librosa.beat.beat_track`` with ``trim=True``)."""
    onset = np.asarray(onset, dtype=np.float64)
    if onset.size < 2 or not onset.any() or bpm <= 0:
        return np.zeros(0, dtype=np.int64)
    period = max(1, int(np.round(frame_rate * 60.0 / bpm)))
    score = _local_score(onset, period)
    n = score.size
    backlink = np.full(n, -1, dtype=np.int64)
    cumulative = np.zeros(n)
    threshold = 0.01 * score.max()
    first_beat = True
    nearest, farthest = int(np.round(period / 2)), 2 * period
    for i in range(n):
        start, stop = max(0, i - farthest), i - nearest + 1  # candidate previous beats: loc in [start, stop)
        best = -1
        if stop > start:
            locs = np.arange(start, stop)
            candidates = cumulative[start:stop] - tightness * (np.log(i - locs) - np.log(period)) ** 2
            pick = int(np.argmax(candidates[::-1]))  # ties: the nearest candidate, as librosa's loop
            best = stop - 1 - pick
            cumulative[i] = score[i] + candidates[best - start]
        else:
            cumulative[i] = score[i]
        if first_beat and score[i] < threshold:
            backlink[i] = -1
        else:
            backlink[i] = best
            first_beat = False
    padded = np.pad(cumulative, 1, mode="edge")
    is_max = (cumulative > padded[:-2]) & (cumulative >= padded[2:])
    limit = 0.5 * np.median(cumulative[is_max]) if is_max.any() else -np.inf
    tail = n - 1
    while tail >= 0 and not (is_max[tail] and cumulative[tail] >= limit):
        tail -= 1
    tail = n - 1 if tail < 0 else tail
    beats = []
    while tail >= 0:
        beats.append(tail)
        tail = int(backlink[tail])
    beats = np.array(beats[::-1], dtype=np.int64)
    return _trim(score, beats)


def _trim(score: np.ndarray, beats: np.ndarray) -> np.ndarray:
    """Drop beats before the first and after the last frame whose local score exceeds half the RMS of the
    Hann-smoothed scores at the beats (librosa's trimming)."""
    if beats.size == 0:
        return beats
    window = np.hanning(5)
    smooth = np.convolve(score[beats], window)[len(window) // 2 : len(window) // 2 + score.size]
    threshold = 0.5 * np.sqrt(np.mean(smooth**2))
    strong = np.flatnonzero(score > threshold)
    if strong.size == 0:
        return beats[:0]
    return beats[(beats >= strong[0]) & (beats <= strong[-1])]
