"""The stateless batch source: device-resident batches are the same batches, and EMA updates fused."""

from __future__ import annotations

import numpy as np
import torch

from melodygan_desktop.data.prepared import ClipSet
from melodygan_desktop.training.batches import BatchSource
from melodygan_desktop.training.distributed import DistContext
from melodygan_desktop.training.step import update_ema


def clips(count: int = 11) -> ClipSet:
    rng = np.random.default_rng(0)
    mels = rng.random((count, 4, 6)).astype(np.float16)
    return ClipSet(mels=mels, labels=np.arange(count) % 3, track_ids=np.arange(count))


def source(**kwargs) -> BatchSource:
    context = DistContext(rank=0, world_size=1, local_rank=0, device=torch.device("cpu"))
    return BatchSource(clips(), np.array([2, 0, 1]), 4, seed=5, context=context, to_model=lambda x: x * 2 - 1)


def test_resident_batches_equal_host_batches_across_epochs():
    host, resident = source(), source()
    assert resident.make_resident(max_bytes=1 << 20)
    for step in (0, 1, 2, 7, 3):  # any order: the batches of a step depend on the step alone
        host.begin_step(step)
        resident.begin_step(step)
        (a, la), (b, lb) = host.next_batch(), resident.next_batch()
        assert torch.equal(a, b) and torch.equal(la, lb) and a.shape == (4, 1, 4, 6)


def test_too_large_a_set_stays_on_the_host():
    batches = source()
    assert not batches.make_resident(max_bytes=100) and batches.resident is None


def test_fused_ema_matches_the_definition():
    torch.manual_seed(0)
    model, ema = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    expected = [0.9 * e + 0.1 * m for e, m in zip(ema.parameters(), model.parameters())]
    update_ema(ema, model, 0.9)
    for got, want in zip(ema.parameters(), expected):
        assert torch.allclose(got, want)
