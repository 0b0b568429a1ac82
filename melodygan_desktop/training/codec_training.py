"""Training the mel codec: reconstruction of random crops of real clips, on any device, time-boxed.

``train_codec`` yields ``CodecProgress`` as it goes (the CLI draws a bar from it) and returns the codec
through ``CodecProgress.codec`` on the last one. The validation figure is the mean absolute error of whole
validation clips in dB (the normalised [0, 1] mel spans ``db_ceil - db_floor`` dB).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from ..config import MelConfig
from ..data.prepared import ClipSet
from ..models.codec import DOWNSAMPLE, CodecShape, MelCodec, reconstruction_loss


@dataclass(frozen=True)
class CodecRecipe:
    """Batch of ``batch`` random crops of ``crop_frames``, Adam at ``lr`` with a cosine decay to 10 % over
    the planned steps (or the time budget), latent noise ``noise`` (std, in latent units) during training."""

    batch: int = 32
    crop_frames: int = 128
    lr: float = 5e-4
    noise: float = 0.1
    seed: int = 0


@dataclass
class CodecProgress:
    step: int
    total: int
    loss: float
    val_db_error: float | None
    seconds: float
    codec: MelCodec | None = None


def _crops(mels: torch.Tensor, batch: int, frames: int, rng: np.random.Generator) -> torch.Tensor:
    count, _, length = mels.shape
    index = rng.integers(0, count, batch)
    starts = rng.integers(0, max(1, length - frames + 1), batch)
    return torch.stack([mels[i, :, s : s + frames] for i, s in zip(index.tolist(), starts.tolist())])


@torch.no_grad()
def validation_db_error(codec: MelCodec, clips: torch.Tensor, mel: MelConfig, batch: int = 16) -> float:
    """Mean |reconstruction - original| in dB over whole clips ``(N, n_mels, frames)`` in [0, 1]."""
    was = codec.training
    codec.eval()
    total, count = 0.0, 0
    for start in range(0, clips.shape[0], batch):
        part = clips[start : start + batch].float()
        total += float((codec.reconstruct(part) - part).abs().sum())
        count += part.numel()
    codec.train(was)
    return total / max(1, count) * (mel.db_ceil - mel.db_floor)


def train_codec(
    train: ClipSet,
    val: ClipSet,
    mel: MelConfig,
    *,
    steps: int,
    shape: CodecShape | None = None,
    recipe: CodecRecipe | None = None,
    device: str | torch.device = "cpu",
    max_seconds: float | None = None,
    report_every: int = 100,
    should_stop: Callable[[], bool] = lambda: False,
) -> Iterator[CodecProgress]:
    """Train a codec for ``steps`` steps (or until ``max_seconds``); the last progress carries the codec."""
    recipe = recipe or CodecRecipe()
    device = torch.device(device)
    if recipe.crop_frames % DOWNSAMPLE or recipe.crop_frames < DOWNSAMPLE:
        raise ValueError(f"crop_frames must be a positive multiple of {DOWNSAMPLE}")
    crop = min(recipe.crop_frames, mel.frames // DOWNSAMPLE * DOWNSAMPLE)  # short clips: the whole clip
    torch.manual_seed(recipe.seed)
    rng = np.random.default_rng(recipe.seed)
    codec = MelCodec(shape or CodecShape(n_mels=mel.n_mels)).to(device).train()
    optimizer = torch.optim.Adam(codec.parameters(), lr=recipe.lr, betas=(0.9, 0.99))
    mels = torch.from_numpy(np.asarray(train.mels, dtype=np.float16)).to(device)
    val_mels = torch.from_numpy(np.asarray(val.mels[:64], dtype=np.float16)).to(device)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
    started = time.perf_counter()
    losses: list[float] = []
    step = 0
    val_error = None
    while step < steps:
        # Cosine decay to 10 % over the planned steps or the time budget, whichever ends first.
        done = step / steps
        if max_seconds:
            done = max(done, (time.perf_counter() - started) / max_seconds)
        for group in optimizer.param_groups:
            group["lr"] = recipe.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * min(1.0, done))))
        batch = _crops(mels, recipe.batch, crop, rng).float()
        with autocast:
            output = codec.reconstruct(batch, noise=recipe.noise)
        loss = reconstruction_loss(batch, output.float())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        losses.append(float(loss.detach()) if step % 10 == 0 or step == steps else math.nan)
        elapsed = time.perf_counter() - started
        out_of_time = max_seconds is not None and elapsed >= max_seconds
        last = step >= steps or out_of_time or should_stop()
        if step % report_every == 0 or last:
            if len(val_mels) and (last or step % (report_every * 10) == 0):
                val_error = validation_db_error(codec, val_mels, mel)
            recent = [value for value in losses[-report_every:] if not math.isnan(value)]
            yield CodecProgress(
                step,
                steps,
                float(np.mean(recent)) if recent else math.nan,
                val_error,
                elapsed,
                codec.eval().cpu() if last else None,
            )
        if last:
            return


__all__ = ["CodecProgress", "CodecRecipe", "train_codec", "validation_db_error"]
