"""Mel -> audio: round-trip quality bounds, the default beating the papers' Griffin-Lim, the plug-in table."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from melodygan_desktop.audio.fgla import StftPair
from melodygan_desktop.audio.inversion import (
    DEFAULT_METHOD,
    METHODS,
    UnknownMethodError,
    available_methods,
    invert,
    register_inverter,
    unregister_inverter,
)
from melodygan_desktop.audio.mel import waveform_to_mel
from melodygan_desktop.audio.spectral_distance import spectral_convergence
from melodygan_desktop.config import MelConfig

#: Stated bound for the default method on the chord round trip (measured ~0.07 on 10 s; the papers'
#: torchaudio Griffin-Lim measures ~0.23 on the same input).
DEFAULT_MEL_SC_BOUND = 0.12

MEL = MelConfig()


def test_chord_round_trip_bound_and_ranking(chord):
    """chord -> mel -> audio -> mel: the default stays under the stated bound and beats the papers' method."""
    audio = chord(5.0)
    unit = waveform_to_mel(audio, MEL)
    outputs = {method: invert(unit, MEL, method) for method in METHODS}
    assert DEFAULT_METHOD == "nnls-fgla"
    estimate = outputs[DEFAULT_METHOD]
    assert estimate.dtype == np.float32
    assert estimate.shape == (MEL.samples_for_frames(unit.shape[1]),)
    assert spectral_convergence(audio, estimate, MEL) < DEFAULT_MEL_SC_BOUND
    assert spectral_convergence(audio, estimate, MEL, domain="linear") < 0.3
    for domain in ("mel", "linear"):
        ours = spectral_convergence(audio, estimate, MEL, domain=domain)
        papers = spectral_convergence(audio, outputs["griffin-lim"], MEL, domain=domain)
        fast = spectral_convergence(audio, outputs["fast-griffin-lim"], MEL, domain=domain)
        assert ours < 0.75 * papers, (domain, ours, papers)
        assert fast < papers + 0.02, (domain, fast, papers)  # same algorithm as the stock one, faster


def test_loud_music_round_trip(music):
    audio = music(4.0)
    unit = waveform_to_mel(audio, MEL)
    ours = spectral_convergence(audio, invert(unit, MEL), MEL)
    papers = spectral_convergence(audio, invert(unit, MEL, "griffin-lim"), MEL)
    assert ours < papers
    assert ours < 0.2


def test_batches_and_the_five_second_preset():
    mel = MelConfig(clip_seconds=5.0)
    batch = np.random.default_rng(0).uniform(0.2, 0.6, (2, 128, mel.frames)).astype(np.float32)
    for method in METHODS:
        audio = invert(batch, mel, method, n_iter=2)
        assert audio.shape == (2, mel.clip_samples - mel.clip_samples % mel.hop_length)
        assert np.isfinite(audio).all()


def test_silence_stays_quiet_and_finite():
    for method in METHODS:
        audio = invert(np.zeros((128, 50), np.float32), MEL, method, n_iter=2)
        assert np.isfinite(audio).all()
        assert np.abs(audio).max() < 1e-6, method
    floor = invert(np.full((128, 50), 1e-4, np.float32), MEL)  # just above silence: the -90 dB floor
    assert np.sqrt(np.mean(floor**2)) < 3e-3


def test_determinism_and_seeds():
    unit = np.random.default_rng(1).uniform(0, 0.7, (128, 40)).astype(np.float32)
    np.testing.assert_array_equal(invert(unit, MEL), invert(unit, MEL))
    first = invert(unit, MEL, "fast-griffin-lim", seed=1, n_iter=2)
    np.testing.assert_array_equal(first, invert(unit, MEL, "fast-griffin-lim", seed=1, n_iter=2))
    assert not np.array_equal(first, invert(unit, MEL, "fast-griffin-lim", seed=2, n_iter=2))
    state = torch.get_rng_state()
    invert(unit, MEL, "griffin-lim", n_iter=1)
    assert torch.equal(state, torch.get_rng_state())


def test_progress_reaches_one():
    seen: list[float] = []
    invert(np.full((128, 30), 0.5, np.float32), MEL, progress=seen.append)
    assert seen and seen[-1] == 1.0
    assert seen == sorted(seen) and all(0.0 <= value <= 1.0 for value in seen)


def test_bad_inputs_are_refused():
    with pytest.raises(UnknownMethodError, match="nnls-fgla"):
        invert(np.zeros((128, 10), np.float32), MEL, "wavenet")
    with pytest.raises(ValueError, match="shape"):
        invert(np.zeros((64, 10), np.float32), MEL)
    with pytest.raises(ValueError, match="NaN"):
        invert(np.full((128, 10), np.nan, np.float32), MEL)
    with pytest.raises(ValueError, match="2 frames"):
        invert(np.zeros((128, 1), np.float32), MEL)


