"""Adversarial losses and regularisers: known values, directions, and the penalties on linear critics."""

from __future__ import annotations

import pytest
import torch

from melodygan_desktop.training import losses

ALL = losses.LOSSES


def test_known_values():
    ones, zeros = torch.ones(4), torch.zeros(4)
    assert losses.lsgan_d(ones, zeros) == 0
    assert losses.lsgan_d(zeros, ones) == 1.0
    assert losses.lsgan_g(ones) == 0 and losses.lsgan_g(zeros) == 0.5
    assert losses.hinge_d(ones, -ones) == 0 and losses.hinge_d(zeros, zeros) == 2.0
    assert losses.wgan_d(torch.tensor([3.0]), torch.tensor([1.0])) == -2.0
    torch.testing.assert_close(losses.bce_d(zeros, zeros), torch.tensor(2 * 0.6931472))
    torch.testing.assert_close(losses.bce_g(zeros), torch.tensor(0.6931472))
    # logits path equals the sigmoid + BCELoss formulation
    logits = torch.tensor([-3.0, 0.5, 4.0])
    reference = torch.nn.functional.binary_cross_entropy(torch.sigmoid(logits), torch.ones(3))
    torch.testing.assert_close(losses.bce_g(logits), reference)


@pytest.mark.parametrize("name", ALL)
def test_directions(name):
    """D lowers its loss by scoring real up and fake down; G lowers its loss by raising fake scores."""
    real = torch.full((8,), 0.5, requires_grad=True)
    fake = torch.full((8,), 0.5, requires_grad=True)
    losses.discriminator_loss(name, real, fake).backward()
    assert (real.grad < 0).all() and (fake.grad > 0).all()
    fake_g = torch.full((8,), 0.5, requires_grad=True)
    losses.generator_loss(name, fake_g).backward()
    assert (fake_g.grad < 0).all()


def test_unknown_loss():
    with pytest.raises(ValueError, match="hinge"):
        losses.discriminator_loss("nope", torch.zeros(1), torch.zeros(1))
    with pytest.raises(ValueError):
        losses.generator_loss("nope", torch.zeros(1))


def test_diversity_hinge_pushes_alike_takes_apart_until_they_differ_as_real_clips_do():
    real = torch.cat([torch.zeros(2, 1, 4, 6), torch.ones(2, 1, 4, 6)])  # halves 1 apart everywhere
    alike = torch.full((4, 1, 4, 6), 0.5, requires_grad=True)
    loss, ratio = losses.diversity_hinge(alike, real)
    assert float(loss) == 1.0 and float(ratio) == 0.0
    loss.backward()  # |x|'s subgradient at 0 is 0: nudge the halves apart and the gradient widens the gap
    apart = torch.cat([torch.full((2, 1, 4, 6), 0.4), torch.full((2, 1, 4, 6), 0.6)]).requires_grad_(True)
    loss, ratio = losses.diversity_hinge(apart, real)
    assert float(ratio) == pytest.approx(0.2) and float(loss) == pytest.approx(0.8)
    loss.backward()
    assert (apart.grad[:2] > 0).all() and (apart.grad[2:] < 0).all()  # descent: 0.4 goes down, 0.6 up
    far = torch.cat([torch.zeros(2, 1, 4, 6), torch.full((2, 1, 4, 6), 1.5)]).requires_grad_(True)
    loss, ratio = losses.diversity_hinge(far, real)  # beyond real clips' spread: no push at all
    assert float(loss) == 0.0 and float(ratio) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="2 clips"):
        losses.diversity_hinge(torch.zeros(1, 1, 4, 6), real)


class Linear:
    """A linear critic ``D(x) = sum(w * x)``: its input gradient is ``w`` everywhere."""

    def __init__(self, weight: torch.Tensor) -> None:
        self.weight = weight
        self.seen_genres = None

    def __call__(self, x: torch.Tensor, genres: torch.Tensor | None) -> torch.Tensor:
        self.seen_genres = genres
        return (x * self.weight).flatten(1).sum(dim=1)


def test_gradient_penalty_on_linear_critics():
    real, fake = torch.rand(3, 1, 4, 5), torch.rand(3, 1, 4, 5)
    unit = torch.full((1, 1, 4, 5), 1 / 20**0.5)
    assert losses.gradient_penalty(Linear(unit), real, fake) < 1e-10
    weight = (2 * unit).requires_grad_(True)
    critic = Linear(weight)
    penalty = losses.gradient_penalty(critic, real, fake, torch.tensor([0, 1, 2]))
    torch.testing.assert_close(penalty, torch.tensor(1.0))
    penalty.backward()  # differentiable with respect to the critic's parameters
    assert weight.grad is not None and weight.grad.abs().sum() > 0
    assert critic.seen_genres is not None


def test_r1_is_squared_gradient_norm():
    weight = torch.full((1, 1, 2, 3), 0.5, requires_grad=True)
    penalty = losses.r1_penalty(Linear(weight), torch.rand(4, 1, 2, 3))
    torch.testing.assert_close(penalty, torch.tensor(6 * 0.25))
    penalty.backward()
    torch.testing.assert_close(weight.grad, torch.full((1, 1, 2, 3), 1.0))


def test_clip_weights():
    module = torch.nn.Linear(4, 4)
    with torch.no_grad():
        module.weight.mul_(100)
    losses.clip_weights_(module, 0.01)
    assert all(p.abs().max() <= 0.01 for p in module.parameters())
