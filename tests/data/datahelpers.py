"""Helpers for the data-preparation tests: a small MelConfig, test audio files, a folder builder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from melodygan_desktop.config import MelConfig

#: Small settings so each test decodes and transforms in milliseconds: 1-s clips, 32 mels, 126 frames.
TINY_MEL = MelConfig(sample_rate=8000, n_fft=256, hop_length=64, n_mels=32, clip_seconds=1.0)


def tone(seconds: float, sample_rate: int = 8000, freq: float = 440.0, seed: int = 0) -> np.ndarray:
    """A tone with vibrato and a little noise (float32 mono, peak 0.5)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    audio = np.sin(2 * np.pi * freq * t + 3 * np.sin(2 * np.pi * 2 * t)) + 0.05 * rng.standard_normal(t.shape)
    return (0.5 * audio / np.max(np.abs(audio))).astype(np.float32)


def write_wav(path: Path, audio: np.ndarray, sample_rate: int = 8000, subtype: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), audio, sample_rate, subtype=subtype)
    return path


def make_genre_folder(root: Path, genres: dict[str, int], seconds: float = 2.5) -> Path:
    """``root/<genre>/<genre>.NNNNN.wav`` with ``genres[genre]`` tracks each (GTZAN-style names)."""
    for g_index, (genre, count) in enumerate(genres.items()):
        for index in range(count):
            audio = tone(seconds, freq=200.0 + 40 * g_index + 5 * index, seed=index)
            write_wav(root / genre / f"{genre}.{index:05d}.wav", audio)
    return root

