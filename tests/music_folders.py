"""Synthetic music for tests: a decaying chord progression, a mastered-like loop with drums, and a genre
folder of chord tracks.

A plain module (not a conftest) so that tests anywhere can import it: ``from music_folders import ...``.
"""

from __future__ import annotations

import numpy as np


def make_music(seconds: float, sample_rate: int = 22050, seed: int = 0, peak: float = 0.95) -> np.ndarray:
    """A loud, mastered-like 120-bpm loop (float32 mono, peak ``peak``): chords, bass, kick, snare, hi-hat."""
    rng = np.random.default_rng(seed)
    samples = int(round(seconds * sample_rate))
    t = np.arange(samples) / sample_rate
    out = np.zeros(samples)
    beat = 0.5
    chords = [(220.0, 261.63, 329.63), (174.61, 220.0, 261.63), (261.63, 329.63, 392.0),
              (196.0, 246.94, 293.66)]
    bar = (t // (4 * beat)).astype(int) % len(chords)
    note_age = t % beat
    for index, chord in enumerate(chords):
        active = bar == index
        envelope = np.minimum(note_age / 0.01, 1.0) * np.exp(-2.0 * note_age)
        for frequency in chord:
            for harmonic in range(1, 9):
                if frequency * harmonic < sample_rate / 2:
                    out += active * envelope * np.sin(2 * np.pi * frequency * harmonic * t) / (harmonic * 6)
        bass_age = t % (beat / 2)
        out += active * 0.5 * np.exp(-6 * bass_age) * np.sign(np.sin(2 * np.pi * chord[0] / 2 * t))
    kick_phase = 2 * np.pi * (50 * note_age + (100 / 12.0) * (1 - np.exp(-12 * note_age)))
    out += 1.2 * np.exp(-8 * note_age) * np.sin(kick_phase)
    bar_age = t % (2 * beat)
    snare_on = (t % (2 * beat)) >= beat
    snare_age = np.where(snare_on, bar_age - beat, 10.0)
    out += 0.6 * np.exp(-20 * snare_age) * (rng.standard_normal(samples) + np.sin(2 * np.pi * 180 * t))
    hat_age = t % (beat / 2)
    out += 0.25 * np.exp(-60 * hat_age) * np.diff(rng.standard_normal(samples + 1))
    out += 0.003 * rng.standard_normal(samples)
    return (peak * out / np.max(np.abs(out))).astype(np.float32)


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
