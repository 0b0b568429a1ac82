"""The vocoder network: output length, long mels in chunks, shapes checked, and its critic."""

from __future__ import annotations

import pytest
import torch

from melodygan_desktop.checkpoints.vocoder_method import network_spectrum
from melodygan_desktop.models.vocoder import MelVocoder, SpectrogramCritic, VocoderShape

TINY = VocoderShape(width=32, depth=2)


def test_output_has_the_inversion_contracts_length():
    vocoder = MelVocoder(TINY).eval()
    with torch.inference_mode():
        audio = vocoder(torch.rand(2, 128, 20))
    assert audio.shape == (2, 19 * 512) and torch.isfinite(audio).all()


def test_long_mels_in_chunks_match_one_pass(monkeypatch):
    """Chunks overlap by the receptive field: the joins are exact."""
    import melodygan_desktop.checkpoints.vocoder_method as method

    torch.manual_seed(0)
    vocoder = MelVocoder(TINY).eval()
    for block in vocoder.blocks:  # a trained network's depthwise kernels are not near zero
        torch.nn.init.normal_(block.depthwise.weight, std=0.5)
    mel = torch.rand(1, 128, 157)
    with torch.inference_mode():
        whole = vocoder.magnitude_phase(mel)
        monkeypatch.setattr(method, "CHUNK_FRAMES", 40)
        chunked = network_spectrum(vocoder, mel)
    for part, one_pass in zip(chunked, whole, strict=True):
        assert part.shape == one_pass.shape == (1, 157, 1025)
        torch.testing.assert_close(part, one_pass, atol=1e-5, rtol=1e-4)


def test_shape_is_checked_and_round_trips():
    assert VocoderShape.from_dict(TINY.to_dict()) == TINY
    with pytest.raises(ValueError, match="width"):
        VocoderShape(width=4)
    with pytest.raises(ValueError, match="kernel"):
        VocoderShape(kernel=4)
    with pytest.raises(ValueError, match="fields"):
        VocoderShape.from_dict({**TINY.to_dict(), "extra": 1})
    with pytest.raises(ValueError, match="integers"):
        VocoderShape.from_dict({**TINY.to_dict(), "depth": 2.5})


def test_critic_scores_every_resolution_with_features():
    critic = SpectrogramCritic(channels=4)
    outputs = critic(torch.randn(2, 8192))
    assert len(outputs) == len(SpectrogramCritic.RESOLUTIONS)
    for logits, features in outputs:
        assert logits.shape[0] == 2 and len(features) == 4


def test_the_prior_starts_at_the_mels_pseudo_inverse():
    """At initialisation the magnitude is exactly the pseudo-inverse's: a mel of one loud band gives its
    loudest bins inside that band."""
    vocoder = MelVocoder(TINY).eval()
    mel = torch.zeros(1, 128, 10)
    mel[:, 60] = 0.9
    with torch.inference_mode():
        magnitude = vocoder.spectrum(mel).abs()[0, :, 5]
        expected = torch.exp(vocoder.prior_log_magnitude(mel))[0, 5]
    torch.testing.assert_close(magnitude, expected)
    from melodygan_desktop.audio.mel import mel_band_hz
    from melodygan_desktop.config import MelConfig

    peak_hz = float(magnitude.argmax()) * 22050 / 2048
    band = mel_band_hz(MelConfig())
    assert band[59] <= peak_hz <= band[61]


def test_without_the_prior_and_with_mismatched_mel_settings():
    from melodygan_desktop.config import MelConfig

    plain = MelVocoder(VocoderShape(width=32, depth=1, prior=False))
    assert plain.pseudo_inverse is None and plain(torch.rand(1, 128, 6)).shape == (1, 5 * 512)
    with pytest.raises(ValueError, match="disagree"):
        MelVocoder(TINY, MelConfig(n_mels=64))
    with pytest.raises(ValueError, match="prior"):
        VocoderShape.from_dict({**TINY.to_dict(), "prior": 1})
