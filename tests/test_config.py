"""Frozen configs: shapes from the papers, strict JSON round trips."""

from __future__ import annotations

import pytest

from melodygan_desktop.config import MEL_PRESETS, ConfigError, MelConfig, TrainConfig, from_dict, to_dict


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
