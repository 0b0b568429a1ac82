"""A small CNN genre classifier on normalised log-mels: its network, clip-batched inference helpers, and the
embedding (penultimate layer) that the Frechet distance is measured on.

The network is fully convolutional over time and pools globally, so it accepts any clip length; it keeps a
coarse frequency axis (``freq_bins`` bands) because where the energy sits matters for genre.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

#: Clips per forward pass in the NumPy helpers (a 10-s clip costs about 4 MB of activations).
INFERENCE_BATCH = 32


@dataclass(frozen=True)
class ClassifierArchitecture:
    """Shape of a ``GenreClassifier``; stored in ``meta.json`` so a saved network is rebuilt exactly.

    ``channels``: one 3x3 conv block (conv, batch norm, ReLU, 2x2 max pool) per entry;
    ``freq_bins``: mel bands left after adaptive average pooling; ``hidden``: channels of the per-frame
    projection; ``embed_dim``: size D of the embedding returned by ``embed``.
    """

    channels: tuple[int, ...] = (16, 32, 64, 128)
    freq_bins: int = 8
    hidden: int = 192
    embed_dim: int = 128
    dropout: float = 0.3

    def __post_init__(self) -> None:
        if not self.channels or any(c <= 0 for c in self.channels):
            raise ValueError("ClassifierArchitecture: channels must be a non-empty list of positive sizes")
        if self.freq_bins <= 0 or self.hidden <= 0 or self.embed_dim <= 0:
            raise ValueError("ClassifierArchitecture: freq_bins, hidden and embed_dim must be positive")
        if not 0 <= self.dropout < 1:
            raise ValueError("ClassifierArchitecture: dropout must be in [0, 1)")

    @property
    def min_frames(self) -> int:
        """Shortest input (frames) that survives every time pooling."""
        return 2 ** len(self.channels)


class GenreClassifier(nn.Module):
    """Log-mel clip (B, 1, n_mels, frames) in [0, 1] -> genre logits (B, n_genres).

    ``embed`` gives the (B, embed_dim) penultimate activations (after ReLU, before dropout), the space in
    which Frechet distances are measured. Frames may be any length >= ``architecture.min_frames``.
    """

    def __init__(
        self, n_mels: int, n_genres: int, architecture: ClassifierArchitecture | None = None
    ) -> None:
        super().__init__()
        if n_genres < 1:
            raise ValueError(f"a classifier needs at least one genre, got {n_genres}")
        arch = architecture or ClassifierArchitecture()
        if n_mels < 2 ** len(arch.channels):
            raise ValueError(f"n_mels {n_mels} is too small for {len(arch.channels)} pooling blocks")
        self.n_mels = n_mels
        self.n_genres = n_genres
        self.architecture = arch
        blocks: list[nn.Module] = []
        previous = 1
        for width in arch.channels:
            blocks += [
                nn.Conv2d(previous, width, 3, padding=1, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            previous = width
        self.features = nn.Sequential(*blocks)
        self.freq_pool = nn.AdaptiveAvgPool2d((arch.freq_bins, None))
        self.frame_projection = nn.Sequential(
            nn.Conv1d(previous * arch.freq_bins, arch.hidden, 1, bias=False),
            nn.BatchNorm1d(arch.hidden),
            nn.ReLU(inplace=True),
        )
        self.embedding = nn.Sequential(nn.Linear(2 * arch.hidden, arch.embed_dim), nn.ReLU(inplace=True))
        self.head = nn.Sequential(nn.Dropout(arch.dropout), nn.Linear(arch.embed_dim, n_genres))

    def _check(self, x: torch.Tensor) -> None:
        if x.dim() != 4 or x.shape[1] != 1 or x.shape[2] != self.n_mels:
            raise ValueError(f"expected mels of shape (B, 1, {self.n_mels}, frames), got {tuple(x.shape)}")
        if x.shape[3] < self.architecture.min_frames:
            raise ValueError(f"clip too short: {x.shape[3]} frames, need >= {self.architecture.min_frames}")

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, n_mels, frames) in [0, 1] -> (B, embed_dim) non-negative embedding."""
        self._check(x)
        h = self.freq_pool(self.features(x))  # (B, C, freq_bins, T')
        h = self.frame_projection(h.flatten(1, 2))  # (B, hidden, T')
        pooled = torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1)  # (B, 2 * hidden)
        return self.embedding(pooled)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, n_mels, frames) in [0, 1] -> logits (B, n_genres)."""
        return self.head(self.embed(x))

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Most likely genre index per clip: (B, 1, n_mels, frames) -> LongTensor (B,). Uses eval mode."""
        was_training = self.training
        self.eval()
        try:
            return self(x).argmax(dim=1)
        finally:
            self.train(was_training)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@torch.no_grad()
def _batched(
    fn: Callable[[torch.Tensor], torch.Tensor],
    model: GenreClassifier,
    mels: np.ndarray,
    batch_size: int,
    progress: Callable[[int, int], None] | None,
) -> np.ndarray:
    if mels.ndim == 2:
        mels = mels[None]
    if mels.ndim != 3:
        raise ValueError(f"expected mels of shape (N, n_mels, frames), got {mels.shape}")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    outputs = []
    try:
        for start in range(0, mels.shape[0], batch_size):
            batch = torch.from_numpy(np.asarray(mels[start : start + batch_size], dtype=np.float32))
            outputs.append(fn(batch.unsqueeze(1).to(device)).float().cpu().numpy())
            if progress is not None:
                progress(min(start + batch_size, mels.shape[0]), mels.shape[0])
    finally:
        model.train(was_training)
    if not outputs:
        return np.zeros((0, 0), dtype=np.float32)
    return np.concatenate(outputs, axis=0)


def embed_clips(
    model: GenreClassifier,
    mels: np.ndarray,
    *,
    batch_size: int = INFERENCE_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Embeddings (N, embed_dim) float32 of clips ``mels`` (N, n_mels, frames) in [0, 1], in eval mode."""
    out = _batched(model.embed, model, mels, batch_size, progress)
    return out.reshape(len(mels) if mels.ndim == 3 else 1, model.architecture.embed_dim)


def predict_proba(
    model: GenreClassifier,
    mels: np.ndarray,
    *,
    batch_size: int = INFERENCE_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Genre probabilities (N, n_genres) float32 of clips ``mels`` (N, n_mels, frames) in [0, 1]."""
    logits = _batched(model, model, mels, batch_size, progress)
    logits = logits.reshape(len(mels) if mels.ndim == 3 else 1, model.n_genres)
    logits = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    return probs / probs.sum(axis=1, keepdims=True)


@torch.no_grad()
def logits_from_embeddings(model: GenreClassifier, embeddings: np.ndarray) -> np.ndarray:
    """Genre logits (N, n_genres) from embeddings (N, embed_dim) of ``embed`` (eval mode: no dropout)."""
    was_training = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        return model.head(torch.from_numpy(np.asarray(embeddings, dtype=np.float32)).to(device)).cpu().numpy()
    finally:
        model.train(was_training)


def predict_clips(
    model: GenreClassifier, mels: np.ndarray, *, batch_size: int = INFERENCE_BATCH
) -> np.ndarray:
    """Most likely genre index (N,) int64 per clip of ``mels`` (N, n_mels, frames)."""
    return predict_proba(model, mels, batch_size=batch_size).argmax(axis=1).astype(np.int64)
