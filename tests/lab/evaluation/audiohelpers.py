"""Three clearly different synthetic "genres" as 22.05 kHz audio for the judge and audio-report tests:
filtered noise, sustained tones and click tracks, each with seeded random variations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

SR = 22050
AUDIO_GENRES = ("clicks", "noise", "tones")


def noise_texture(seconds: float, sr: int, seed: int) -> np.ndarray:
    """Noise smoothed by a random one-pole low-pass, slowly swelling; float32 peak 0.5."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sr))
    white = rng.standard_normal(n)
    smoothing = rng.uniform(0.0, 0.6)
    coloured = white.copy()
    coloured[1:] = white[1:] + smoothing * white[:-1]
    swell = 1.0 + 0.3 * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * np.arange(n) / sr)
    audio = coloured * swell
    return (0.5 * audio / np.abs(audio).max()).astype(np.float32)


def sustained_tones(seconds: float, sr: int, seed: int) -> np.ndarray:
    """Two or three sustained sines (200-800 Hz) with gentle vibrato; float32 peak 0.5."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * sr))) / sr
    audio = np.zeros_like(t)
    for _ in range(rng.integers(2, 4)):
        f = rng.uniform(200.0, 800.0)
        audio += np.sin(2 * np.pi * f * t + 0.002 * f * np.sin(2 * np.pi * 5.0 * t))
    audio += 0.003 * rng.standard_normal(t.shape)
    return (0.5 * audio / np.abs(audio).max()).astype(np.float32)


def click_track(seconds: float, sr: int, seed: int) -> np.ndarray:
    """Decaying noise clicks (about 20 ms) at a random tempo of 90-150 BPM; float32 peak 0.5."""
    rng = np.random.default_rng(seed)
    audio = np.zeros(int(round(seconds * sr)))
    n = int(0.06 * sr)
    click = rng.standard_normal(n) * np.exp(-np.arange(n) / (0.02 * sr))
    period = 60.0 / rng.uniform(90.0, 150.0)
    for start in np.arange(rng.uniform(0, period), seconds, period):
        s = int(start * sr)
        audio[s : s + n] += click[: audio.size - s]
    audio += 0.001 * rng.standard_normal(audio.shape)
    return (0.5 * audio / np.abs(audio).max()).astype(np.float32)


SYNTHS = {"clicks": click_track, "noise": noise_texture, "tones": sustained_tones}


def synthetic_audio(genre: str, seconds: float, seed: int, sr: int = SR) -> np.ndarray:
    return SYNTHS[genre](seconds, sr, seed)


def write_audio_corpus(root: Path, tracks: dict[str, int], seconds: float, sr: int = SR) -> Path:
    """``root/<split>/<genre>/track_N.wav`` of the three synthetic genres, ``tracks[split]`` per genre."""
    for s_index, (split, count) in enumerate(tracks.items()):
        for g_index, genre in enumerate(AUDIO_GENRES):
            for index in range(count):
                audio = synthetic_audio(genre, seconds, 10_000 * s_index + 100 * g_index + index, sr)
                path = root / split / genre / f"track_{index}.wav"
                path.parent.mkdir(parents=True, exist_ok=True)
                sf.write(str(path), audio, sr)
    return root
