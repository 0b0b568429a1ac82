"""The clips an evaluation compares with real ones: generator output as log-mels (what the generator makes)
and real clips sent through a mel-to-audio inversion and back (what the inversion loses)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from melodygan_desktop.config import MelConfig

#: Clips per generator forward pass.
GENERATE_BATCH = 8

#: ``progress(done, total)`` in clips.
ClipProgress = Callable[[int, int], None]


def clip_frames(generator: torch.nn.Module, mel: MelConfig) -> int:
    """Frames of one generated clip: the generator's fixed size, else the clip length of ``mel``."""
    fixed = getattr(generator, "fixed_frames", None)
    return int(fixed) if fixed else mel.frames


@torch.no_grad()
def generate_mels(
    generator: torch.nn.Module,
    genre_indices: Sequence[int | None],
    frames: int,
    *,
    seed: int = 0,
    batch_size: int = GENERATE_BATCH,
    progress: ClipProgress | None = None,
) -> np.ndarray:
    """One clip per entry of ``genre_indices`` (a one-hot genre for conditional generators, ignored by
    unconditional ones): float32 (N, n_mels, frames) in [0, 1]. Deterministic in ``seed``."""
    generator.eval()
    device = next(generator.parameters()).device
    rng = torch.Generator().manual_seed(seed)
    fully_convolutional = getattr(generator, "fixed_frames", None) is None
    out = []
    total = len(genre_indices)
    for start in range(0, total, batch_size):
        chunk = list(genre_indices[start : start + batch_size])
        z = torch.randn((len(chunk), *generator.latent_shape(frames)), generator=rng).to(device)
        weights = None
        if generator.conditional:
            weights = torch.zeros(len(chunk), generator.n_genres)
            for row, index in enumerate(chunk):
                weights[row, index] = 1.0
            weights = weights.to(device)
        raw = generator(z, weights, frames=frames) if fully_convolutional else generator(z, weights)
        unit = generator.to_unit(raw)[:, 0, :, :frames].clamp(0.0, 1.0)
        out.append(unit.float().cpu().numpy())
        if progress is not None:
            progress(min(start + batch_size, total), total)
    return np.concatenate(out) if out else np.zeros((0, 0, frames), dtype=np.float32)


def resynthesise(
    mels: np.ndarray,
    mel: MelConfig,
    method: str,
    *,
    seed: int = 0,
    progress: ClipProgress | None = None,
) -> np.ndarray:
    """Real clips (N, n_mels, frames) in [0, 1] -> audio through inversion ``method`` -> log-mels again,
    float32 (N, n_mels, frames). Frames lost at the edges are repeated from the last computed one."""
    from melodygan_desktop.audio.inversion import invert
    from melodygan_desktop.audio.mel import MelFrontEnd, waveform_to_mel

    front_end = MelFrontEnd(mel)
    out = np.empty(mels.shape, dtype=np.float32)
    frames = mels.shape[-1]
    for index, clip in enumerate(mels):
        audio = invert(np.asarray(clip, dtype=np.float32), mel, method, seed=seed + index)
        again = waveform_to_mel(np.asarray(audio, dtype=np.float32), mel, front_end=front_end)
        if again.shape[1] < frames:
            again = np.pad(again, ((0, 0), (0, frames - again.shape[1])), mode="edge")
        out[index] = again[:, :frames]
        if progress is not None:
            progress(index + 1, len(mels))
    return out


def pick_per_genre(labels: np.ndarray, mask: np.ndarray, limit: int, seed: int) -> np.ndarray:
    """Indices of at most ``limit`` rows per label among rows where ``mask`` is True (random, sorted)."""
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels[mask]):
        rows = np.flatnonzero(mask & (labels == label))
        chosen.append(rows if rows.size <= limit else np.sort(rng.choice(rows, limit, replace=False)))
    return np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
