"""Base classes every generator and discriminator implements: latent shape, value ranges, call signatures.

A generator maps latents to mel images ``(B, 1, n_mels, frames)`` in its *model range* (what its output
activation produces); ``to_unit`` / ``from_unit`` convert between that range and the normalised [0, 1] mel
domain of :class:`~melodygan_desktop.config.MelConfig` (0 = silence).
"""

from __future__ import annotations

import torch
from torch import nn

#: Output activations and the model range each one produces.
OUTPUT_ACTIVATIONS = ("tanh", "relu", "sigmoid")


class Generator(nn.Module):
    """Latent -> mel image. Subclasses implement ``forward`` and, if fully convolutional, ``latent_shape``.

    Attributes:
        z_dim: latent channels per latent position.
        n_mels: mel bins of the output image.
        frames: frames of the clip length the generator was built for (its default output length).
        conditional: whether ``forward`` uses ``genre_weights``.
        n_genres: genres the generator knows (1 for a single-label or unconditional run).
        fixed_frames: the only output length for fixed-size models, ``None`` for fully convolutional ones.
        output_activation: ``"tanh"`` (model range [-1, 1]), ``"relu"`` ([0, inf), clamped to [0, 1] by
            ``to_unit``) or ``"sigmoid"`` ([0, 1]).
    """

    def __init__(
        self,
        *,
        z_dim: int,
        n_mels: int,
        frames: int,
        n_genres: int,
        conditional: bool,
        fixed_frames: int | None,
        output_activation: str,
    ) -> None:
        super().__init__()
        if output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(
                f"unknown output activation {output_activation!r}; use one of {OUTPUT_ACTIVATIONS}"
            )
        if n_genres < 1:
            raise ValueError(f"n_genres must be at least 1, got {n_genres}")
        self.z_dim = z_dim
        self.n_mels = n_mels
        self.frames = frames
        self.n_genres = n_genres
        self.conditional = conditional
        self.fixed_frames = fixed_frames
        self.output_activation = output_activation

    def latent_shape(self, frames: int) -> tuple[int, ...]:
        """Per-sample latent shape that yields ``frames`` output frames. Fixed-size models: ``(z_dim, 1, 1)``.

        Raises ``ValueError`` when a fixed-size model is asked for another length.
        """
        if self.fixed_frames is not None and frames != self.fixed_frames:
            raise ValueError(
                f"{type(self).__name__} makes clips of exactly {self.fixed_frames} frames, not {frames}; "
                "only fully convolutional models generate other lengths"
            )
        return (self.z_dim, 1, 1)

    def sample_latent(
        self, batch: int, frames: int | None = None, *, rng: torch.Generator | None = None
    ) -> torch.Tensor:
        """Standard-normal latents ``(batch, *latent_shape(frames))`` on the generator's device."""
        shape = (batch, *self.latent_shape(self.frames if frames is None else frames))
        device = next(self.parameters()).device
        return (
            torch.randn(shape, generator=rng).to(device)
            if rng is not None
            else torch.randn(shape, device=device)
        )

    def forward(
        self, z: torch.Tensor, genre_weights: torch.Tensor | None = None
    ) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_unit(self, x: torch.Tensor) -> torch.Tensor:
        """Model range -> normalised mel domain [0, 1] (any shape)."""
        if self.output_activation == "tanh":
            x = (x + 1.0) * 0.5
        return x.clamp(0.0, 1.0)

    def from_unit(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised mel domain [0, 1] -> model range (any shape): what real data is fed to D as."""
        if self.output_activation == "tanh":
            return x * 2.0 - 1.0
        return x

    @property
    def silence(self) -> float:
        """The model-range value of silence (unit 0): fill value for augmentations."""
        return -1.0 if self.output_activation == "tanh" else 0.0

    def check_genre_weights(self, genre_weights: torch.Tensor | None, batch: int) -> None:
        """Validate ``genre_weights`` (B, n_genres) for a conditional generator; raise ``ValueError``."""
        if genre_weights is None:
            return
        if genre_weights.dim() not in (2, 3) or genre_weights.shape[:2] != (batch, self.n_genres):
            raise ValueError(
                f"genre_weights must be ({batch}, {self.n_genres}[, T]), got {tuple(genre_weights.shape)}"
            )


class Discriminator(nn.Module):
    """Mel image (model range) -> one realness logit per sample (or one per view).

    ``forward(x (B, 1, n_mels, frames), genres: LongTensor (B,) | None) -> (B,)`` raw scores: logits for BCE,
    scores for LSGAN / WGAN / hinge (no output activation anywhere; losses decide). A critic with several
    views of a clip may return ``(B, V)``: every loss then applies to each view's score and averages.
    """

    def __init__(self, *, n_mels: int, n_genres: int, conditional: bool, fixed_frames: int | None) -> None:
        super().__init__()
        self.n_mels = n_mels
        self.n_genres = n_genres
        self.conditional = conditional
        self.fixed_frames = fixed_frames

    def check_input(self, x: torch.Tensor) -> None:
        """Raise ``ValueError`` unless ``x`` is (B, 1, n_mels, frames) with the frames this model accepts."""
        if x.dim() != 4 or x.shape[1] != 1 or x.shape[2] != self.n_mels:
            raise ValueError(f"expected mels (B, 1, {self.n_mels}, frames), got {tuple(x.shape)}")
        if self.fixed_frames is not None and x.shape[3] != self.fixed_frames:
            raise ValueError(f"{type(self).__name__} takes {self.fixed_frames} frames, got {x.shape[3]}")

    def forward(
        self, x: torch.Tensor, genres: torch.Tensor | None = None
    ) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError


def count_parameters(module: nn.Module) -> int:
    """Number of trainable-or-not parameters (the size of the saved weights, in values)."""
    return sum(p.numel() for p in module.parameters())


__all__ = ["Discriminator", "Generator", "OUTPUT_ACTIVATIONS", "count_parameters"]
