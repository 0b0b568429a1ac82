"""Musicality yardsticks of a mono waveform: does it have a steady beat, sustained pitched sound, a clear
key centre, a tonal rather than noisy spectrum? Five figures per clip, defined as librosa computes them on the
first 10 s at 22050 Hz (STFT n_fft 2048, hop 512; ``spectral`` and ``beats`` redo librosa in NumPy/torch):

- ``beat_regularity``: peak of the onset-strength autocorrelation (mean removed, lag 0 scaled to 1) over lags
  0.25-2 s. About 1 for a metronome, near 0 for noise. Onset strength: spectral flux of a 128-band log-power
  mel spectrogram (``librosa.onset.onset_strength``).
- ``harmonic_share``: energy of the harmonic part / energy of the harmonic and percussive parts together,
  from harmonic-percussive separation by median filtering over 31 frames and 31 bins with soft masks
  (``librosa.decompose.hpss``). A sustained chord is near 1, white noise near 0.5, a click track near 0.
- ``tonal_clarity``: mean over frames of the strongest chroma bin's share of the frame's chroma energy, on the
  harmonic part (STFT chroma with estimated tuning, ``librosa.feature.chroma_stft``). 1/12 when every pitch
  class is alike, 1 for one pitch class.
- ``flatness``: mean over frames of the geometric / arithmetic mean of the power spectrum
  (``librosa.feature.spectral_flatness``): near 0 for tones, about 0.56 for white noise.
- ``tempo_cv``: coefficient of variation (std / mean) of the intervals between tracked beats (tempo from the
  tempogram with librosa's prior, Ellis's dynamic-programming tracker, ``librosa.beat.beat_track``): lower is
  steadier; None with fewer than three beats. ``tempo_bpm`` is the tempo estimate.

For orientation, real music of the open corpus measured with librosa: beat regularity 0.68, harmonic share
0.82, tonal clarity 0.28 (chroma of the whole signal; the harmonic part reads about 0.03 higher), flatness
0.014.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from melodygan_desktop.evaluation.beats import tempo_bpm, track_beats
from melodygan_desktop.evaluation.spectral import (
    AMIN,
    FRAME_RATE,
    HOP_LENGTH,
    N_FFT,
    N_MELS,
    SAMPLE_RATE,
    autocorrelate,
    chroma_filters,
    estimate_tuning,
    hpss_masks,
    mel_filters,
    onset_strength,
    power_to_db,
    stft_magnitude,
)

#: Only the first this-many seconds of a clip are measured.
MAX_SECONDS = 10.0
HPSS_KERNEL = 31
#: Lags (seconds) over which the onset autocorrelation peak is taken.
BEAT_LAGS = (0.25, 2.0)

#: The five yardsticks, in table order.
FEATURES: tuple[str, ...] = ("beat_regularity", "harmonic_share", "tonal_clarity", "flatness", "tempo_cv")
#: Column titles for tables.
LABELS: dict[str, str] = {
    "beat_regularity": "beat regularity",
    "harmonic_share": "harmonic share",
    "tonal_clarity": "tonal clarity",
    "flatness": "flatness",
    "tempo_cv": "beat interval CV",
    "tempo_bpm": "tempo (BPM)",
}
#: Figures averaged per genre: the five yardsticks and the tempo.
SUMMARY: tuple[str, ...] = (*FEATURES, "tempo_bpm")


@dataclass(frozen=True)
class Musicality:
    """The yardsticks of one clip (unitless ratios; ``tempo_bpm`` in beats per minute); None where a figure is
    undefined (silence, fewer than three beats). ``beats`` counts the tracked beats."""

    beat_regularity: float | None
    harmonic_share: float | None
    tonal_clarity: float | None
    flatness: float | None
    tempo_cv: float | None
    tempo_bpm: float | None
    beats: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


SILENT = Musicality(None, None, None, None, None, None, 0)


def prepare_audio(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mono float32 (samples,) at ``SAMPLE_RATE``: the first ``MAX_SECONDS`` of ``audio`` (samples,),
    resampled with libsoxr when ``sample_rate`` differs."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if not np.isfinite(audio).all():
        raise ValueError("audio holds NaN or infinite samples")
    if sample_rate != SAMPLE_RATE:
        from melodygan_desktop.audio.resample import resample_blocks

        head = audio[: int(math.ceil(MAX_SECONDS * sample_rate)) + 1]
        parts = list(resample_blocks([head], sample_rate, SAMPLE_RATE)) if head.size else []
        audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    return audio[: int(round(MAX_SECONDS * SAMPLE_RATE))]


def beat_regularity(onset: np.ndarray, frame_rate: float = FRAME_RATE) -> float | None:
    """Largest value of the autocorrelation of ``onset`` (frames,) minus its mean, divided by its lag-0
    value, over lags ``BEAT_LAGS`` seconds; None for a constant envelope or one shorter than the lags."""
    centred = np.asarray(onset, dtype=np.float64) - float(np.mean(onset))
    acf = autocorrelate(centred)
    low, high = (int(round(seconds * frame_rate)) for seconds in BEAT_LAGS)
    high = min(high, acf.size - 1)
    if acf.size == 0 or acf[0] <= 1e-12 * max(1.0, float(np.abs(centred).max(initial=0.0))) or high < low:
        return None
    return float(acf[low : high + 1].max() / acf[0])


def tonal_clarity(
    harmonic_power: np.ndarray, sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT
) -> float | None:
    """Mean over non-silent frames of max / sum of the 12 chroma energies of ``harmonic_power`` (freqs,
    frames), with the chroma filters shifted to the tuning estimated from the same spectrum."""
    tuning = estimate_tuning(harmonic_power, sample_rate, n_fft)
    chroma = chroma_filters(sample_rate, n_fft, 12, round(tuning, 2)) @ harmonic_power
    sums = chroma.sum(axis=0)
    sounding = sums > np.finfo(np.float32).tiny
    if not sounding.any():
        return None
    return float(np.mean(chroma.max(axis=0)[sounding] / sums[sounding]))


def spectral_flatness(power: np.ndarray) -> float:
    """Mean over frames of geometric / arithmetic mean of ``power`` (freqs, frames), floored at 1e-10."""
    floored = np.maximum(power.astype(np.float64), AMIN)
    return float(np.mean(np.exp(np.mean(np.log(floored), axis=0)) / np.mean(floored, axis=0)))


def interval_cv(beats: np.ndarray) -> float | None:
    """std / mean of the intervals between beat frames (increasing ints); None with fewer than 3 beats."""
    if beats.size < 3:
        return None
    intervals = np.diff(beats).astype(np.float64)
    return float(intervals.std() / intervals.mean())


def musicality(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Musicality:
    """The yardsticks of one mono clip ``audio`` (samples,) float in about [-1, 1] at ``sample_rate`` Hz
    (the first ``MAX_SECONDS``). Digital silence, or a clip shorter than half an STFT window (1024 samples
    after resampling), gives ``SILENT`` (every figure None)."""
    y = prepare_audio(audio, sample_rate)
    if y.size < N_FFT // 2 or not np.any(y):
        return SILENT
    magnitude = stft_magnitude(y, N_FFT, HOP_LENGTH)
    power = np.square(magnitude)
    total = float(power.sum(dtype=np.float64))
    if total <= 0.0:
        return SILENT
    mel_db = power_to_db(mel_filters(SAMPLE_RATE, N_FFT, N_MELS) @ power)
    regularity = beat_regularity(onset_strength(mel_db, N_FFT, HOP_LENGTH))
    harmonic_mask, percussive_mask = hpss_masks(magnitude, HPSS_KERNEL)
    harmonic_power = power * np.square(harmonic_mask)
    harmonic = float(harmonic_power.sum(dtype=np.float64))
    separated = harmonic + float((power * np.square(percussive_mask)).sum(dtype=np.float64))
    beat_onset = onset_strength(mel_db, N_FFT, HOP_LENGTH, aggregate=np.median)  # as librosa.beat_track
    tempo = tempo_bpm(beat_onset, FRAME_RATE)
    beats = track_beats(beat_onset, FRAME_RATE, tempo[0]) if tempo else np.zeros(0, dtype=np.int64)
    return Musicality(
        beat_regularity=regularity,
        harmonic_share=harmonic / separated if separated > 0 else None,
        tonal_clarity=tonal_clarity(harmonic_power),
        flatness=spectral_flatness(power),
        tempo_cv=interval_cv(beats),
        tempo_bpm=tempo[1] if tempo else None,
        beats=int(beats.size),
    )


def musicality_batch(
    clips: Iterable[np.ndarray],
    sample_rate: int = SAMPLE_RATE,
    progress: Callable[[int], None] | None = None,
) -> list[Musicality]:
    """``musicality`` of each clip (a (N, samples) array or any iterable of (samples,) arrays);
    ``progress(done)`` after each clip."""
    out = []
    for clip in clips:
        out.append(musicality(clip, sample_rate))
        if progress is not None:
            progress(len(out))
    return out


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def aggregate_musicality(
    features: Sequence[Musicality], labels: Sequence[int] | np.ndarray, genres: Sequence[str]
) -> dict[str, Any]:
    """Per-genre means of ``SUMMARY`` (``labels`` (N,) index ``genres``; None values left out) with the clip
    count, and ``overall``: the mean over genres of the genre means (every genre weighs the same).

    Returns ``{"genres": {genre: {figure: mean | None, "clips": n}}, "overall": {figure: mean | None}}``.
    """
    labels = np.asarray(labels)
    if len(features) != labels.shape[0]:
        raise ValueError(f"{len(features)} feature rows but {labels.shape[0]} labels")
    per_genre: dict[str, dict[str, Any]] = {}
    for index, genre in enumerate(genres):
        rows = [f for f, label in zip(features, labels) if label == index]
        per_genre[genre] = {name: _mean(getattr(f, name) for f in rows) for name in SUMMARY}
        per_genre[genre]["clips"] = len(rows)
    present = [g for g in genres if per_genre[g]["clips"]]
    overall = {name: _mean(per_genre[g][name] for g in present) for name in SUMMARY}
    return {"genres": per_genre, "overall": overall}
