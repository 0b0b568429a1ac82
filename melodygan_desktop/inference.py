"""Load a generator and turn (genre, seed, length) into a log-mel and audio, as NumPy arrays.

Fully convolutional models generate any length in one pass, so long pieces have no seams. Fixed-size models
(the papers' DCGANs) generate clip after clip, joined with a short equal-power crossfade.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import __version__
from .audio.inversion import default_method, invert, resolve_method
from .audio.mel import waveform_to_mel
from .checkpoints import LoadedModel, load_generator
from .checkpoints.vocoder_method import register_vocoder_method
from .config import to_dict

register_vocoder_method()  # the bundled vocoder joins the mel-to-audio methods wherever takes are made

Progress = Callable[[float], None]

MIN_SECONDS = 1.0
MAX_SECONDS = 600.0
CROSSFADE_SECONDS = 0.5


class UnknownGenreError(ValueError):
    """The requested genre is not one the model was trained on."""


@dataclass(frozen=True)
class Generation:
    """One generated take. ``mel`` is (n_mels, frames) in [0, 1]; ``audio`` is float32 mono in [-1, 1]."""

    mel: np.ndarray
    audio: np.ndarray
    sample_rate: int
    genre_label: str
    seed: int
    seconds: float
    method: str
    model_name: str
    metadata: dict[str, str] = field(default_factory=dict)


def load_model(path: str | Path) -> LoadedModel:
    return load_generator(path)


def genre_weights(model: LoadedModel, genre: str | Mapping[str, float]) -> tuple[np.ndarray, str]:
    """Weights over the model's genres and a label: ``"jazz"`` or ``{"jazz": 0.7, "rock": 0.3}`` (a morph)."""
    genres = list(model.meta.genres)
    requested = {genre: 1.0} if isinstance(genre, str) else dict(genre)
    weights = np.zeros(len(genres), dtype=np.float64)  # float64: a weight like 1e39 cannot overflow to inf
    for name, weight in requested.items():
        if name not in genres:
            raise UnknownGenreError(
                f"unknown genre {name!r} for model {model.name}; choose one of: {', '.join(genres)}"
            )
        if not math.isfinite(weight) or weight < 0 or weight > 1e6:
            raise ValueError(f"genre weight for {name!r} must be a number from 0 to 1e6, got {weight}")
        weights[genres.index(name)] += weight
    if weights.sum() <= 0:
        raise ValueError("genre weights must not all be zero")
    weights = (weights / weights.sum()).astype(np.float32)
    parts = [f"{genres[i]} {weights[i]:.0%}" for i in np.argsort(-weights) if weights[i] > 0]
    label = genres[int(np.argmax(weights))] if len(parts) == 1 else " + ".join(parts)
    return weights, label


@torch.no_grad()
def generate_mel(
    model: LoadedModel, weights: np.ndarray, seed: int, frames: int, progress: Progress | None = None
) -> np.ndarray:
    """Generator forward only: (n_mels, frames) in [0, 1], from a latent seeded by ``seed``."""
    generator = model.generator
    device = next(generator.parameters()).device
    rng = torch.Generator().manual_seed(seed)
    genre = torch.from_numpy(weights)[None].to(device) if generator.conditional else None
    if generator.fixed_frames is None:
        z = torch.randn((1, *generator.latent_shape(frames)), generator=rng).to(device)
        mel = generator.to_unit(generator(z, genre, frames=frames))[0, 0]
        if progress:
            progress(1.0)
        return mel.float().cpu().numpy()
    clip = generator.fixed_frames
    count = max(1, math.ceil(frames / clip))
    pieces = []
    for index in range(count):
        z = torch.randn((1, *generator.latent_shape(clip)), generator=rng).to(device)
        pieces.append(generator.to_unit(generator(z, genre))[0, 0].float().cpu().numpy())
        if progress:
            progress((index + 1) / count)
    return np.concatenate(pieces, axis=1)[:, :frames] if count > 1 else pieces[0][:, :frames]


def _crossfade_join(clips: list[np.ndarray], fade: int) -> np.ndarray:
    """Join audio clips with an equal-power crossfade of ``fade`` samples."""
    out = clips[0]
    ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
    fade_in, fade_out = np.sqrt(ramp), np.sqrt(1.0 - ramp)
    for clip in clips[1:]:
        mixed = out[-fade:] * fade_out + clip[:fade] * fade_in
        out = np.concatenate([out[:-fade], mixed, clip[fade:]])
    return out


def generate(
    model: LoadedModel,
    genre: str | Mapping[str, float],
    *,
    seed: int,
    seconds: float,
    method: str | None = None,
    progress: Progress | None = None,
) -> Generation:
    """Generate ``seconds`` of audio in ``genre`` (or a morph of genres); same seed, same take.

    ``progress`` receives 0..1: the first 30 % is the generator, the rest the mel-to-audio inversion.
    """
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise ValueError(
            f"length must be between {MIN_SECONDS:g} and {MAX_SECONDS:g} seconds, got {seconds:g}"
        )
    weights, label = genre_weights(model, genre)
    mel_config = model.meta.mel
    # The method actually used: e.g. a vocoder trained for other mel settings falls back, with a note.
    method, note = resolve_method(method or default_method(), mel_config)
    frames = mel_config.frames_for_seconds(seconds)
    report = progress or (lambda _fraction: None)
    generator = model.generator
    if generator.fixed_frames is None or generator.fixed_frames >= frames:
        mel = generate_mel(model, weights, seed, frames, lambda f: report(0.3 * f))
        audio = invert(mel, mel_config, method, seed=seed, progress=lambda f: report(0.3 + 0.7 * f))
    else:
        clip = generator.fixed_frames
        fade = int(CROSSFADE_SECONDS * mel_config.sample_rate)
        clip_samples = mel_config.samples_for_frames(clip)
        target = mel_config.samples_for_frames(frames)
        count = math.ceil((target - fade) / (clip_samples - fade))
        pieces = generate_mel(model, weights, seed, clip * count, lambda f: report(0.3 * f))
        clips = []
        for index in range(count):
            clips.append(invert(pieces[:, index * clip : (index + 1) * clip], mel_config, method, seed=seed))
            report(0.3 + 0.65 * (index + 1) / count)
        audio = _crossfade_join(clips, fade)[:target]
        mel = waveform_to_mel(audio, mel_config)  # what is heard, joins included
    audio = audio[: mel_config.samples_for_frames(frames)]
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 0.99:  # keep headroom: inversion can overshoot slightly
        audio = audio * (0.99 / peak)
    report(1.0)
    metadata = {
        "software": f"MELodyGAN Desktop {__version__}",
        "model": model.name,
        "preset": model.meta.preset,
        "genre": label,
        "genre_weights": json.dumps({g: round(float(w), 4) for g, w in zip(model.meta.genres, weights) if w}),
        "seed": str(seed),
        "seconds": f"{seconds:g}",
        "method": method,
        "mel": json.dumps(to_dict(mel_config)),
    }
    if note:
        metadata["note"] = note
    return Generation(
        mel=mel.astype(np.float32), audio=audio.astype(np.float32), sample_rate=mel_config.sample_rate,
        genre_label=label, seed=seed, seconds=seconds, method=method, model_name=model.name,
        metadata=metadata,
    )
