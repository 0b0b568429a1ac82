"""``melodygan-groove``: starts exactly where a ``melodygan-cond`` model is, a clock and a style that the
trunk can use, critics that hear rhythm and lines, and a model that trains from a ``melodygan-cond`` model,
saves, loads and generates through the real entry points."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tiny_runs import tiny_config

from melodygan_desktop import checkpoints
from melodygan_desktop.config import MelConfig
from melodygan_desktop.inference import generate
from melodygan_desktop.models.conditional import conditional_generator
from melodygan_desktop.models.groove import groove_critic, groove_generator
from melodygan_desktop.models.groove_critic import onset_autocorrelation, texture_statistics
from melodygan_desktop.training.errors import TrainingError
from melodygan_desktop.training.events import Finished
from melodygan_desktop.training.loop import train

MEL = MelConfig(clip_seconds=2.0)
FRAMES_PER_SECOND = MEL.sample_rate / MEL.hop_length


def clicks(period: int, frames: int = 431, channels: int = 128) -> torch.Tensor:
    """``(1, channels, frames)``: silence with a broadband click every ``period`` frames."""
    mel = torch.zeros(1, channels, frames)
    mel[..., ::period] = 1.0
    return mel


def test_a_cond_models_weights_give_the_same_music_until_the_new_inputs_are_learned():
    torch.manual_seed(0)
    cond = conditional_generator(MEL, 3).eval()
    groove = groove_generator(MEL, 3, {"context": 4, "clock_pulses": 1, "clock_gain": 10}).eval()
    missing = groove.load_state_dict(cond.state_dict(), strict=False).missing_keys
    assert missing and all(k.startswith(("tempo.", "style.", "clock_inputs.", "context.")) for k in missing)
    z = groove.sample_latent(2, 200)
    genres = torch.tensor([[1.0, 0.0, 0.0], [0.2, 0.0, 0.8]])
    extra = groove.margin - cond.margin  # the context blocks' reach: a wider margin, cropped
    assert extra == (2 ** len(groove.context) - 1) * groove.upsampling > 0

    def as_cond(latents):
        return cond(latents[..., :-1], genres, frames=200 + extra)[..., extra:]

    with torch.no_grad():
        assert torch.allclose(groove(z, genres, frames=200), as_cond(z), atol=1e-6)
        for layer in (*groove.clock_inputs, groove.style):  # once learned, the clock and the style count
            torch.nn.init.normal_(layer.weight, 0.0, 0.1)
        changed = groove(z, genres, frames=200)
        other_style = z.clone()
        other_style[..., -1] = torch.randn(2, groove.z_dim)
        assert (changed - as_cond(z)).abs().max() > 1e-3
        assert (groove(other_style, genres, frames=200) - changed).abs().max() > 1e-3


def influence_seconds(generator) -> float:
    """How many seconds of output one latent step in the middle of a take changes."""
    z = generator.sample_latent(1, 600)
    moved = z.clone()
    moved[..., 0, z.shape[-1] // 2] += 5.0
    genres = torch.tensor([[1.0, 0.0]])
    with torch.no_grad():
        difference = (generator(moved, genres, frames=600) - generator(z, genres, frames=600)).abs()[0, 0]
    reached = torch.nonzero(difference.amax(dim=0) > 1e-6)[:, 0]
    return float(reached.max() - reached.min() + 1) / FRAMES_PER_SECOND


def test_context_blocks_reach_seconds_away_once_learned():
    torch.manual_seed(0)
    generator = groove_generator(MEL, 2, {"context": 4}).eval()
    old = groove_generator(MEL, 2, {"critic_group": 4}).eval()  # a file from before the context blocks
    assert len(old.context) == 0 and old.margin < generator.margin
    assert influence_seconds(generator) == pytest.approx(influence_seconds(old))  # identity until learned
    for block in generator.context:
        torch.nn.init.normal_(block.out.weight, 0.0, 0.05)
    assert influence_seconds(old) < 1.5 and influence_seconds(generator) > 5.0


def test_the_clock_keeps_one_tempo_per_take_at_every_rate():
    generator = groove_generator(MEL, 2)
    embedding = generator.genre_embedding_for(None, 3, "cpu")
    params = generator.clock_params(torch.randn(3, generator.z_dim), embedding)
    fine = generator.clock_at(params, 2000, 1)[:, 2]  # sine at one cycle per beat, per frame
    coarse = generator.clock_at(params, 1000, 2)[:, 2]  # the same clock at two frames a position
    pair = generator.clock_at(params, 22, 1)[:, 2, 20:22].mean(dim=1)  # the two frames of position 10
    assert torch.allclose(coarse[:, 10], pair, atol=0.05)
    for row in fine.detach().numpy():
        rising = np.flatnonzero((row[:-1] < 0) & (row[1:] >= 0))
        gaps = np.diff(rising)
        assert gaps.max() - gaps.min() <= 1
        assert 60 / 180 - 0.01 <= gaps.mean() / FRAMES_PER_SECOND <= 1.0 + 0.01


def test_any_length_and_blends_moving_along_time():
    generator = groove_generator(MEL, 2)
    for frames in (1, 86, 700):
        blend = torch.tensor([[1.0, 0.0], [0.3, 0.7]])
        out = generator(generator.sample_latent(2, frames), blend, frames=frames)
        assert out.shape == (2, 1, MEL.n_mels, frames) and 0 <= out.min() and out.max() <= 1
    z = generator.sample_latent(1, 300)
    moving = torch.linspace(0, 1, z.shape[-1] - 1)
    assert torch.isfinite(generator(z, torch.stack([moving, 1 - moving])[None], frames=300)).all()
    with pytest.raises(ValueError, match="T_latent"):
        generator(torch.zeros(1, generator.z_dim, 1))


def test_onset_autocorrelation_peaks_at_the_period_of_a_click_track():
    period = round(FRAMES_PER_SECOND / 2)  # 120 BPM
    lags = onset_autocorrelation(clicks(period), 86)[0]
    assert lags.shape == (4, 86)
    for band in lags:
        assert band[period - 1] > 0.8 and band[2 * period - 1] > 0.7  # lags start at 1
        assert band[period // 2 - 1].abs() < 0.1
    noise = onset_autocorrelation(torch.rand(1, 128, 431), 86)[0]
    assert noise[:, 4:].abs().max() < 0.3  # white noise: nothing periodic
    short = onset_autocorrelation(clicks(10, frames=40), 86)[0]
    assert short.shape == (4, 86) and float(short[:, 40:].abs().max()) == 0.0  # past the clip: zero


def test_the_critic_hears_rhythm_and_lines_and_passes_gradients():
    torch.manual_seed(0)
    critic = groove_critic(MEL, 2)
    genres = torch.tensor([0, 1, 0, 1])
    steady = clicks(22, frames=MEL.frames).expand(4, -1, -1)[:, None].clone().requires_grad_()
    score = critic(steady, genres)
    assert score.shape == (4, 3) and torch.isfinite(score).all()  # one score per view
    score.sum().backward()
    assert steady.grad is not None and steady.grad.abs().sum() > 0
    with torch.no_grad():  # each view alone tells a steady click track from one at random times
        rng = torch.Generator().manual_seed(1)
        random_clicks = torch.zeros_like(steady)
        random_clicks[..., torch.randperm(MEL.frames, generator=rng)[:20]] = 1.0
        rhythm = lambda x: critic.rhythm(onset_autocorrelation(x[:, 0], critic.max_lag).flatten(1))  # noqa: E731
        assert (rhythm(steady) - rhythm(random_clicks)).abs().max() > 1e-3
    assert critic(torch.rand(2, 1, MEL.n_mels, 16), torch.tensor([0, 1])).shape == (2, 3)  # short crops
    assert groove_critic(MEL, 2, {"critic_views": 4})(steady.detach(), genres).shape == (4, 4)  # + texture
    summed = groove_critic(MEL, 2, {"critic_group": 4}).eval()  # a file from before views: one sum
    assert summed.views == 1 and summed(steady.detach(), genres).shape == (4,)
    with pytest.raises(ValueError, match="views"):
        groove_critic(MEL, 2, {"critic_views": 2})


def test_trains_from_a_cond_model_saves_loads_and_generates(genre_folder, tmp_path):
    def config(preset, **extra):
        return tiny_config(genre_folder, tmp_path, preset, MEL, **extra)

    list(train(config("melodygan-cond"), tmp_path / "cond"))
    events = list(train(config("melodygan-groove", init_from=str(tmp_path / "cond")), tmp_path / "run"))
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    model = checkpoints.load_generator(tmp_path / "run")
    assert model.meta.preset == "melodygan-groove" and model.meta.architecture["critic_group"] == 4
    assert model.meta.architecture["critic_views"] == 3
    take = generate(model, {"rock": 0.5, "jazz": 0.5}, seed=3, seconds=3.0)
    assert take.mel.shape == (128, MEL.frames_for_seconds(3.0)) and np.isfinite(take.audio).all()
    assert np.array_equal(take.mel, generate(model, {"rock": 0.5, "jazz": 0.5}, seed=3, seconds=3.0).mel)
    with pytest.raises(TrainingError, match="cannot initialise a melodygan-cond run"):
        list(train(config("melodygan-cond", init_from=str(tmp_path / "run")), tmp_path / "back"))


def test_pulses_mark_the_beats_of_the_clock_and_old_files_keep_sines_only():
    generator = groove_generator(MEL, 2)
    assert generator.pulses and generator.architecture()["clock_pulses"] == 1
    params = torch.tensor([[0.0, 1.0, 0.0]])  # 120 BPM, phase 0: a beat every 0.5 s from frame 0
    features = generator.clock_at(params, 200, 1)[0]
    beat = features[-2]  # the pulse at one cycle per beat
    peaks = np.flatnonzero(beat.numpy() > 0.5)
    groups = np.split(peaks, np.flatnonzero(np.diff(peaks) > 1) + 1)
    assert len(groups) >= 3 and all(len(g) <= 3 for g in groups)  # narrow: an onset, not a swell
    onsets = np.asarray([g.mean() for g in groups])
    assert np.allclose(np.diff(onsets) / FRAMES_PER_SECOND, 0.5, atol=1.5 / FRAMES_PER_SECOND)
    old = groove_generator(MEL, 2, {"critic_group": 4, "critic_views": 3})
    assert not old.pulses and old.clock_at(params, 10, 1).shape[1] == 8
    assert old.clock_gain == 1 and generator.clock_gain > 1  # new models' clock layers learn faster
    assert groove_generator(MEL, 2, {"style_gain": 10}).style_gain == 10
    with pytest.raises(ValueError, match="clock_pulses"):
        groove_generator(MEL, 2, {"clock_pulses": 2})
    with pytest.raises(ValueError, match="clock_gain"):
        groove_generator(MEL, 2, {"clock_gain": 0})


def test_texture_statistics_tell_a_held_chord_from_noise():
    torch.manual_seed(0)
    chord = torch.zeros(1, 128, 200)
    chord[:, [20, 40, 60, 80], :] = 0.9  # four partials, held
    noise = torch.rand(1, 128, 200)
    held, washed = texture_statistics(chord).view(3, 8), texture_statistics(noise).view(3, 8)
    assert held.shape == (3, 8)
    assert float(held[0].max()) == 0.0 and float(washed[0].min()) > 0.2  # change from frame to frame
    assert float(held[2].sum()) > 0 and float(held[2, 6:].sum()) == 0.0  # peaks where the partials are
    assert torch.isfinite(texture_statistics(torch.rand(2, 128, 2))).all()  # two frames are enough
