"""What the genre judge hears: a fixed-length vector of frame statistics computed from a waveform, with a
front end of its own (1024-point STFT, 40 Slaney mel bands) that shares nothing with the log-mel images the
generators and the bundled classifier work on.

Per clip (the first ``clip_seconds``, resampled to ``sample_rate`` and scaled to ``level_dbfs`` RMS so the
judge cannot go by loudness), mean and standard deviation over frames of: 20 MFCCs, 12 chroma bins (each
frame scaled to peak 1), 7 spectral-contrast bands (octaves from 200 Hz, peak vs valley in dB), spectral
centroid, 85 % roll-off (both in kHz), zero-crossing rate and RMS level (dB); and a tempogram summary: the
autocorrelation tempogram of the onset envelope averaged over time, pooled into ``tempo_bins`` log-spaced
bands between ``tempo_min_bpm`` and ``tempo_max_bpm``. 110 values with the default settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from melodygan_desktop.evaluation.beats import tempogram
from melodygan_desktop.evaluation.spectral import (
    chroma_filters,
    dct_matrix,
    mel_filters,
    onset_strength,
    power_to_db,
    stft_magnitude,
)


@dataclass(frozen=True)
class JudgeFeatureSettings:
    """Front-end settings, stored in the judge's ``meta.json`` (a judge only reads vectors made alike)."""

    sample_rate: int = 22050
    n_fft: int = 1024
    hop_length: int = 512
    n_mels: int = 40
    n_mfcc: int = 20
    contrast_bands: int = 6
    contrast_fmin: float = 200.0
    contrast_quantile: float = 0.02
    tempogram_frames: int = 384
    tempo_bins: int = 24
    tempo_min_bpm: float = 30.0
    tempo_max_bpm: float = 480.0
    clip_seconds: float = 10.0
    level_dbfs: float = -20.0

    def __post_init__(self) -> None:
        if min(self.sample_rate, self.n_fft, self.hop_length, self.n_mels, self.n_mfcc) <= 0:
            raise ValueError(
                "JudgeFeatureSettings: sample_rate, n_fft, hop_length, n_mels, n_mfcc must be > 0"
            )
        if self.n_mfcc > self.n_mels or self.contrast_bands < 1 or self.tempo_bins < 1:
            raise ValueError(
                "JudgeFeatureSettings: need n_mfcc <= n_mels, contrast_bands >= 1, tempo_bins >= 1"
            )
        if self.contrast_fmin * 2 ** (self.contrast_bands - 1) >= self.sample_rate / 2:
            raise ValueError("JudgeFeatureSettings: the contrast bands reach past the Nyquist frequency")
        if not 0 < self.contrast_quantile < 0.5 or not 0 < self.tempo_min_bpm < self.tempo_max_bpm:
            raise ValueError("JudgeFeatureSettings: bad contrast_quantile or tempo range")
        if self.clip_seconds <= 0 or self.tempogram_frames < 2:
            raise ValueError("JudgeFeatureSettings: clip_seconds > 0 and tempogram_frames >= 2 required")

    @property
    def frame_rate(self) -> float:
        return self.sample_rate / self.hop_length


def feature_names(settings: JudgeFeatureSettings) -> tuple[str, ...]:
    """Name of each value of ``judge_features``' vector, in order."""
    frame_wise = [f"mfcc{i}" for i in range(settings.n_mfcc)]
    frame_wise += [f"chroma{i}" for i in range(12)]
    frame_wise += [f"contrast{i}" for i in range(settings.contrast_bands + 1)]
    frame_wise += ["centroid_khz", "rolloff_khz", "zero_crossings", "rms_db"]
    names = [f"{n}_mean" for n in frame_wise] + [f"{n}_std" for n in frame_wise]
    return tuple(names + [f"tempo{i}" for i in range(settings.tempo_bins)])


def spectral_contrast(magnitude: np.ndarray, settings: JudgeFeatureSettings) -> np.ndarray:
    """(bands + 1, frames) dB difference between the mean of the top and of the bottom ``contrast_quantile``
    of magnitudes in each octave band from ``contrast_fmin`` (the last band runs to Nyquist), as
    ``librosa.feature.spectral_contrast``."""
    hz = np.linspace(0.0, settings.sample_rate / 2, magnitude.shape[0])
    edges = np.concatenate([[0.0], settings.contrast_fmin * 2.0 ** np.arange(settings.contrast_bands + 1)])
    out = np.empty((settings.contrast_bands + 1, magnitude.shape[1]), dtype=np.float32)
    for k, (low, high) in enumerate(zip(edges[:-1], edges[1:])):
        band = (hz >= low) & (hz <= high)
        rows = np.flatnonzero(band)
        if k > 0:
            band[rows[0] - 1] = True
        if k == settings.contrast_bands:
            band[rows[-1] + 1 :] = True
        count = int(band.sum())
        sub = magnitude[band] if k == settings.contrast_bands else magnitude[band][:-1]
        take = max(1, int(np.rint(settings.contrast_quantile * count)))
        ordered = np.sort(sub, axis=0)
        valley, peak = ordered[:take].mean(axis=0), ordered[-take:].mean(axis=0)
        out[k] = power_to_db(peak, None) - power_to_db(valley, None)
    return out


