"""Mel front-end: shapes, the documented dB normalisation, band axes, headroom on loud music."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchaudio

from melodygan_desktop.audio.mel import (
    ClipAnalyser,
    MelFrontEnd,
    mel_band_hz,
    mel_filterbank,
    power_to_unit,
    reference_power,
    unit_to_power,
    waveform_to_mel,
)
from melodygan_desktop.config import MEL_PRESETS, MelConfig


@pytest.mark.parametrize(("preset", "frames"), [("paper000-10s", 431), ("paper002-5s", 216)])
def test_clip_shapes_match_the_papers(preset, frames):
    mel = MEL_PRESETS[preset]
    front_end = MelFrontEnd(mel)
    wave = torch.zeros(3, mel.clip_samples)
    assert front_end(wave).shape == (3, 128, frames)
    assert front_end(wave[0]).shape == (1, 128, frames)
    assert mel.frames == frames


def test_normalisation_follows_the_config_docstring():
    mel = MelConfig()
    rng = np.random.default_rng(1)
    audio = (0.1 * rng.standard_normal(mel.sample_rate)).astype(np.float32)
    reference = torchaudio.transforms.MelSpectrogram(
        sample_rate=22050, n_fft=2048, hop_length=512, n_mels=128, power=2.0, mel_scale="htk", norm=None
    )(torch.from_numpy(audio))
    ref_power = (torch.hann_window(2048).sum().item() / 2) ** 2
    db = 10 * torch.log10(torch.clamp(reference / ref_power, min=1e-10))
    expected = torch.clamp((db + 90.0) / 100.0, 0, 1).numpy()
    np.testing.assert_allclose(waveform_to_mel(audio, mel), expected, atol=1e-5)
    assert reference_power(mel) == pytest.approx(ref_power)


def test_full_scale_sine_reads_about_zero_db_and_silence_reads_zero():
    mel = MelConfig()
    t = np.arange(mel.sample_rate * 2) / mel.sample_rate
    sine = np.sin(2 * np.pi * 1000.0 * t).astype(np.float32)
    unit = waveform_to_mel(sine, mel)
    peak_db = unit.max() * (mel.db_ceil - mel.db_floor) + mel.db_floor
    assert -1.5 < peak_db < 1.5
    band = int(np.argmax(unit[:, 20]))
    assert abs(mel_band_hz(mel)[band] - 1000.0) < 60.0
    assert waveform_to_mel(np.zeros(mel.sample_rate, np.float32), mel).max() == 0.0


def test_unit_and_power_invert_each_other_inside_the_window():
    mel = MelConfig()
    unit = torch.linspace(0, 1, 101)
    np.testing.assert_allclose(power_to_unit(unit_to_power(unit, mel), mel), unit, atol=1e-5)
    assert float(power_to_unit(torch.tensor(1e9), mel)) == 1.0
    assert float(power_to_unit(torch.tensor(0.0), mel)) == 0.0


def test_loud_music_leaves_headroom_under_db_ceil(music):
    """db_ceil (+10 dB) must not clip mastered-level music; db_floor must sit below its quiet parts."""
    mel = MelConfig()
    front_end = MelFrontEnd(mel)
    power = front_end.power(torch.from_numpy(music(4.0, peak=1.0)))
    db = 10 * torch.log10(torch.clamp(power / reference_power(mel), min=1e-10))
    assert float((db >= mel.db_ceil).float().mean()) < 1e-3
    assert float(db.max()) < mel.db_ceil
    assert float(torch.quantile(db.flatten(), 0.01)) > mel.db_floor


def test_short_and_empty_inputs():
    mel = MelConfig()
    assert waveform_to_mel(np.full(100, 0.1, np.float32), mel).shape == (128, 1)
    assert waveform_to_mel(np.full(1500, 0.1, np.float32), mel).shape == (128, 3)
    with pytest.raises(ValueError, match="empty"):
        waveform_to_mel(np.zeros(0, np.float32), mel)
    with pytest.raises(ValueError, match="mono"):
        waveform_to_mel(np.zeros((2, 100), np.float32), mel)


def test_filterbank_and_band_axis():
    mel = MelConfig(f_min=30.0, f_max=8000.0)
    assert mel_filterbank(mel).shape == (1025, 128)
    centres = mel_band_hz(mel)
    assert centres.shape == (128,)
    assert np.all(np.diff(centres) > 0)
    assert 30.0 < centres[0] < centres[-1] < 8000.0


@pytest.mark.parametrize("preset", ["paper000-10s", "paper002-5s"])
def test_clip_analyser_matches_the_front_end_call_after_call(preset, music):
    mel = MEL_PRESETS[preset]
    analyser = ClipAnalyser(mel, mel.clip_samples)
    front_end = MelFrontEnd(mel)
    for seed in range(3):  # the work buffers are reused: every call must start clean
        clip = music(mel.clip_seconds, peak=0.3 + 0.3 * seed, sample_rate=mel.sample_rate, seed=seed)
        expected = front_end(torch.from_numpy(clip))[0]
        mels = analyser(clip)
        assert mels.dtype == np.float16 and mels.flags.c_contiguous and mels.shape == (128, mel.frames)
        np.testing.assert_array_equal(mels, analyser.unit(clip).numpy().astype(np.float16))
        np.testing.assert_allclose(analyser.unit(clip), expected, atol=1e-5)


def test_clip_analyser_refuses_clips_of_another_length():
    mel = MelConfig()
    analyser = ClipAnalyser(mel, mel.clip_samples)
    with pytest.raises(ValueError, match="expected a clip of shape"):
        analyser(np.zeros(mel.clip_samples - 1, np.float32))
    with pytest.raises(ValueError, match="too short"):
        ClipAnalyser(mel, mel.n_fft // 2)
