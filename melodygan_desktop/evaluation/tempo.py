"""Tempo and first beat of a take, for cutting loops: the beat tracker of ``evaluation.beats`` over the
first ``MAX_SECONDS`` of the audio, analysed at ``spectral``'s settings (22.05 kHz, 128 mels), as the lab's
musicality yardsticks are."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from melodygan_desktop.evaluation.beats import tempo_bpm, track_beats
from melodygan_desktop.evaluation.spectral import (
    FRAME_RATE,
    HOP_LENGTH,
    N_FFT,
    N_MELS,
    SAMPLE_RATE,
    mel_filters,
    onset_strength,
    power_to_db,
    stft_magnitude,
)

#: Seconds of the take analysed.
MAX_SECONDS = 60.0


@dataclass(frozen=True)
class TempoEstimate:
    """``bpm`` (refined between frames, then rounded to a whole BPM: the estimate is good to about +-0.5 BPM
    and a DAW's grid wants whole numbers), ``first_beat_seconds`` (the earliest beat on the tracked grid:
    the first tracked beat stepped back by whole beats while >= 0; 0 when no beat was tracked) and how many
    beats were tracked."""

    bpm: float
    first_beat_seconds: float
    beats: int


def estimate_tempo(audio: np.ndarray, sample_rate: int) -> TempoEstimate | None:
    """The tempo and first beat of mono ``audio`` (samples,) at ``sample_rate``; None for silence or audio
    too short to hold a beat."""
    y = np.asarray(audio, dtype=np.float32)
    y = y.mean(axis=1) if y.ndim == 2 else y.reshape(-1)
    if not np.isfinite(y).all():
        raise ValueError("audio holds NaN or infinite samples")
    y = y[: int(round(MAX_SECONDS * sample_rate))]
    if sample_rate != SAMPLE_RATE and y.size:
        from melodygan_desktop.audio.resample import resample_blocks

        y = np.concatenate(list(resample_blocks([y], sample_rate, SAMPLE_RATE)) or [np.zeros(0, np.float32)])
    if y.size < N_FFT or not np.any(y):
        return None
    power = np.square(stft_magnitude(y, N_FFT, HOP_LENGTH))
    mel_db = power_to_db(mel_filters(SAMPLE_RATE, N_FFT, N_MELS) @ power)
    onset = onset_strength(mel_db, N_FFT, HOP_LENGTH, aggregate=np.median)
    tempo = tempo_bpm(onset, FRAME_RATE)
    if tempo is None:
        return None
    beats = track_beats(onset, FRAME_RATE, tempo[0])
    bpm = float(round(tempo[1]))
    first = float(beats[0]) / FRAME_RATE if beats.size else 0.0
    period = 60.0 / bpm
    # the onset envelope is 0 for its first frames, so a beat at t = 0 is never tracked: step back on the grid
    first = max(0.0, first - float(np.floor(first / period + 0.05)) * period)
    return TempoEstimate(bpm=bpm, first_beat_seconds=first, beats=int(beats.size))


__all__ = ["MAX_SECONDS", "TempoEstimate", "estimate_tempo"]
