"""Frozen configs: shapes from the papers, strict JSON round trips."""

from __future__ import annotations

import pytest

from melodygan_desktop.config import (
    DEFAULT_PRESET,
    DEFAULT_STEPS,
    MEL_PRESETS,
    ConfigError,
    MelConfig,
    TrainConfig,
    cadence_for,
    from_dict,
    to_dict,
)


def test_paper_shapes():
    assert MelConfig().frames == 431 and MelConfig().clip_samples == 220500
    assert MEL_PRESETS["paper002-5s"].frames == 216
    assert MelConfig().samples_for_frames(431) == 220160


def test_round_trip_and_strictness():
    config = TrainConfig(data_dir="/music", mel=MelConfig(clip_seconds=5.0), batch_size=8)
    assert from_dict(TrainConfig, to_dict(config)) == config
    with pytest.raises(ConfigError, match="unknown key"):
        from_dict(MelConfig, {"sample_rate": 22050, "n_ffts": 1024})
    with pytest.raises(ConfigError, match="integer"):
        from_dict(MelConfig, {"n_fft": "2048"})
    with pytest.raises(ConfigError, match="number"):
        from_dict(MelConfig, {"clip_seconds": True})
    with pytest.raises(ConfigError, match="finite"):
        from_dict(MelConfig, {"db_floor": float("nan")})


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"hop_length": 4096}, "hop_length"),
        ({"clip_seconds": 0}, "clip_seconds"),
        ({"f_max": 20000.0}, "f_max"),
        ({"db_ceil": -100.0}, "db_ceil"),
    ],
)
def test_bad_mel_values(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        MelConfig(**kwargs)


def test_bad_train_values():
    with pytest.raises(ConfigError, match="device"):
        TrainConfig(data_dir="x", device="tpu")
    with pytest.raises(ConfigError, match="steps"):
        TrainConfig(data_dir="x", steps=0)


def test_a_default_run_takes_the_one_default_preset_steps_and_cadence():
    config = TrainConfig(data_dir="x")
    assert (config.preset, config.steps) == (DEFAULT_PRESET, DEFAULT_STEPS)
    assert {name: getattr(config, name) for name in cadence_for(DEFAULT_STEPS)} == cadence_for(DEFAULT_STEPS)


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (1, {"checkpoint_every": 10, "log_every": 1, "preview_every": 10}),
        (200, {"checkpoint_every": 50, "log_every": 2, "preview_every": 20}),
        (2000, {"checkpoint_every": 500, "log_every": 10, "preview_every": 200}),
        (10**6, {"checkpoint_every": 500, "log_every": 10, "preview_every": 250}),
    ],
)
def test_cadence_follows_the_step_count_within_bounds(steps, expected):
    assert cadence_for(steps) == expected
    TrainConfig(data_dir="x", steps=steps, **cadence_for(steps))  # always a valid config
