"""Training health rules on synthetic loss sequences and preview mels, per loss family."""

from __future__ import annotations

import math

import numpy as np
import pytest

from melodygan_desktop.config import MelConfig
from melodygan_desktop.training.events import Finished, Preview, Started, StepMetrics
from melodygan_desktop.training.health import HOLD, WINDOW, HealthMonitor, preview_spread

RNG = np.random.default_rng(0)


def _logs(monitor, count, make, start=1, every=10):
    """Feed ``count`` logs; ``make(i, fraction)`` gives the losses, with a little noise added."""
    health = monitor.health
    for i in range(count):
        losses = {k: v + float(RNG.normal(0, 0.01 * (abs(v) + 0.01))) for k, v in make(i, i / count).items()}
        health = monitor.add_losses(start + i * every, losses)
    return health


def hinge(real, fake, d_grad=1.0, g_grad=1.0, r1=None):
    losses = {
        "d/real": real,
        "d/fake": fake,
        "d/loss": max(0.0, 1 - real) + max(0.0, 1 + fake),
        "g/adv": -fake,
        "d/grad_norm": d_grad,
        "g/grad_norm": g_grad,
    }
    if r1 is not None:
        losses["d/r1"] = r1
    return losses


def lsgan(real, fake):
    return {
        "d/real": real,
        "d/fake": fake,
        "d/loss": 0.5 * (real - 1) ** 2 + 0.5 * fake**2,
        "g/adv": 0.5 * (fake - 1) ** 2,
        "d/grad_norm": 1.0,
        "g/grad_norm": 1.0,
    }


def softplus(x):
    return math.log1p(math.exp(-abs(x))) + max(x, 0.0)


def bce(real, fake):
    return {
        "d/real": real,
        "d/fake": fake,
        "d/loss": softplus(-real) + softplus(fake),
        "g/adv": softplus(-fake),
        "d/grad_norm": 1.0,
        "g/grad_norm": 1.0,
    }


def wgan(real, fake, gp=None):
    losses = {"d/real": real, "d/fake": fake, "d/loss": fake - real, "g/adv": -fake, "d/grad_norm": 1.0}
    if gp is not None:
        losses["d/gp"] = gp
        losses["d/loss"] += 10 * gp
    return losses


def test_waiting_until_enough_logs():
    monitor = HealthMonitor("hinge")
    assert monitor.health.state == "waiting"
    assert _logs(monitor, 3, lambda i, f: hinge(0.5, -0.5)).state == "waiting"


def test_hinge_learning():
    monitor = HealthMonitor("hinge")
    health = _logs(monitor, 30, lambda i, f: hinge(0.4 + 0.1 * math.sin(i), -0.4, d_grad=2.0))
    assert health.state == "learning" and health.level == "good"
    assert "Learning" in health.text and "d/loss" in health.why and "hinge" in health.why


def test_hinge_stuck_at_two_is_warming_up_then_stuck():
    """d/loss 2.0, d/real == d/fake, falling critic gradient norm: the critic cannot tell (yet)."""
    monitor = HealthMonitor("hinge")
    health = _logs(monitor, 20, lambda i, f: hinge(0.0, 0.0, d_grad=3.0 * (1 - 0.8 * f)), every=10)
    assert health.state == "undecided" and health.level == "info"
    assert "cannot tell real from generated yet" in health.text and "2.00 = cannot tell" in health.why
    assert "d/grad_norm" in health.why
    health = _logs(monitor, 20, lambda i, f: hinge(0.0, 0.0, d_grad=0.5 * (1 - 0.8 * f)), start=1200)
    assert health.state == "undecided" and health.level == "warning"
    assert health.text.startswith("Stuck") and "learning rate" in health.why


def test_a_tie_with_a_rising_critic_gradient_is_learning():
    monitor = HealthMonitor("hinge")
    health = _logs(monitor, 24, lambda i, f: hinge(0.02, -0.02, d_grad=0.5 + 5 * f))
    assert health.state == "learning"


