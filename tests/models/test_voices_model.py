"""``melodygan-voices``: starts where a ``melodygan-groove`` model is, draws its voices as harmonic lines at
real pitches, holds a take-wide key, and trains from a groove model through the real entry points."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tiny_runs import tiny_config

from melodygan_desktop import checkpoints
from melodygan_desktop.audio.mel import mel_filterbank
from melodygan_desktop.config import MelConfig
from melodygan_desktop.inference import generate
from melodygan_desktop.models.groove import groove_generator
from melodygan_desktop.models.harmonic import LOWEST_PITCH
from melodygan_desktop.models.voices import voices_generator
from melodygan_desktop.training.errors import TrainingError
from melodygan_desktop.training.events import Finished
from melodygan_desktop.training.loop import train

MEL = MelConfig(clip_seconds=2.0)
A3 = 57 - LOWEST_PITCH  # 220 Hz


def mel_bin_of(frequency: float) -> int:
    """The mel bin whose filter weighs ``frequency`` most."""
    filterbank = mel_filterbank(MEL).numpy()  # (freqs, n_mels)
    return int(filterbank[round(frequency / MEL.sample_rate * MEL.n_fft)].argmax())


def playing(generator, pitch: int, level: float = 2.0):
    """Make every voice of timbre 0 play ``pitch`` loudly and silence the other timbres."""
    with torch.no_grad():
        generator.key.bias.view(generator.timbres, generator.voices, -1)[0, :, pitch] = 50.0
        loudness = generator.voice_loudness.bias.view(generator.timbres, generator.voices)
        loudness[0] = level
        loudness[1:] = -5.0
    return generator


def test_a_groove_models_weights_sound_the_same_until_the_voices_are_learned():
    torch.manual_seed(0)
    groove = groove_generator(MEL, 3).eval()
    voices = voices_generator(MEL, 3).eval()
    missing = voices.load_state_dict(groove.state_dict(), strict=False).missing_keys
    assert missing and all(k.startswith(("voice_", "key.", "partial_levels")) for k in missing)
    z = voices.sample_latent(2, 200)
    genres = torch.tensor([[1.0, 0.0, 0.0], [0.2, 0.0, 0.8]])
    with torch.no_grad():
        assert (voices(z, genres, frames=200) - groove(z, genres, frames=200)).abs().max() < 1e-3
        played = playing(voices, A3)(z, genres, frames=200)
    assert (played - groove(z, genres, frames=200)).abs().max() > 0.1


def test_a_voice_is_drawn_as_harmonic_lines_at_its_pitch():
    torch.manual_seed(0)
    generator = voices_generator(MEL, 2).eval()
    with torch.no_grad():
        generator.output_conv.bias.fill_(-30.0)  # paint nothing: only the voices sound
        generator.output_conv.weight.zero_()
        mel = playing(generator, A3)(generator.sample_latent(1, 100), torch.tensor([[1.0, 0.0]]), 100)[0, 0]
    profile = mel.mean(dim=1).numpy()
    peaks = [b for b in range(1, MEL.n_mels - 1) if profile[b] > max(profile[b - 1], profile[b + 1])
             and profile[b] > 0.3]
    for harmonic in (1, 2, 3):  # the first partials are resolved peaks at 220, 440 and 660 Hz
        assert min(abs(p - mel_bin_of(220.0 * harmonic)) for p in peaks) <= 1
    assert profile[mel_bin_of(220.0)] > profile[mel_bin_of(220.0 * 2 ** (6 / 12))] + 0.2  # not a tritone up
    assert mel.std(dim=1).max() < 0.02  # one held note: every frame the same


def test_untrained_each_voice_holds_one_pitch_a_take_and_learned_ones_move():
    torch.manual_seed(0)
    generator = voices_generator(MEL, 2).eval()
    z = generator.sample_latent(2, 300)
    z[1, :, -1] = torch.randn(generator.z_dim)  # another style
    genres = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    with torch.no_grad():
        pitches = generator.parts(z, genres, 300)[1].argmax(dim=3)  # (B, timbres, voices, T)
        assert (pitches == pitches[..., :1]).all()  # held for the whole take: lines, not flicker
        assert not torch.equal(pitches[0, ..., 0], pitches[1, ..., 0])  # the style picks them
        assert len(torch.unique(pitches[0])) >= 3  # voices are not all on one pitch
        torch.nn.init.normal_(generator.voice_pitch.weight, 0.0, 0.1)
        moving = generator.parts(z, genres, 300)[1].argmax(dim=3)
    assert (moving != moving[..., :1]).any()


def test_a_voice_floor_keeps_the_voices_sounding():
    torch.manual_seed(0)
    silent = voices_generator(MEL, 2).eval()
    floored = voices_generator(MEL, 2, {**silent.architecture(), "voice_floor": 50}).eval()
    floored.load_state_dict(silent.state_dict())
    z = silent.sample_latent(1, 100)
    with torch.no_grad():
        assert silent.parts(z, None, 100)[2].max() < 1e-10
        assert floored.parts(z, None, 100)[2].min() >= 1e-5 * 0.999


def test_any_length_blends_and_old_settings_are_checked():
    generator = voices_generator(MEL, 2)
    for frames in (1, 86, 700):
        out = generator(generator.sample_latent(2, frames), torch.tensor([[1.0, 0.0], [0.3, 0.7]]), frames)
        assert out.shape == (2, 1, MEL.n_mels, frames) and 0 <= out.min() and out.max() <= 1
    assert generator.architecture()["voices"] == 3 and generator.architecture()["timbres"] == 2
    assert voices_generator(MEL, 2, {**generator.architecture(), "voices": 1}).voices == 1
    with pytest.raises(ValueError, match="voices"):
        voices_generator(MEL, 2, {**generator.architecture(), "voices": 99})
    with pytest.raises(ValueError, match="loudness_gain"):
        voices_generator(MEL, 2, {**generator.architecture(), "loudness_gain": 0})
    first_files = {k: v for k, v in generator.architecture().items() if k != "voice_start"}
    assert voices_generator(MEL, 2, first_files).architecture()["voice_start"] == 110


def test_trains_from_a_groove_model_saves_loads_and_generates(genre_folder, tmp_path):
    def config(preset, **extra):
        return tiny_config(genre_folder, tmp_path, preset, MEL, **extra)

    list(train(config("melodygan-groove"), tmp_path / "groove"))
    events = list(train(config("melodygan-voices", init_from=str(tmp_path / "groove")), tmp_path / "run"))
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    model = checkpoints.load_generator(tmp_path / "run")
    assert model.meta.preset == "melodygan-voices"
    assert {"timbres": 2, "voices": 3, "critic_views": 3}.items() <= model.meta.architecture.items()
    take = generate(model, {"rock": 0.5, "jazz": 0.5}, seed=3, seconds=3.0)
    assert take.mel.shape == (128, MEL.frames_for_seconds(3.0)) and np.isfinite(take.audio).all()
    assert np.array_equal(take.mel, generate(model, {"rock": 0.5, "jazz": 0.5}, seed=3, seconds=3.0).mel)
    with pytest.raises(TrainingError, match="cannot initialise a melodygan-groove run"):
        list(train(config("melodygan-groove", init_from=str(tmp_path / "run")), tmp_path / "back"))
