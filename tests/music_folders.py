"""Synthetic music for tests: a decaying chord progression, and a genre folder of such tracks.

A plain module (not a conftest) so that tests anywhere can import it: ``from music_folders import ...``.
"""

from __future__ import annotations

import numpy as np


def make_chord(seconds: float, sample_rate: int = 22050, freqs=(220.0, 277.18, 329.63), seed: int = 0):
    """A decaying-note chord progression with a little noise: music-like test audio, float32 mono."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    audio = np.zeros_like(t)
    beat = 0.5
    for i, f in enumerate(freqs):
        env = np.exp(-3.0 * ((t + i * 0.17) % beat))
        audio += env * np.sin(2 * np.pi * f * t) / len(freqs)
    audio += 0.01 * rng.standard_normal(t.shape)
    return (0.5 * audio / np.max(np.abs(audio))).astype(np.float32)


def write_genre_folder(root, genres=("rock", "jazz"), tracks=2, seconds=6.0, sample_rate=22050):
    """A small training folder: ``root/<genre>/track_<i>.wav``, each genre with its own chord colour."""
    import soundfile

    base = {"rock": (110.0, 146.83, 164.81), "jazz": (261.63, 329.63, 392.0, 493.88)}
    for g_index, genre in enumerate(genres):
        folder = root / genre
        folder.mkdir(parents=True, exist_ok=True)
        freqs = base.get(genre, (220.0 * (1 + g_index), 330.0 * (1 + g_index)))
        for t_index in range(tracks):
            audio = make_chord(seconds, sample_rate, freqs=freqs, seed=10 * g_index + t_index)
            soundfile.write(folder / f"track_{t_index}.wav", audio, sample_rate)
    return root