def test_hinge_critic_winning_needs_the_margin_and_a_rising_generator_loss():
    monitor = HealthMonitor("hinge")
    _logs(monitor, 12, lambda i, f: hinge(0.5, -0.5))
    health = _logs(monitor, 24, lambda i, f: hinge(1.6, -1.2 - 2 * f, d_grad=0.2, r1=0.5 + f), start=200)
    assert health.state == "critic_winning" and health.level == "warning"
    assert health.text == "The critic is winning: previews may stop improving"
    assert "d/r1" in health.why and "g/adv" in health.why
    # a gap just short of the hinge margin is still learning
    monitor = HealthMonitor("hinge")
    assert _logs(monitor, 30, lambda i, f: hinge(0.9, -0.8 - 0.2 * f)).state == "learning"


def test_the_same_scores_mean_different_things_per_loss():
    """A gap of 1 is full separation under LSGAN (targets 1 / 0) but ordinary learning under hinge and BCE."""
    for loss, make, state in (
        ("lsgan", lambda i, f: lsgan(0.95, 0.0 - 0.05 * f), "critic_winning"),
        ("hinge", lambda i, f: hinge(0.95, -0.05 - 0.05 * f), "learning"),
        ("bce", lambda i, f: bce(0.95, -0.05 - 0.05 * f), "learning"),
    ):
        assert _logs(HealthMonitor(loss), 30, make).state == state, loss
    # BCE wins only when the logits are saturated (sigmoid ~0.95 / 0.05)
    assert _logs(HealthMonitor("bce"), 30, lambda i, f: bce(3.5, -3.0 - f)).state == "critic_winning"
    # and a tie has the family's own width: 0.15 logits is a tie under BCE, not under hinge
    assert _logs(HealthMonitor("bce"), 30, lambda i, f: bce(0.1, -0.05)).state == "undecided"
    assert _logs(HealthMonitor("hinge"), 30, lambda i, f: hinge(0.1, -0.05)).state == "learning"
    assert _logs(HealthMonitor("lsgan"), 30, lambda i, f: lsgan(0.5, 0.49)).state == "undecided"


def test_wgan_reads_the_trend_not_the_level():
    # equal scores are no warm-up sign for a critic on a free scale
    assert _logs(HealthMonitor("wgan-clip"), 30, lambda i, f: wgan(0.001, 0.001)).state == "learning"
    # a falling Wasserstein estimate is learning, a growing one (generator falls behind) is the critic winning
    assert _logs(HealthMonitor("wgan-gp"), 30, lambda i, f: wgan(5 - 3 * f, 0.0, gp=0.1)).state == "learning"
    health = _logs(HealthMonitor("wgan-clip"), 30, lambda i, f: wgan(0.01, -0.01 - 0.05 * f))
    assert health.state == "critic_winning" and "Wasserstein estimate" in health.why
    # under hinge, the same small gap is just learning
    assert _logs(HealthMonitor("hinge"), 30, lambda i, f: hinge(0.4, -0.3 - 0.1 * f)).state == "learning"


def test_wgan_gp_penalty_above_one_is_unstable():
    health = _logs(HealthMonitor("wgan-gp"), 30, lambda i, f: wgan(2.0, 1.0, gp=3.0))
    assert health.state == "unstable" and "d/gp" in health.why


def test_a_steep_gradient_norm_rise_is_unstable():
    monitor = HealthMonitor("hinge")
    _logs(monitor, 10, lambda i, f: hinge(0.5, -0.5, g_grad=2.0))
    health = _logs(monitor, 20, lambda i, f: hinge(0.5, -0.5, g_grad=500.0), start=200)
    assert health.state == "unstable" and "g/grad_norm" in health.why


def test_one_odd_log_does_not_flip_the_state():
    monitor = HealthMonitor("hinge")
    _logs(monitor, WINDOW, lambda i, f: hinge(0.5, -0.5))
    for step in range(HOLD - 1):  # a burst shorter than HOLD
        assert monitor.add_losses(1000 + step, hinge(0.5, -0.5, g_grad=5000.0)).state == "learning"
    assert monitor.add_losses(2000, hinge(0.5, -0.5)).state == "learning"


