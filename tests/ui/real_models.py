"""Tiny real models for end-to-end tests: a freshly initialised generator exported as a model folder."""

from __future__ import annotations

from pathlib import Path


def make_model(
    models_dir: Path,
    name: str = "test-model",
    preset: str = "melodygan-cond",
    genres: tuple[str, ...] = ("ambient", "techno"),
) -> Path:
    """Write ``models_dir/<name>`` (generator.safetensors + meta.json + card.md) and return it."""
    import torch

    from melodygan_desktop import checkpoints
    from melodygan_desktop.checkpoints import CheckpointMeta
    from melodygan_desktop.config import MEL_PRESETS
    from melodygan_desktop.models.presets import get_preset

    preset_info = get_preset(preset)
    mel = MEL_PRESETS[preset_info.mel_preset]
    torch.manual_seed(0)
    generator = preset_info.build_generator(mel, len(genres))
    meta = CheckpointMeta(preset=preset, mel=mel, genres=tuple(genres), card={"name": f"Test {name}"})
    step = checkpoints.save_checkpoint(models_dir.parent / f"{name}-run", 1, generator.state_dict(), meta)
    card = f"# Test {name}\n\nAn untrained generator for tests. Licence: MIT.\n"
    return checkpoints.export_checkpoint(step, models_dir / name, card=card)
