"""Putting a run's networks into their starting state: fresh, fine-tuned from a model, or resumed.

Resume state (raw G, D, EMA G, optimisers, step) lives in ``training.pt`` and is read with
``torch.load(weights_only=True)``; fine-tuning reads only an inference checkpoint (safetensors).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import torch

from .. import __version__, checkpoints
from ..checkpoints import CheckpointMeta
from .errors import TrainingError
from .step import GanState


def training_state(state: GanState, step: int, genres: list[str], spent: dict[str, float]) -> dict:
    return {
        "step": step,
        "spent_seconds": dict(spent),
        "genres": list(genres),
        "generator": state.generator.state_dict(),
        "discriminator": state.discriminator.state_dict(),
        "generator_ema": state.generator_ema.state_dict() if state.generator_ema is not None else {},
        "optimizer_g": state.optimizer_g.state_dict(),
        "optimizer_d": state.optimizer_d.state_dict(),
    }


def make_meta(state: GanState, mel, genres: list[str], step: int) -> CheckpointMeta:
    return CheckpointMeta(
        app_version=__version__,
        preset=state.preset.name,
        mel=mel,
        genres=tuple(genres),
        step=step,
        sha256="",  # filled in by save_checkpoint from the written weights
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        card={},
        architecture=state.architecture(),
    )


def run_networks(config, preset, mel, n_genres: int, base_model, run_dir: Path, resuming: bool,
                 stored_architecture: dict | None) -> tuple[torch.nn.Module | None, dict | None]:
    """(codec or None, architecture) of a run: latent presets take both from ``run_codec``; the others
    resume with the run's recorded shape, fine-tune with the base model's, and otherwise record today's
    defaults, so that neither resuming nor the saved models depend on later changes of a preset."""
    from .latent_data import run_codec

    if preset.latent:
        return run_codec(config, base_model, run_dir, resuming, mel)
    architecture = stored_architecture if resuming else None
    if architecture is None and base_model is not None and not resuming:
        architecture = dict(base_model.meta.architecture) or None
        if base_model.meta.preset != preset.name:  # a model of another family: its shape, our new settings
            architecture = {**preset.make_generator(mel, n_genres).architecture(), **(architecture or {})}
    if architecture is None and preset.shaped:
        architecture = preset.make_generator(mel, n_genres).architecture()
    return None, architecture


def load_resume_state(
    state: GanState, run_dir: Path, device: torch.device
) -> tuple[int, str, dict[str, float]]:
    """Load the newest complete checkpoint of ``run_dir`` into ``state``.

    Returns (step, its folder, the training time spent up to it: ``{"wall": s, "cpu": s}``, empty for
    checkpoints written before the time was recorded).
    """
    step_dir = checkpoints.latest_checkpoint(run_dir)
    if step_dir is None:
        raise TrainingError(f"{run_dir}: nothing to resume (no complete checkpoint)")
    saved = checkpoints.load_training_state(step_dir, map_location=device)
    try:
        state.generator.load_state_dict(saved["generator"])
        state.discriminator.load_state_dict(saved["discriminator"])
        if state.generator_ema is not None:
            state.generator_ema.load_state_dict(saved["generator_ema"])
        state.optimizer_g.load_state_dict(saved["optimizer_g"])
        state.optimizer_d.load_state_dict(saved["optimizer_d"])
        step = int(saved["step"])
        spent = {str(k): float(v) for k, v in saved.get("spent_seconds", {}).items()}
    except (KeyError, RuntimeError, ValueError, TypeError, AttributeError) as exc:
        raise TrainingError(f"{step_dir}: resume state does not fit this run ({exc})") from None
    return step, str(step_dir), spent


def start_from_checkpoint(state: GanState, model, genres: list[str]) -> None:
    """Fine-tuning: copy a trained generator into G (and EMA G); the discriminator starts fresh.

    Tensors whose shape matches are copied as they are; tensors with one row per genre (embeddings, projection
    weights) are copied row by row for the genres both lists share, so new genres start from scratch.
    """
    if model.meta.preset not in (state.preset.name, *state.preset.starts_from):
        raise TrainingError(
            f"{model.path}: a {model.meta.preset} model cannot initialise a {state.preset.name} run; "
            f"choose preset {model.meta.preset}"
        )
    source = model.generator.state_dict()
    if state.preset.latent:  # the saved model wraps the sequence generator: copy that part
        prefix = "sequence."
        source = {name[len(prefix):]: value for name, value in source.items() if name.startswith(prefix)}
    old_genres = list(model.meta.genres)
    for target in filter(None, (state.generator, state.generator_ema)):
        own = target.state_dict()
        for name, tensor in own.items():
            weights = source.get(name)
            if weights is None:
                continue
            if weights.shape == tensor.shape:
                tensor.copy_(weights)
            elif (
                weights.dim() == tensor.dim() and weights.shape[0] == len(old_genres)
                and tensor.shape[0] == len(genres) and weights.shape[1:] == tensor.shape[1:]
            ):
                for new_index, genre in enumerate(genres):
                    if genre in old_genres:
                        tensor[new_index].copy_(weights[old_genres.index(genre)])
