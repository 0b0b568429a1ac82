"""DiffAugment-style mel augmentations: shape-preserving, differentiable, silence-filled, reproducible."""

from __future__ import annotations

import torch

from melodygan_desktop.models.augment import AugmentPolicy, augment, augment_pair, cutout, gain, time_shift


def _mels(batch: int = 4, frames: int = 64) -> torch.Tensor:
    return torch.rand(batch, 1, 32, frames, generator=torch.Generator().manual_seed(1))


def test_pair_keeps_shapes_and_none():
    real, fake = _mels(), _mels(frames=80)
    real_out, fake_out = augment_pair(real, fake)
    assert real_out.shape == real.shape and fake_out.shape == fake.shape
    assert augment_pair(None, fake)[0] is None
    assert augment_pair(real, None)[1] is None


def test_gradients_reach_the_fake():
    fake = _mels().requires_grad_(True)
    augment(fake).sum().backward()
    assert fake.grad is not None and fake.grad.abs().sum() > 0


def test_zero_policy_is_identity():
    x = _mels()
    torch.testing.assert_close(augment(x, AugmentPolicy(0, 0, 0, 0)), x)


def test_time_shift_is_a_roll():
    x = _mels()
    shifted = time_shift(x, 0.25, rng=torch.Generator().manual_seed(0))
    for i in range(x.shape[0]):
        assert any(torch.equal(torch.roll(x[i], k, dims=-1), shifted[i]) for k in range(-16, 17))


def test_cutout_fills_silence():
    x = _mels() + 5.0
    out = cutout(x, 0.25, 0.25, silence=-1.0, rng=torch.Generator().manual_seed(0))
    for sample in out:
        silent_frames = (sample == -1.0).all(dim=1).all(dim=0)  # (frames,)
        silent_bins = (sample == -1.0).all(dim=2).all(dim=0)  # (n_mels,)
        assert int(silent_frames.sum()) == 16 and int(silent_bins.sum()) == 8


def test_gain_is_bounded_offset_per_sample():
    x = torch.zeros(64, 1, 4, 4)
    out = gain(x, 0.1, rng=torch.Generator().manual_seed(0))
    offsets = out.flatten(1)
    assert torch.all(offsets == offsets[:, :1]) and offsets.abs().max() <= 0.1
    assert offsets[:, 0].std() > 0.02


def test_seeded_rng_reproduces_and_samples_differ():
    x = _mels(batch=8)
    a = augment(x, rng=torch.Generator().manual_seed(3))
    b = augment(x, rng=torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b)
    same = augment(x[:1].repeat(8, 1, 1, 1), rng=torch.Generator().manual_seed(4))
    assert not torch.equal(same[0], same[1])