def test_non_finite_and_the_loops_divergence_stop_are_diverged():
    monitor = HealthMonitor("hinge")
    _logs(monitor, 10, lambda i, f: hinge(0.5, -0.5))
    health = monitor.add_losses(500, {**hinge(0.5, -0.5), "d/loss": float("nan")})
    assert health.state == "diverged" and health.level == "error" and "nan" in health.why
    assert monitor.add_losses(510, hinge(0.5, -0.5)).state == "diverged"  # final
    monitor = HealthMonitor()
    health = monitor.feed(Finished(40, "diverged", "training diverged: d/grad_norm = 2e4", "/runs/a/step_30"))
    assert health.text == "Diverged: training stopped, last good checkpoint kept" and "2e4" in health.why
    health = HealthMonitor().feed(Finished(4, "diverged", "d/loss is nan", None))
    assert "no checkpoint" in health.text


def _mels(count, rng, scale=1.0):
    base = rng.random((1, 128, 216), dtype=np.float32)
    return np.clip(base * (1 - scale) + scale * rng.random((count, 128, 216), dtype=np.float32), 0, 1)


def _structured(count, rng):
    """Music-like: each preview has its own coarse loudness contour (what survives the pooling)."""
    coarse = rng.random((count, 16, 24), dtype=np.float32)
    return np.repeat(np.repeat(coarse, 8, axis=1), 9, axis=2)


def test_preview_spread():
    rng = np.random.default_rng(1)
    same = np.repeat(_structured(1, rng), 6, axis=0)
    assert preview_spread(same) == 0.0
    assert preview_spread(_structured(6, rng)) > 0.2
    assert preview_spread(same[:1]) is None


def test_identical_previews_are_collapsed_varied_ones_are_fine():
    rng = np.random.default_rng(2)
    monitor = HealthMonitor("hinge")
    _logs(monitor, 10, lambda i, f: hinge(0.5, -0.5))
    for step in (100, 200, 300):
        assert monitor.add_preview(step, _structured(6, rng)).state == "learning"
    same = np.repeat(_structured(1, rng), 6, axis=0)
    assert monitor.add_preview(400, same).state == "learning"  # one preview is not enough
    health = monitor.add_preview(500, same)
    assert health.state == "collapsed" and health.text == "Collapsed: the previews all look alike"
    assert "step 400" in health.why and "step 500" in health.why
    # losses that look fine do not hide it; varied previews again end it
    assert _logs(monitor, 5, lambda i, f: hinge(0.5, -0.5), start=510).state == "collapsed"
    monitor.add_preview(600, _structured(6, rng))
    assert monitor.add_preview(700, _structured(6, rng)).state == "learning"


def test_spread_shrinking_far_below_the_first_previews_is_collapsed():
    rng = np.random.default_rng(3)
    monitor = HealthMonitor("lsgan")
    first = _structured(8, rng)
    monitor.add_preview(100, first)
    narrow = first * 0.1 + 0.45  # still different, but a tenth of the spread
    monitor.add_preview(200, narrow)
    assert monitor.add_preview(300, narrow).state == "collapsed"


def test_feed_reads_the_loss_from_the_preset():
    monitor = HealthMonitor()
    monitor.feed(Started("/runs/a", "techno-dcgan1", "cpu", 0, 100, False, data=None))
    assert monitor.family.name == "bce"
    monitor.feed(Started("/runs/a", "melodygan-v3", "cpu", 0, 100, False, data=None))
    assert monitor.family.name == "lsgan"
    for step in range(1, 31):
        monitor.feed(StepMetrics(step, 100, lsgan(0.95, 0.02), 10.0, 1.0))
    assert monitor.health.state == "critic_winning"
    mels = np.repeat(_structured(1, np.random.default_rng(4)), 4, axis=0)
    monitor.feed(Preview(10, mels, ("a",) * 4, MelConfig()))
    assert monitor.feed(Preview(20, mels, ("a",) * 4, MelConfig())).state == "collapsed"
    monitor.feed(Started("/runs/b", "no-such-preset", "cpu", 0, 100, False, data=None))
    assert monitor.family is None


@pytest.mark.parametrize("count", [2, 64])
def test_spread_is_cheap(count):
    mels = np.random.default_rng(5).random((count, 128, 216), dtype=np.float32)
    assert 0.0 <= preview_spread(mels) < 0.1  # white noise pools to nearly the same grid
