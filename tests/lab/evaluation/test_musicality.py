"""Musicality yardsticks on synthetic signals whose answers are known: a steady click track, a jittered one,
a sustained note and chord, white noise and silence; librosa cross-check when it is installed."""

from __future__ import annotations

import numpy as np
import pytest

from melodygan_lab.evaluation.musicality import (
    FEATURES,
    SILENT,
    Musicality,
    aggregate_musicality,
    musicality,
    musicality_batch,
)

SR = 22050


def clicks(bpm: float = 120.0, seconds: float = 10.0, jitter: float = 0.0, sr: int = SR, seed: int = 0):
    """Short decaying noise clicks every 60/bpm s (each moved by up to +-jitter of a period)."""
    rng = np.random.default_rng(seed)
    audio = np.zeros(int(seconds * sr), dtype=np.float32)
    n = int(0.01 * sr)
    click = rng.standard_normal(n) * np.exp(-np.arange(n) / (0.002 * sr))
    period = 60.0 / bpm
    for k in range(int(seconds / period) + 1):
        start = int(round((0.1 + k * period + rng.uniform(-jitter, jitter) * period) * sr))
        if 0 <= start < audio.size:
            audio[start : start + n] += click[: audio.size - start]
    return 0.5 * audio / np.abs(audio).max()


def tones(freqs, seconds: float = 10.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    audio = sum(np.sin(2 * np.pi * f * t) for f in freqs)
    return (0.3 * audio / np.abs(audio).max()).astype(np.float32)


def noise(seconds: float = 10.0, seed: int = 0) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).standard_normal(int(seconds * SR))).astype(np.float32)


@pytest.fixture(scope="module")
def measured() -> dict[str, Musicality]:
    signals = {
        "click120": clicks(120.0),
        "click90": clicks(90.0, seed=1),
        "jittered": clicks(120.0, jitter=0.2, seed=2),
        "note": tones((440.0,)),
        "chord": tones((261.63, 329.63, 392.0)),
        "noise": noise(),
    }
    return dict(zip(signals, musicality_batch(signals.values())))


def test_click_track_has_a_steady_beat_at_its_tempo(measured):
    click = measured["click120"]
    assert click.beat_regularity > 0.8
    assert click.tempo_bpm == pytest.approx(120.0, rel=0.03)
    assert measured["click90"].tempo_bpm == pytest.approx(90.0, rel=0.03)
    assert click.beats >= 16 and click.tempo_cv < 0.05
    assert click.beat_regularity > measured["noise"].beat_regularity + 0.5
    assert click.harmonic_share < 0.1 < measured["noise"].harmonic_share  # clicks are percussive


def test_jittered_clicks_are_less_steady(measured):
    steady, jittered = measured["click120"], measured["jittered"]
    assert jittered.tempo_cv > 2 * steady.tempo_cv
    assert jittered.beat_regularity < steady.beat_regularity


def test_sustained_tones_are_harmonic_tonal_and_not_flat(measured):
    note, chord, white = measured["note"], measured["chord"], measured["noise"]
    assert note.harmonic_share > 0.99 and chord.harmonic_share > 0.99
    assert note.flatness < 1e-4 and chord.flatness < 1e-4
    assert note.tonal_clarity > 0.6  # one pitch class dominates
    assert 0.2 < chord.tonal_clarity < 0.45  # three pitch classes share the energy
    assert white.tonal_clarity < 0.15  # close to 1/12
    assert note.tempo_cv is None and note.beats < 3  # nothing to track in a steady tone


def test_white_noise_is_flat_and_not_harmonic(measured):
    white = measured["noise"]
    assert white.flatness == pytest.approx(0.56, abs=0.03)  # exp(-gamma) for a chi-square-2 spectrum
    assert white.harmonic_share == pytest.approx(0.5, abs=0.05)  # equal medians: as harmonic as percussive
    assert white.beat_regularity < 0.3
    assert white.flatness > 1000 * measured["note"].flatness


