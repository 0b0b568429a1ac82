"""The real training entry point: steps on generated audio, exact resume, stop, divergence, fine-tune."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from loop_faults import nan_from_step

from melodygan_desktop import checkpoints
from melodygan_desktop.config import MelConfig, TrainConfig
from melodygan_desktop.inference import generate
from melodygan_desktop.training.errors import TrainingError
from melodygan_desktop.training.events import CheckpointSaved, Finished, Preview, Started, StepMetrics
from melodygan_desktop.training.loop import train

SHORT_MEL = MelConfig(clip_seconds=2.0)


def config_for(folder, tmp_path, **overrides) -> TrainConfig:
    values = dict(
        data_dir=str(folder), preset="melodygan-v3", steps=4, batch_size=2, mel=SHORT_MEL, threads=1,
        checkpoint_every=2, log_every=1, preview_every=2, preview_count=2, cache_dir=str(tmp_path / "cache"),
    )
    values.update(overrides)
    return TrainConfig(**values)


def losses_by_step(events) -> dict[int, dict[str, float]]:
    return {e.step: e.losses for e in events if isinstance(e, StepMetrics)}


@pytest.mark.parametrize("preset", ["melodygan-v3", "melodygan-cond"])
def test_train_then_generate(genre_folder, tmp_path, preset):
    run = tmp_path / "run"
    events = list(train(config_for(genre_folder, tmp_path, preset=preset, steps=2), run))
    assert isinstance(events[0], Started) and events[0].data.genres == ("jazz", "rock")
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    assert [e.step for e in events if isinstance(e, StepMetrics)] == [1, 2]
    for metrics in (e for e in events if isinstance(e, StepMetrics)):
        assert {"d/loss", "g/adv"} <= set(metrics.losses) and all(np.isfinite(list(metrics.losses.values())))
    preview = next(e for e in events if isinstance(e, Preview))
    assert preview.mels.shape == (2, 128, SHORT_MEL.frames)
    assert 0 <= preview.mels.min() <= preview.mels.max() <= 1
    assert preview.audio.shape == (2, SHORT_MEL.samples_for_frames(SHORT_MEL.frames))
    assert any(isinstance(e, CheckpointSaved) for e in events)
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 2

    model = checkpoints.load_generator(run)
    take = generate(model, "rock", seed=3, seconds=3.0)
    assert take.audio.shape[0] == SHORT_MEL.samples_for_frames(SHORT_MEL.frames_for_seconds(3.0))
    assert np.isfinite(take.audio).all() and take.mel.shape[0] == 128


@pytest.fixture
def deterministic_cuda(monkeypatch):
    """On a CUDA machine the run lands on the GPU: exact resume there needs deterministic kernels."""
    if not torch.cuda.is_available():
        yield
        return
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", True)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(False)


@pytest.mark.usefixtures("deterministic_cuda")
def test_resume_matches_uninterrupted_run(genre_folder, tmp_path):
    whole = losses_by_step(train(config_for(genre_folder, tmp_path), tmp_path / "whole"))
    part_dir = tmp_path / "part"
    first = list(train(config_for(genre_folder, tmp_path, steps=2), part_dir))
    assert first[-1].reason == "completed"
    resumed = list(train(config_for(genre_folder, tmp_path, steps=4), part_dir))
    assert resumed[0].resumed and resumed[0].start_step == 2
    again = losses_by_step(resumed)
    assert sorted(again) == [3, 4]
    for step in (3, 4):
        for key in ("d/loss", "g/adv"):
            assert again[step][key] == pytest.approx(whole[step][key], rel=1e-5, abs=1e-7)
    steps = [json.loads(line)["step"] for line in (part_dir / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4]


def test_stop_saves_and_reports(genre_folder, tmp_path):
    stop = {"now": False}
    events = []
    for event in train(config_for(genre_folder, tmp_path, steps=50), tmp_path / "run", lambda: stop["now"]):
        events.append(event)
        if isinstance(event, StepMetrics):
            stop["now"] = True  # pressed Stop after the first step
    finished = events[-1]
    assert finished.reason == "stopped" and finished.step == 1
    assert finished.checkpoint and checkpoints.load_generator(finished.checkpoint).meta.step == 1


def test_divergence_keeps_last_good_checkpoint(genre_folder, tmp_path, monkeypatch):
    nan_from_step(monkeypatch, 2)  # the third step blows up
    events = list(train(config_for(genre_folder, tmp_path, steps=6), tmp_path / "run"))
    finished = events[-1]
    assert finished.reason == "diverged" and finished.step == 3
    assert "non-finite g/adv" in finished.message and "step_00000002" in finished.message
    assert checkpoints.load_generator(finished.checkpoint).meta.step == 2


def test_exploding_gradients_stop_training(genre_folder, tmp_path):
    config = config_for(genre_folder, tmp_path, steps=6, max_grad_norm=1e-9)
    finished = list(train(config, tmp_path / "run"))[-1]
    assert finished.reason == "diverged" and "grad_norm" in finished.message
    assert finished.checkpoint is None and "no checkpoint" in finished.message


def test_resume_with_other_settings_is_refused(genre_folder, tmp_path):
    list(train(config_for(genre_folder, tmp_path, steps=2), tmp_path / "run"))
    changed = dataclasses.replace(config_for(genre_folder, tmp_path), batch_size=3)
    with pytest.raises(TrainingError, match="batch_size"):
        list(train(changed, tmp_path / "run"))


def test_fine_tune_adds_a_genre(genre_folder, tmp_path):
    base_run = tmp_path / "base"
    list(train(config_for(genre_folder, tmp_path, preset="melodygan-cond", steps=2), base_run))
    new_folder = tmp_path / "more"
    (new_folder / "ambient").mkdir(parents=True)
    for source in (genre_folder / "jazz").iterdir():
        (new_folder / "ambient" / source.name).write_bytes(source.read_bytes())
    config = config_for(new_folder, tmp_path, preset="melodygan-cond", steps=2, init_from=str(base_run))
    events = list(train(config, tmp_path / "tuned"))
    assert events[-1].reason == "completed"
    model = checkpoints.load_generator(tmp_path / "tuned")
    assert model.meta.genres == ("jazz", "rock", "ambient")


def test_cuda_request_without_cuda_is_a_clear_error(genre_folder, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(TrainingError, match="CUDA"):
        list(train(config_for(genre_folder, tmp_path, device="cuda"), tmp_path / "run"))


def test_stop_during_data_preparation(genre_folder, tmp_path):
    events = list(train(config_for(genre_folder, tmp_path), tmp_path / "run", should_stop=lambda: True))
    assert len(events) == 1 and events[0].reason == "stopped" and "preparing" in events[0].message


def test_augmented_critic_step(genre_folder, tmp_path, monkeypatch):
    """The DiffAugment path (off in the shipped presets) still trains end to end."""
    import dataclasses as dc

    from melodygan_desktop.models import presets

    augmented = dc.replace(presets.PRESETS["melodygan-cond"], augment=True)
    monkeypatch.setitem(presets.PRESETS, "melodygan-cond", augmented)
    events = list(train(config_for(genre_folder, tmp_path, preset="melodygan-cond", steps=2), tmp_path / "r"))
    assert events[-1].reason == "completed"


def test_diversity_term_trains_and_is_logged(genre_folder, tmp_path, monkeypatch):
    """The generator's diversity hinge (off in the shipped presets) trains end to end and logs the takes'
    spread as ``g/diversity``."""
    import dataclasses as dc

    from melodygan_desktop.models import presets

    diverse = dc.replace(presets.PRESETS["melodygan-cond"], diversity=1.0)
    monkeypatch.setitem(presets.PRESETS, "melodygan-cond", diverse)
    config = config_for(genre_folder, tmp_path, preset="melodygan-cond", steps=2, log_every=1)
    events = list(train(config, tmp_path / "r"))
    assert events[-1].reason == "completed"
    logged = [e.losses for e in events if isinstance(e, StepMetrics)]
    assert len(logged) == 2 and all(losses["g/diversity"] >= 0 for losses in logged)


def test_run_config_records_the_values_in_force(genre_folder, tmp_path):
    run = tmp_path / "run"
    list(train(config_for(genre_folder, tmp_path, batch_size=None, steps=1), run))
    stored = json.loads((run / "config.json").read_text())["train"]
    assert (stored["batch_size"], stored["lr_g"], stored["lr_d"]) == (10, 1e-3, 1e-3)  # melodygan-v3
    assert stored["mel"]["clip_seconds"] == 2.0
    resumed = list(train(config_for(genre_folder, tmp_path, batch_size=None, steps=2), run))
    assert resumed[0].resumed and resumed[-1].reason == "completed"


class FakeTime:
    """Stands in for the ``time`` module of ``training.clock``: time moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def perf_counter(self) -> float:
        return self.now

    def process_time(self) -> float:
        return self.now / 2  # a process that gets half a core