def _tempo_summary(onset: np.ndarray, settings: JudgeFeatureSettings) -> np.ndarray:
    """Time-averaged autocorrelation tempogram (1 at lag 0) pooled into ``tempo_bins`` log-spaced lag bins."""
    window = min(settings.tempogram_frames, onset.size)
    curve = tempogram(onset, window).mean(axis=1) if onset.any() else np.zeros(window)
    lags = settings.frame_rate * 60.0 / np.array([settings.tempo_max_bpm, settings.tempo_min_bpm])
    fine = np.geomspace(lags[0], lags[1], settings.tempo_bins * 8)
    return np.interp(fine, np.arange(window), curve, right=0.0).reshape(settings.tempo_bins, 8).mean(axis=1)


def prepare_clip(audio: np.ndarray, sample_rate: int, settings: JudgeFeatureSettings) -> np.ndarray:
    """The first ``clip_seconds`` of mono ``audio`` (samples,) at ``settings.sample_rate``, scaled to
    ``level_dbfs`` RMS (digital silence stays silent)."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if not np.isfinite(audio).all():
        raise ValueError("audio holds NaN or infinite samples")
    if sample_rate != settings.sample_rate:
        from melodygan_desktop.audio.resample import resample_blocks

        head = audio[: int(np.ceil(settings.clip_seconds * sample_rate)) + 1]
        parts = list(resample_blocks([head], sample_rate, settings.sample_rate)) if head.size else []
        audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    audio = audio[: int(round(settings.clip_seconds * settings.sample_rate))]
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0
    return audio * np.float32(10 ** (settings.level_dbfs / 20) / rms) if rms > 0 else audio


def judge_features(
    audio: np.ndarray, sample_rate: int, settings: JudgeFeatureSettings | None = None
) -> np.ndarray:
    """The feature vector float32 (len(feature_names(settings)),) of mono ``audio`` (samples,) at
    ``sample_rate`` Hz; see the module docstring. Raises ValueError for NaN/inf samples or clips shorter
    than one STFT window."""
    settings = settings or JudgeFeatureSettings()
    y = prepare_clip(audio, sample_rate, settings)
    if y.size < settings.n_fft:
        raise ValueError(f"clip too short for the judge: {y.size} samples, need >= {settings.n_fft}")
    sr, n_fft, hop = settings.sample_rate, settings.n_fft, settings.hop_length
    magnitude = stft_magnitude(y, n_fft, hop)
    power = np.square(magnitude)
    mel_db = power_to_db(mel_filters(sr, n_fft, settings.n_mels) @ power)
    mfcc = dct_matrix(settings.n_mfcc, settings.n_mels) @ mel_db
    chroma = chroma_filters(sr, n_fft) @ power
    chroma /= np.maximum(chroma.max(axis=0, keepdims=True), np.finfo(np.float32).tiny)
    contrast = spectral_contrast(magnitude, settings)
    hz = np.linspace(0.0, sr / 2, magnitude.shape[0], dtype=np.float32)[:, None]
    total = np.maximum(magnitude.sum(axis=0), np.finfo(np.float32).tiny)
    centroid = (hz * magnitude).sum(axis=0) / total / 1000.0
    cumulative = np.cumsum(power, axis=0)
    rolloff_bin = (cumulative < 0.85 * cumulative[-1:]).sum(axis=0).clip(max=magnitude.shape[0] - 1)
    rolloff = hz[rolloff_bin, 0] / 1000.0
    frames = np.lib.stride_tricks.sliding_window_view(np.pad(y, n_fft // 2), n_fft)[::hop]
    signs = np.signbit(frames)
    crossings = (signs[:, 1:] != signs[:, :-1]).mean(axis=1)
    rms_db = 10.0 * np.log10(np.maximum(np.mean(np.square(frames), axis=1), 1e-10))
    frame_wise = np.concatenate(
        [mfcc, chroma, contrast, np.stack([centroid, rolloff, crossings, rms_db]).astype(np.float32)]
    )
    onset = onset_strength(mel_db, n_fft, hop)
    vector = np.concatenate(
        [frame_wise.mean(axis=1), frame_wise.std(axis=1), _tempo_summary(onset, settings)]
    )
    return vector.astype(np.float32)
