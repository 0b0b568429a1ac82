"""Stateless batch order: the clips of step ``s`` depend only on ``(seed, s, rank)``, so resume is exact.

Each epoch is a seeded permutation of the training clips; the global draw position of a step is computed
from the step number, the critic iteration and the rank, so ranks see disjoint clips and a resumed run
continues exactly where the interrupted one would have been.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import torch

from .distributed import DistContext


def label_map(data_genres: Sequence[str], run_genres: Sequence[str]) -> np.ndarray:
    """Index array mapping the dataset's genre indices to the run's (the run may list more genres)."""
    return np.array([list(run_genres).index(g) for g in data_genres], dtype=np.int64)


class BatchSource:
    """Draws (mels, labels) batches for the training step and measures time spent waiting for data.

    ``clipset.mels`` is (N, n_mels, frames) float16 in [0, 1]; batches come out as float32
    (B, 1, n_mels, frames) in the generator's output range (``to_model``), labels as int64 (B,).
    """

    def __init__(
        self,
        clipset,
        genre_index: np.ndarray,
        batch_size: int,
        seed: int,
        context: DistContext,
        to_model: Callable[[torch.Tensor], torch.Tensor],
        draws_per_step: int = 1,
    ) -> None:
        self.mels = clipset.mels
        self.labels = genre_index[np.asarray(clipset.labels, dtype=np.int64)]
        self.resident: tuple[torch.Tensor, torch.Tensor] | None = None
        self.count = len(self.labels)
        if self.count == 0:
            raise ValueError("no training clips")
        self.batch_size = batch_size
        self.seed = seed
        self.context = context
        self.to_model = to_model
        self.draws_per_step = draws_per_step
        self._epoch = -1
        self._order = np.arange(self.count)
        self._draw = 0
        self._wait = 0.0
        self.pin = context.device.type == "cuda"

    def make_resident(self, max_bytes: int) -> bool:
        """Keep every clip on the device (float16) when they take at most ``max_bytes``: a batch is then one
        index operation there, with no host copy per step. Same batches as without; returns whether it did."""
        size = int(np.prod(self.mels.shape)) * 2
        if size > max_bytes:
            return False
        mels = torch.from_numpy(np.asarray(self.mels, dtype=np.float16)).to(self.context.device)
        self.resident = (mels, torch.from_numpy(self.labels).to(self.context.device))
        return True

    def begin_step(self, step: int) -> None:
        """Position the stream at ``step``: each step takes ``draws_per_step`` batches on every rank."""
        world = self.context.world_size
        self._draw = (step * self.draws_per_step * world + self.context.rank) * self.batch_size

    def _indices(self) -> np.ndarray:
        out = np.empty(self.batch_size, dtype=np.int64)
        for i in range(self.batch_size):
            position = self._draw + i
            epoch, offset = divmod(position, self.count)
            if epoch != self._epoch:
                rng = np.random.default_rng([self.seed, epoch])
                self._order = rng.permutation(self.count)
                self._epoch = epoch
            out[i] = self._order[offset]
        self._draw += self.batch_size * self.context.world_size
        return out

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        started = time.perf_counter()
        index = np.sort(self._indices())  # sorted reads are kinder to a memory-mapped cache
        if self.resident is not None:
            where = torch.from_numpy(index).to(self.context.device, non_blocking=True)
            mels, labels = self.resident[0][where].float().unsqueeze(1), self.resident[1][where]
            self._wait += time.perf_counter() - started
            return self.to_model(mels), labels
        mels = torch.from_numpy(np.asarray(self.mels[index], dtype=np.float32)).unsqueeze(1)
        labels = torch.from_numpy(self.labels[index])
        if self.pin:
            mels, labels = mels.pin_memory(), labels.pin_memory()
        mels = mels.to(self.context.device, non_blocking=True)
        labels = labels.to(self.context.device, non_blocking=True)
        result = (self.to_model(mels), labels)
        self._wait += time.perf_counter() - started
        return result

    def take_wait_time(self) -> float:
        wait, self._wait = self._wait, 0.0
        return wait