def test_other_sample_rates_are_resampled_and_only_ten_seconds_count():
    at_22k = musicality(clicks(120.0, seconds=10.0))
    at_44k = musicality(clicks(120.0, seconds=10.0, sr=44100), 44100)
    assert at_44k.tempo_bpm == pytest.approx(at_22k.tempo_bpm, rel=0.02)
    assert at_44k.beat_regularity == pytest.approx(at_22k.beat_regularity, abs=0.05)
    longer = np.concatenate([tones((440.0,)), noise(5.0)])  # the noise lies after the first 10 s
    assert musicality(longer).flatness < 1e-4


def test_silence_and_bad_input():
    assert musicality(np.zeros(SR * 3, dtype=np.float32)) == SILENT
    assert all(getattr(SILENT, name) is None for name in FEATURES)
    with pytest.raises(ValueError, match="NaN"):
        musicality(np.array([0.0, np.nan] * 2000, dtype=np.float32))


def test_aggregate_weighs_genres_equally_and_skips_undefined():
    def row(value: float | None) -> Musicality:
        return Musicality(value, value, value, value, value, value, 0)

    rows = [row(0.2), row(0.4), row(None), row(1.0)]
    summary = aggregate_musicality(rows, [0, 0, 1, 1], ("a", "b", "c"))
    assert summary["genres"]["a"]["beat_regularity"] == pytest.approx(0.3)
    assert summary["genres"]["b"]["tempo_cv"] == pytest.approx(1.0)  # the None row is left out
    assert summary["genres"]["b"]["clips"] == 2 and summary["genres"]["c"]["clips"] == 0
    assert summary["genres"]["c"]["flatness"] is None
    assert summary["overall"]["harmonic_share"] == pytest.approx(0.65)  # (0.3 + 1.0) / 2, c has no clips
    with pytest.raises(ValueError):
        aggregate_musicality(rows, [0, 1], ("a", "b"))


def _librosa_figures(y: np.ndarray) -> dict[str, float | None]:
    """The same yardsticks written with librosa calls (the definitions the module reproduces)."""
    librosa = pytest.importorskip("librosa")
    onset = librosa.onset.onset_strength(y=y, sr=SR)
    acf = librosa.autocorrelate(onset - onset.mean())
    harmonic, percussive = librosa.decompose.hpss(librosa.stft(y), kernel_size=31)
    harmonic_energy = (np.abs(harmonic) ** 2).sum()
    chroma = librosa.feature.chroma_stft(y=librosa.istft(harmonic, length=len(y)), sr=SR)
    sounding = chroma.sum(axis=0) > 0
    _, beats = librosa.beat.beat_track(y=y, sr=SR)
    intervals = np.diff(beats)
    return {
        "beat_regularity": float(acf[11:87].max() / acf[0]),
        "harmonic_share": float(harmonic_energy / (harmonic_energy + (np.abs(percussive) ** 2).sum())),
        "tonal_clarity": float(np.mean(chroma.max(axis=0)[sounding] / chroma.sum(axis=0)[sounding]))
        if sounding.any()
        else None,
        "flatness": float(librosa.feature.spectral_flatness(y=y).mean()),
        "tempo_cv": float(intervals.std() / intervals.mean()) if beats.size >= 3 else None,
    }


@pytest.mark.filterwarnings("ignore:Trying to estimate tuning")
@pytest.mark.parametrize("name", ["click120", "chord", "noise"])
def test_agrees_with_librosa(name, measured):
    signal = {"click120": clicks(120.0), "chord": tones((261.63, 329.63, 392.0)), "noise": noise()}[name]
    reference = _librosa_figures(signal)
    ours = measured[name]
    for feature in FEATURES:
        expected, got = reference[feature], getattr(ours, feature)
        if expected is None or got is None:
            assert expected is None and got is None, feature
        elif feature == "flatness":
            assert got == pytest.approx(expected, rel=0.01, abs=1e-7), feature
        else:
            assert got == pytest.approx(expected, abs=0.01), feature
