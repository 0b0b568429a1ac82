"""What a ``melodygan-latent`` run needs besides its data: the codec, and the clips encoded by it.

The codec of a run is fixed at its start: the one named by ``--codec`` (default: the bundled
``checkpoints/mel-codec``) for a new run, the base model's own for fine-tuning, and the one inside the newest
checkpoint when resuming, so a run never changes codec half-way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .. import checkpoints
from ..checkpoints.codec_files import load_codec
from ..config import MelConfig
from ..data.prepared import ClipSet, PreparedData
from ..models.codec import MelCodec
from ..models.latent import SequenceShape
from .errors import TrainingError

CODEC_PREFIX = "codec."


def run_codec(config, base_model, run_dir: Path, resuming: bool, mel: MelConfig) -> tuple[MelCodec, dict]:
    """(codec, architecture dict) for this run; ``TrainingError`` when there is none to be had."""
    if resuming:
        step_dir = checkpoints.latest_checkpoint(run_dir)
        loaded = checkpoints.load_generator(step_dir) if step_dir else None
        if loaded is None or not hasattr(loaded.generator, "codec"):
            raise TrainingError(f"{run_dir}: its newest checkpoint holds no codec to resume with")
        return loaded.generator.codec, dict(loaded.meta.architecture)
    if base_model is not None:
        if not hasattr(base_model.generator, "codec"):
            raise TrainingError(f"{base_model.path}: not a latent model")
        return base_model.generator.codec, dict(base_model.meta.architecture)
    try:
        codec, codec_mel, _ = load_codec(config.codec)
    except checkpoints.CheckpointError as exc:
        raise TrainingError(f"the mel codec cannot be loaded: {exc}") from None
    if codec_mel.with_clip_seconds(mel.clip_seconds) != mel:
        raise TrainingError(f"{config.codec or 'the bundled codec'}: its mel settings differ from the run's")
    sequence = SequenceShape(latent_dim=codec.shape.latent_dim)
    return codec, {"codec": codec.shape.to_dict(), "sequence": sequence.to_dict()}


@torch.no_grad()
def encode_clipset(clips: ClipSet, codec: MelCodec, device, batch: int = 32) -> ClipSet:
    """The same clips as codec latents: ``mels`` becomes float16 ``(N, latent_dim, ceil(frames / 4))``."""
    codec = codec.to(device).eval()
    count = len(clips)
    steps = MelCodec.latent_steps(clips.mels.shape[-1]) if count else 0
    out = np.empty((count, codec.shape.latent_dim, steps), dtype=np.float16)
    for start in range(0, count, batch):
        part = torch.from_numpy(np.asarray(clips.mels[start : start + batch], dtype=np.float32)).to(device)
        out[start : start + part.shape[0]] = codec.encode(part).cpu().numpy().astype(np.float16)
    return ClipSet(mels=out, labels=clips.labels, track_ids=clips.track_ids)


def encode_data(data: PreparedData, codec: MelCodec, device) -> PreparedData:
    """``data`` with both splits encoded (labels, tracks and summary unchanged)."""
    return PreparedData(
        train=encode_clipset(data.train, codec, device),
        val=encode_clipset(data.val, codec, device),
        genres=data.genres,
        summary=data.summary,
        tracks=data.tracks,
    )


__all__ = ["encode_clipset", "encode_data", "run_codec"]
