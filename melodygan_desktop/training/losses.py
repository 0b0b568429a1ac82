"""Adversarial losses and regularisers as pure functions of discriminator scores.

Every ``*_d`` function takes real and fake scores ``(B,)`` (raw discriminator outputs, no activation) and
returns the scalar the discriminator *minimises*; every ``*_g`` takes fake scores and returns the scalar the
generator *minimises*. Scores ``(B, V)`` of a critic with several views work alike: each view's loss,
averaged. Higher scores mean "more real" for every loss. Regularisers call the discriminator
and return an unweighted scalar; the caller multiplies by the preset's weight.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

#: Loss names a preset may use.
LOSSES = ("lsgan", "bce", "wgan-clip", "wgan-gp", "hinge")

ScoreFn = Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor]


def lsgan_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Least squares (Mao et al., targets real 1 / fake 0): ``0.5 E[(D(x) - 1)^2] + 0.5 E[D(G(z))^2]``."""
    return 0.5 * ((real - 1.0) ** 2).mean() + 0.5 * (fake**2).mean()


def lsgan_g(fake: torch.Tensor) -> torch.Tensor:
    """Least squares generator loss: ``0.5 E[(D(G(z)) - 1)^2]``."""
    return 0.5 * ((fake - 1.0) ** 2).mean()


def bce_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy on logits: ``BCE(sigmoid(real), 1) + BCE(sigmoid(fake), 0)`` (DCGAN, summed).

    Same value as a sigmoid output layer followed by ``nn.BCELoss``, computed stably from the logits.
    """
    return F.binary_cross_entropy_with_logits(
        real, torch.ones_like(real)
    ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))


def bce_g(fake: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss: ``BCE(sigmoid(D(G(z))), 1) = -E[log sigmoid(D(G(z)))]``."""
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


def wgan_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Wasserstein critic loss ``E[D(G(z))] - E[D(x)]`` (minus the distance estimate)."""
    return fake.mean() - real.mean()


def wgan_g(fake: torch.Tensor) -> torch.Tensor:
    """Wasserstein generator loss ``-E[D(G(z))]``."""
    return -fake.mean()


def hinge_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Hinge loss (Lim & Ye; SAGAN/BigGAN): ``E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]``."""
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def hinge_g(fake: torch.Tensor) -> torch.Tensor:
    """Hinge generator loss ``-E[D(G(z))]``."""
    return -fake.mean()


_D_LOSSES = {"lsgan": lsgan_d, "bce": bce_d, "wgan-clip": wgan_d, "wgan-gp": wgan_d, "hinge": hinge_d}
_G_LOSSES = {"lsgan": lsgan_g, "bce": bce_g, "wgan-clip": wgan_g, "wgan-gp": wgan_g, "hinge": hinge_g}


def _check_name(name: str) -> None:
    if name not in _D_LOSSES:
        raise ValueError(f"unknown loss {name!r}; valid losses: {', '.join(LOSSES)}")


def discriminator_loss(name: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The adversarial discriminator loss of loss ``name`` (penalties such as GP or R1 not included)."""
    _check_name(name)
    return _D_LOSSES[name](real, fake)


def generator_loss(name: str, fake: torch.Tensor) -> torch.Tensor:
    """The adversarial generator loss of loss ``name``."""
    _check_name(name)
    return _G_LOSSES[name](fake)


def gradient_penalty(
    discriminator: ScoreFn,
    real: torch.Tensor,
    fake: torch.Tensor,
    genres: torch.Tensor | None = None,
    *,
    rng: torch.Generator | None = None,
) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al.): ``E[(||grad_x D(x_hat)||_2 - 1)^2]`` on random real/fake interpolates.

    ``real`` and ``fake`` are (B, ...) of equal shape; one mixing weight per sample, uniform in [0, 1).
    Built with ``create_graph=True`` so it can be backpropagated into the discriminator's parameters.
    Multiply by ``gp_lambda`` (10) before adding to the critic loss.
    """
    batch = real.shape[0]
    shape = (batch,) + (1,) * (real.dim() - 1)
    alpha = (
        torch.rand(shape, generator=rng).to(real)
        if rng is not None
        else torch.rand(shape, device=real.device)
    )
    mixed = (alpha * real.detach() + (1.0 - alpha) * fake.detach()).requires_grad_(True)
    scores = discriminator(mixed, genres)
    (grad,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    norms = grad.reshape(batch, -1).norm(2, dim=1)
    return ((norms - 1.0) ** 2).mean()


def r1_penalty(
    discriminator: ScoreFn, real: torch.Tensor, genres: torch.Tensor | None = None
) -> torch.Tensor:
    """R1 (Mescheder et al.): ``E[||grad_x D(x)||_2^2]`` on real data only.

    Multiply by ``r1_gamma / 2`` before adding to the discriminator loss (times the interval when applied
    lazily every N steps).
    """
    real = real.detach().requires_grad_(True)
    scores = discriminator(real, genres)
    (grad,) = torch.autograd.grad(scores.sum(), real, create_graph=True)
    return grad.reshape(real.shape[0], -1).pow(2).sum(dim=1).mean()


def diversity_hinge(fake: torch.Tensor, real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mode seeking (Mao et al. 2019, in the capped form of Yang et al. 2019): ``(loss, ratio)``.

    ``fake`` holds two halves drawn with the same conditions and different noise; ``ratio`` is their mean
    absolute difference over that of the two halves of the ``real`` batch (clips of any genres: an upper
    bound of how far apart takes of one genre should be). ``loss = relu(1 - ratio)`` pushes takes apart until
    they differ as much as real clips do, and no further, so it cannot be met by noise alone at the cost of
    the adversarial term. An odd last clip is left out.
    """
    half = fake.shape[0] // 2
    if half == 0:
        raise ValueError("the diversity term needs at least 2 clips")
    spread = (fake[:half] - fake[half : 2 * half]).abs().mean()
    target = (real[:half] - real[half : 2 * half]).abs().mean().clamp(min=1e-6)
    ratio = spread / target.detach()
    return F.relu(1.0 - ratio), ratio.detach()


@torch.no_grad()
def clip_weights_(module: torch.nn.Module, clip_value: float) -> None:
    """WGAN weight clipping (Arjovsky et al.): clamp every parameter into ``[-clip_value, clip_value]``."""
    for param in module.parameters():
        param.clamp_(-clip_value, clip_value)


__all__ = [
    "LOSSES",
    "bce_d",
    "bce_g",
    "clip_weights_",
    "discriminator_loss",
    "diversity_hinge",
    "generator_loss",
    "gradient_penalty",
    "hinge_d",
    "hinge_g",
    "lsgan_d",
    "lsgan_g",
    "r1_penalty",
    "wgan_d",
    "wgan_g",
]
