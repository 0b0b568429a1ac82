"""``melodygan-harmonic``: notes rendered as harmonic templates, a steady beat clock, any length, and a
model that trains, saves, loads and generates through the real entry points."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from melodygan_desktop import checkpoints
from melodygan_desktop.audio.mel import mel_band_hz
from melodygan_desktop.config import MelConfig, TrainConfig
from melodygan_desktop.inference import generate
from melodygan_desktop.models.harmonic import LOWEST_PITCH, PITCHES, TIMBRES, harmonic_generator
from melodygan_desktop.training.events import Finished, StepMetrics
from melodygan_desktop.training.loop import train

MEL = MelConfig(clip_seconds=2.0)


def make(n_genres: int = 2):
    torch.manual_seed(0)
    return harmonic_generator(MEL, n_genres).eval()


OLD_FILE = {"channels": [192, 160, 128, 64], "z_dim": 64, "embed_dim": 128}  # saved before the newer keys


def a4_mel(generator) -> np.ndarray:
    """One frame of the renderer playing A4 (440 Hz) in the first timbre, nothing else."""
    activations = torch.full((1, generator.tonal_outputs + 16, 5), -30.0)
    if generator.voices:
        voices = activations[0, : generator.tonal_outputs].view(TIMBRES * generator.voices, PITCHES + 1, 5)
        voices[0, 69 - LOWEST_PITCH] = 30.0  # the first voice plays A4 ...
        voices[0, PITCHES] = 5.0  # ... this loud
    else:
        activations[0, 69 - LOWEST_PITCH] = 5.0
    with torch.no_grad():
        return generator.render(activations)[0, :, 2].numpy()


@pytest.mark.parametrize("architecture", [None, OLD_FILE], ids=["voices", "every-pitch"])
def test_one_note_renders_as_lines_at_its_harmonics(architecture):
    torch.manual_seed(0)
    mel = a4_mel(harmonic_generator(MEL, 2, architecture))
    bands = mel_band_hz(MEL)
    loud = bands[mel > mel.max() - 0.15]  # within 15 dB of the loudest band
    for harmonic in (440.0, 880.0, 1320.0):
        assert np.min(np.abs(loud - harmonic) / harmonic) < 0.06, harmonic
    between = np.argmin(np.abs(bands - 660.0))  # halfway between the first two partials: far quieter
    assert mel[between] < mel.max() - 0.3


def test_the_beat_clock_keeps_one_tempo_per_take():
    generator = make()
    style = torch.randn(3, generator.z_dim)
    embedding = generator.genre_embedding_for(None, 3, "cpu")
    clock = generator.clock(style, embedding, 2000)[:, 2]  # sine at one cycle per beat
    for row in clock.detach().numpy():
        rising = np.flatnonzero((row[:-1] < 0) & (row[1:] >= 0))
        gaps = np.diff(rising)
        assert gaps.max() - gaps.min() <= 1  # a steady grid to within a frame
        seconds = gaps.mean() * MEL.hop_length / MEL.sample_rate
        assert 60 / 180 - 0.01 <= seconds <= 60 / 60 + 0.01


def test_any_length_blends_and_range():
    generator = make()
    for frames in (1, 86, 700):
        z = generator.sample_latent(2, frames)
        out = generator(z, torch.tensor([[1.0, 0.0], [0.3, 0.7]]), frames=frames)
        assert out.shape == (2, 1, MEL.n_mels, frames) and 0 <= out.min() and out.max() <= 1
    z = generator.sample_latent(1, 300)
    moving = torch.linspace(0, 1, z.shape[-1] - 1)
    out = generator(z, torch.stack([moving, 1 - moving])[None], frames=300)
    assert torch.isfinite(out).all()


def test_trains_saves_loads_and_generates(genre_folder, tmp_path):
    config = TrainConfig(
        data_dir=str(genre_folder), preset="melodygan-harmonic", steps=2, batch_size=2, mel=MEL, threads=1,
        checkpoint_every=2, log_every=1, preview_every=2, preview_count=2, cache_dir=str(tmp_path / "cache"),
    )
    events = list(train(config, tmp_path / "run"))
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    assert any(isinstance(e, StepMetrics) for e in events)
    model = checkpoints.load_generator(tmp_path / "run")
    assert model.meta.preset == "melodygan-harmonic" and model.meta.architecture["z_dim"] == 64
    assert model.meta.architecture["voices"] > 0 and model.meta.architecture["critic_group"] > 0
    take = generate(model, {"rock": 0.5, "jazz": 0.5}, seed=3, seconds=3.0)
    assert take.mel.shape == (128, MEL.frames_for_seconds(3.0)) and np.isfinite(take.audio).all()
    again = generate(model, {"rock": 0.5, "jazz": 0.5}, seed=3, seconds=3.0)
    assert np.array_equal(take.mel, again.mel)


def test_noise_stays_above_the_low_register_in_new_models_and_old_files_keep_theirs():
    from melodygan_desktop.models.harmonic import NOISE_FROM

    new = harmonic_generator(MEL, 2)
    assert new.architecture()["noise_from"] == NOISE_FROM
    assert float(new.bands[:, : NOISE_FROM - 8].sum()) == 0.0  # nothing but pitched sound down there
    old = harmonic_generator(MEL, 2, OLD_FILE)
    assert old.architecture()["noise_from"] == 0 and float(old.bands[:, :8].sum()) > 0
    with pytest.raises(ValueError, match="noise_from"):
        harmonic_generator(MEL, 2, {**new.architecture(), "noise_from": 500})
    with pytest.raises(ValueError, match="noise_from"):
        harmonic_generator(MEL, 2, {**new.architecture(), "noise_from": "low"})


def test_voices_budget_the_notes_of_a_frame_and_old_files_keep_one_loudness_per_pitch():
    from melodygan_desktop.models.harmonic import VOICES

    new = make()
    assert new.architecture()["voices"] == VOICES
    with torch.no_grad():
        tonal = new.pitch_loudness(torch.randn(3, new.tonal_outputs, 7) * 8)
    played = (tonal > 0.05 * tonal.amax(dim=1, keepdim=True)).sum(dim=1)
    assert int(played.max()) <= TIMBRES * VOICES * 2  # a handful of notes, never a drone of dozens
    old = harmonic_generator(MEL, 2, OLD_FILE)
    assert old.voices == 0 and old.tonal_outputs == TIMBRES * PITCHES and old.pitch_sharpness == 1
    voiced = harmonic_generator(MEL, 2, {**OLD_FILE, "voices": 3})  # saved with voices, before sharpness
    assert voiced.voices == 3 and voiced.pitch_sharpness == 1
    assert new.pitch_sharpness > 1 and new.architecture()["pitch_sharpness"] == new.pitch_sharpness
    with pytest.raises(ValueError, match="voices"):
        harmonic_generator(MEL, 2, {**new.architecture(), "voices": 99})


def test_new_critics_see_the_spread_of_a_batch_and_old_runs_keep_their_critic():
    from melodygan_desktop.models.conditional import minibatch_std
    from melodygan_desktop.models.harmonic import harmonic_critic

    spread = torch.arange(6.0).view(6, 1, 1).expand(6, 3, 5)  # clip i has every feature at i
    groups = minibatch_std(spread, 4)  # 6 clips: groups of 3, clips (0, 2, 4) and (1, 3, 5)
    assert groups.shape == (6, 1, 5) and torch.allclose(groups[:, 0, 0], torch.full((6,), (8 / 3) ** 0.5))
    assert float(minibatch_std(spread[:1], 4).abs().max()) == 0.0

    new, old = harmonic_critic(MEL, 2).eval(), harmonic_critic(MEL, 2, OLD_FILE).eval()  # no power steps
    assert new.batch_group > 0 and old.batch_group == 0
    assert set(old.state_dict()) == set(new.state_dict())  # same layers: only the last conv's inputs differ
    torch.manual_seed(1)
    varied = torch.rand(4, 1, MEL.n_mels, 64)
    alike = varied[:1].expand(4, -1, -1, -1).contiguous()
    genres = torch.zeros(4, dtype=torch.long)
    with torch.no_grad():
        # the same clip scores differently among varied clips than among copies of itself; not so without
        assert abs(float(new(varied, genres)[0] - new(alike, genres)[0])) > 1e-6
        assert float(old(varied, genres)[0]) == pytest.approx(float(old(alike, genres)[0]), abs=1e-6)