def run_with_fake_time(config, run_dir, fake):
    events = []
    for event in train(config, run_dir):
        events.append(event)
        if isinstance(event, StepMetrics):
            fake.now += 10.0  # each step takes 10 s of wall-clock time (5 s of CPU)
    return events


@pytest.mark.parametrize("clock, steps_in_budget", [("wall", 3), ("cpu", 6)])
def test_time_budget_ends_the_run_and_holds_across_resumes(
    genre_folder, tmp_path, monkeypatch, clock, steps_in_budget
):
    fake = FakeTime()
    monkeypatch.setattr("melodygan_desktop.training.clock.time", fake)
    run = tmp_path / "run"
    config = config_for(genre_folder, tmp_path, steps=50, max_minutes=0.5, budget_clock=clock)
    events = run_with_fake_time(config, run, fake)
    finished = events[-1]
    assert finished.reason == "completed" and finished.step == steps_in_budget
    assert "time budget reached (0.5 min" in finished.message
    assert checkpoints.load_generator(finished.checkpoint).meta.step == steps_in_budget
    spent = checkpoints.load_training_state(finished.checkpoint)["spent_seconds"]
    assert spent["wall"] == pytest.approx(10.0 * steps_in_budget)
    assert spent["cpu"] == pytest.approx(5.0 * steps_in_budget)
    last = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    assert last["step"] == steps_in_budget  # logged before this test moved time on past that step
    assert last["wall_seconds"] == pytest.approx(10.0 * (steps_in_budget - 1))

    again = run_with_fake_time(config, run, fake)  # the spent time was saved: nothing is left
    assert not any(isinstance(e, StepMetrics) for e in again)
    assert again[-1].reason == "completed" and again[-1].step == steps_in_budget

    more = run_with_fake_time(dataclasses.replace(config, max_minutes=1.0), run, fake)
    assert more[-1].step == 2 * steps_in_budget  # a larger budget continues where the run stopped


def test_eta_respects_the_time_budget(genre_folder, tmp_path, monkeypatch):
    fake = FakeTime()
    monkeypatch.setattr("melodygan_desktop.training.clock.time", fake)
    config = config_for(genre_folder, tmp_path, steps=1_000_000, max_minutes=1.0)
    events = run_with_fake_time(config, tmp_path / "run", fake)
    etas = [e.eta_seconds for e in events if isinstance(e, StepMetrics)]
    assert etas[0] == pytest.approx(60.0) and etas[1] == pytest.approx(50.0)  # not a million steps' worth


def test_previews_are_of_the_genres_asked_for(genre_folder, tmp_path):
    config = config_for(genre_folder, tmp_path, preset="melodygan-cond", steps=2,
                        preview_genres=("rock", "polka"), preview_count=4)
    preview = next(e for e in train(config, tmp_path / "run") if isinstance(e, Preview))
    assert preview.genres == ("rock",) and preview.mels.shape[0] == 1  # polka: not a genre of the run
