"""A training run small enough for a test: two steps of batch 2 on a genre folder, checkpointed."""

from __future__ import annotations

from pathlib import Path

from melodygan_desktop.config import MelConfig, TrainConfig


def tiny_config(folder: Path, tmp_path: Path, preset: str, mel: MelConfig, **extra) -> TrainConfig:
    """Two steps of ``preset`` on ``folder`` (mel cache under ``tmp_path``), a checkpoint at the end."""
    return TrainConfig(
        data_dir=str(folder), preset=preset, steps=2, batch_size=2, mel=mel, threads=1,
        checkpoint_every=2, log_every=1, preview_every=2, preview_count=2,
        cache_dir=str(tmp_path / "cache"), **extra,
    )