def test_register_inverter_plugs_in_a_vocoder():
    calls = []

    def silent_vocoder(mel_unit, mel, *, n_iter, seed, progress):
        calls.append((mel_unit.shape, n_iter, seed))
        return np.zeros((mel_unit.shape[0], mel.samples_for_frames(mel_unit.shape[2])), np.float32)

    def broken_vocoder(mel_unit, mel, *, n_iter, seed, progress):
        return np.zeros(7, np.float32)

    register_inverter("test-silent", silent_vocoder)
    register_inverter("test-broken", broken_vocoder)
    try:
        assert available_methods()[: len(METHODS)] == METHODS
        assert "test-silent" in available_methods()
        audio = invert(np.zeros((128, 11), np.float32), MEL, "test-silent", seed=5)
        assert audio.shape == (10 * MEL.hop_length,)
        assert calls == [((1, 128, 11), None, 5)]
        with pytest.raises(ValueError, match="already registered"):
            register_inverter("test-silent", silent_vocoder)
        with pytest.raises(ValueError, match="expected"):
            invert(np.zeros((128, 11), np.float32), MEL, "test-broken")
        with pytest.raises(ValueError, match="built in"):
            unregister_inverter("griffin-lim")
    finally:
        unregister_inverter("test-silent")
        unregister_inverter("test-broken")
    assert "test-silent" not in available_methods()


def test_spectral_convergence_edges():
    audio = np.sin(np.arange(20000) * 0.05).astype(np.float32)
    assert spectral_convergence(audio, audio, MEL) == pytest.approx(0.0, abs=1e-6)
    assert spectral_convergence(audio, np.zeros_like(audio), MEL) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="silent"):
        spectral_convergence(np.zeros(5000, np.float32), audio, MEL)
    with pytest.raises(ValueError, match="domain"):
        spectral_convergence(audio, audio, MEL, domain="bark")


@pytest.mark.parametrize(("n_fft", "hop", "length"),
                         [(2048, 512, 20000), (1024, 300, 12017), (512, 128, 257)])
def test_stft_engine_matches_torch(n_fft, hop, length):
    stft = StftPair(n_fft, hop)
    window = torch.hann_window(n_fft)
    wave = torch.randn(2, length)
    spectrum = stft.forward(wave)
    expected = torch.stft(wave, n_fft, hop, window=window, return_complex=True).transpose(1, 2)
    torch.testing.assert_close(spectrum, expected)
    frames = spectrum.shape[1]
    restored = torch.istft(expected.transpose(1, 2), n_fft, hop, window=window, length=(frames - 1) * hop)
    torch.testing.assert_close(stft.inverse(spectrum), restored, atol=1e-5, rtol=1e-5)
    noise = torch.randn_like(spectrum)
    torch.testing.assert_close(stft.project(noise), stft.forward(stft.inverse(noise)), atol=1e-4, rtol=1e-4)


def test_bands_at_the_floor_bound_the_power_from_above_and_a_start_is_kept():
    """A mel band at 0 says "at the floor or quieter": with ``floor_power`` the fit pulls power above the
    floor down to it and leaves quieter power as the start had it; without, it drives those bins to 0."""
    from melodygan_desktop.audio.builtin_methods import inversion_basis, mel_floor_power
    from melodygan_desktop.audio.fgla import nnls_mel_to_linear

    basis = inversion_basis(MEL)
    floor = mel_floor_power(MEL)
    mel_power = torch.full((1, 1, MEL.n_mels), 1e3 * floor)
    mel_power[..., 100:] = 0.0  # the top bands at the floor
    bins = torch.from_numpy(np.arange(MEL.n_fft // 2 + 1) * MEL.sample_rate / MEL.n_fft)
    top = bins > 6000.0  # inside the floor bands
    start = torch.full((1, 1, MEL.n_fft // 2 + 1), 10 * floor)
    start[..., top & (bins > 9000.0)] = 1e-3 * floor  # far below the floor up there
    kept = start.clone()
    bounded = nnls_mel_to_linear(mel_power, basis, 8, start=start, floor_power=floor)
    assert torch.equal(start, kept)  # the caller's start is not modified
    fitted = basis.bands.left_product(bounded.clone())[0, 0]
    assert float(fitted[101:].max()) <= 1.05 * floor  # loud start pulled down (band 100 shares bins with 99)
    quiet = (bins > 9500.0) & (bins < 10500.0)  # (the Nyquist bin belongs to no band)
    torch.testing.assert_close(bounded[0, 0, quiet], start[0, 0, quiet], rtol=0.05, atol=0.0)  # left alone
    torch.testing.assert_close(fitted[20:90], mel_power[0, 0, 20:90], rtol=0.05, atol=0.0)  # the rest fits
    driven = nnls_mel_to_linear(mel_power, basis, 8, start=start)
    assert float(driven[0, 0, quiet].max()) < 1e-3 * float(bounded[0, 0, quiet].min())
