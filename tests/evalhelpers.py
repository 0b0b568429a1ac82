"""Helpers for the evaluation tests: two clearly different synthetic genres as audio, mels and folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from melodygan_desktop.audio.mel import MelFrontEnd, waveform_to_mel
from melodygan_desktop.config import MelConfig
from melodygan_desktop.data.prepared import ClipSet

#: Small settings so a clip is computed and classified in milliseconds: 1-s clips, 32 mels, 63 frames.
TINY_MEL = MelConfig(sample_rate=8000, n_fft=256, hop_length=128, n_mels=32, clip_seconds=1.0)
GENRES = ("lowchords", "noisebursts")


def low_chords(seconds: float, sample_rate: int, seed: int) -> np.ndarray:
    """Decaying low-register triads (80-300 Hz), float32 mono, peak 0.5."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    root = rng.uniform(80.0, 140.0)
    audio = np.zeros_like(t)
    for ratio in (1.0, 1.26, 1.5, 2.0):
        env = np.exp(-rng.uniform(2.0, 5.0) * ((t + rng.uniform(0, 0.5)) % 0.5))
        audio += env * np.sin(2 * np.pi * root * ratio * t + rng.uniform(0, 6.28))
    audio += 0.005 * rng.standard_normal(t.shape)
    return (0.5 * audio / np.max(np.abs(audio))).astype(np.float32)


def noise_bursts(seconds: float, sample_rate: int, seed: int) -> np.ndarray:
    """Short high-passed noise bursts (mostly above 2 kHz), float32 mono, peak 0.5."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sample_rate))
    noise = rng.standard_normal(n)
    noise = np.diff(np.diff(noise, prepend=0.0), prepend=0.0)  # second difference: a crude high-pass
    t = np.arange(n) / sample_rate
    period = rng.uniform(0.15, 0.3)
    envelope = np.exp(-rng.uniform(15.0, 30.0) * ((t + rng.uniform(0, period)) % period))
    audio = noise * envelope
    return (0.5 * audio / np.max(np.abs(audio))).astype(np.float32)


SYNTHS = {"lowchords": low_chords, "noisebursts": noise_bursts}


def synthetic_clipset(
    mel: MelConfig, clips_per_genre: int, seed: int = 0, tracks_per_genre: int = 4
) -> ClipSet:
    """Mels (N, n_mels, frames) float16 of both genres, labels 0/1, clips spread over several track ids."""
    front_end = MelFrontEnd(mel)
    mels, labels, tracks = [], [], []
    for label, genre in enumerate(GENRES):
        for index in range(clips_per_genre):
            audio = SYNTHS[genre](mel.clip_seconds, mel.sample_rate, seed * 100_003 + label * 10_007 + index)
            mels.append(waveform_to_mel(audio, mel, front_end=front_end)[:, : mel.frames])
            labels.append(label)
            tracks.append(label * tracks_per_genre + index % tracks_per_genre)
    return ClipSet(
        mels=np.stack(mels).astype(np.float16),
        labels=np.array(labels, dtype=np.int64),
        track_ids=np.array(tracks, dtype=np.int64),
    )


def write_corpus(
    root: Path, mel: MelConfig, tracks: dict[str, int], seconds: float = 3.0, seed: int = 0
) -> Path:
    """``root/<split>/<genre>/track_N.wav`` for each split in ``tracks`` (split -> tracks per genre)."""
    for s_index, (split, count) in enumerate(tracks.items()):
        for genre, synth in SYNTHS.items():
            for index in range(count):
                audio = synth(
                    seconds, mel.sample_rate, seed + 1000 * s_index + index + (500 if genre[0] == "n" else 0)
                )
                path = root / split / genre / f"track_{index}.wav"
                path.parent.mkdir(parents=True, exist_ok=True)
                sf.write(str(path), audio, mel.sample_rate)
    return root
