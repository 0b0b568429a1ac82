"""Long runs, compressed in time: one process resumes training, saves, loads the newest model and generates a
take, over and over. Resident memory after warm-up must stay within ``GROWTH_BOUND_MB``."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from melodygan_desktop.config import MelConfig, TrainConfig
from melodygan_desktop.inference import generate, load_model
from melodygan_desktop.training.events import Finished
from melodygan_desktop.training.loop import train

pytestmark = pytest.mark.slow

CYCLES = 30
WARM_UP = 5  # first cycles fill caches, allocator pools and lazy imports
GROWTH_BOUND_MB = 40.0  # over the CYCLES - WARM_UP measured cycles
STEPS_PER_CYCLE = 2


def resident_mb() -> float:
    """Resident set size of this process in MiB (psutil when installed, else /proc/self/status)."""
    try:
        import psutil
    except ImportError:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        pytest.skip("no psutil and no /proc/self/status: cannot measure resident memory")
    return psutil.Process().memory_info().rss / 2**20


def test_training_and_generating_repeatedly_keeps_memory_flat(genre_folder, tmp_path):
    run = tmp_path / "run"
    samples = []
    for cycle in range(CYCLES):
        config = TrainConfig(
            data_dir=str(genre_folder), preset="melodygan-v3", steps=STEPS_PER_CYCLE * (cycle + 1),
            batch_size=2, mel=MelConfig(clip_seconds=2.0), threads=1, checkpoint_every=STEPS_PER_CYCLE,
            keep_last=2, log_every=1, preview_every=STEPS_PER_CYCLE, preview_count=2,
            cache_dir=str(tmp_path / "cache"),
        )
        finished = None
        for event in train(config, run):  # events are dropped as they come, as the GUI's bounded view does
            finished = event
        assert isinstance(finished, Finished) and finished.reason == "completed"
        assert finished.step == STEPS_PER_CYCLE * (cycle + 1)
        model = load_model(run)
        take = generate(model, "rock", seed=cycle, seconds=2.0)
        assert np.isfinite(take.audio).all()
        del model, take, finished
        gc.collect()
        samples.append(resident_mb())
    growth = max(samples[WARM_UP:]) - samples[WARM_UP - 1]
    rounded = [round(value) for value in samples]
    print(f"\nresident MiB per cycle: {rounded}; growth after warm-up {growth:.1f} MiB")
    assert growth < GROWTH_BOUND_MB, samples
