"""Exact-size planning of the paper networks: any target size is reached exactly, both ways."""

from __future__ import annotations

import pytest
import torch

from melodygan_desktop.config import MelConfig
from melodygan_desktop.models.layers import plan_axis
from melodygan_desktop.models.melodygan import V2_SPEC, V3_SPEC, melodygan_v2_generator
from melodygan_desktop.models.techno import FIVE_LAYER_SPEC, dcgan1_discriminator, dcgan1_generator

STACKS = [((2, 2, 2), (4, 4, 4)), ((3, 3, 3), (6, 6, 6)), ((2, 2, 2, 2), (4, 4, 4, 4)), ((2, 3), (5, 7))]


@pytest.mark.parametrize("strides, kernels", STACKS)
def test_plan_reaches_every_target_exactly(strides, kernels):
    for target in list(range(40, 700)) + [1293, 2584]:
        plan = plan_axis(target, strides, kernels)
        size = plan.first_kernel
        assert size >= 1
        for layer in plan.layers:
            assert 0 <= layer.output_padding < layer.stride
            assert layer.size_in == size
            size = (size - 1) * layer.stride - 2 * layer.padding + layer.kernel + layer.output_padding
            assert size == layer.size_out
            # the plain convolution with the same settings maps straight back
            assert (size + 2 * layer.padding - layer.kernel) // layer.stride + 1 == layer.size_in
        assert size == target == plan.target


def test_plan_too_small_is_an_error():
    with pytest.raises(ValueError):
        plan_axis(3, (2, 2, 2), (4, 4, 4))
    with pytest.raises(ValueError):
        plan_axis(100, (4,), (2,))


def test_documented_first_kernels():
    assert plan_axis(431, V2_SPEC.width_strides, V2_SPEC.width_kernels).first_kernel == 53
    assert plan_axis(431, V3_SPEC.width_strides, V3_SPEC.width_kernels).first_kernel == 15
    assert plan_axis(128, V2_SPEC.height_strides, V2_SPEC.height_kernels).first_kernel == 16
    assert plan_axis(216, FIVE_LAYER_SPEC.width_strides, FIVE_LAYER_SPEC.width_kernels).first_kernel == 13
    assert plan_axis(128, FIVE_LAYER_SPEC.height_strides, FIVE_LAYER_SPEC.height_kernels).first_kernel == 8


@pytest.mark.parametrize(
    "mel", [MelConfig(n_mels=80, clip_seconds=2.0), MelConfig(n_mels=64, clip_seconds=3.3)]
)
def test_paper_networks_fit_other_mel_settings(mel):
    with torch.no_grad():
        for build in (melodygan_v2_generator, dcgan1_generator):
            generator = build(mel, 1).eval()
            assert generator(torch.randn(1, 100, 1, 1)).shape == (1, 1, mel.n_mels, mel.frames)
        assert dcgan1_discriminator(mel, 1).eval()(torch.rand(2, 1, mel.n_mels, mel.frames)).shape == (2,)


def test_fixed_size_models_reject_other_lengths():
    mel = MelConfig(clip_seconds=5.0)
    generator = melodygan_v2_generator(mel, 1)
    with pytest.raises(ValueError, match="216"):
        generator.latent_shape(431)
    with pytest.raises(ValueError):
        generator(torch.randn(1, 99, 1, 1))
    with pytest.raises(ValueError, match="216"):
        dcgan1_discriminator(mel, 1)(torch.rand(1, 1, 128, 431))


def test_value_ranges():
    tanh = melodygan_v2_generator(MelConfig(clip_seconds=5.0), 1)
    unit = torch.tensor([0.0, 0.25, 1.0])
    torch.testing.assert_close(tanh.from_unit(unit), torch.tensor([-1.0, -0.5, 1.0]))
    torch.testing.assert_close(tanh.to_unit(tanh.from_unit(unit)), unit)
    assert tanh.silence == -1.0
