"""Deliberate torch thread counts: on small machines two busy intra-op threads can be far slower than one."""

from __future__ import annotations

import os


def default_threads() -> int:
    """Half the logical cores (at least 1): leaves room for the GUI, the audio callback and data decoding."""
    return max(1, (os.cpu_count() or 2) // 2)


def available_cores() -> int:
    """Cores this process may run on (the affinity mask where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def prepare_workers() -> int:
    """Threads that decode a folder: one per core, at most 4 (decoding is memory-bound beyond that)."""
    return min(4, available_cores())


def set_torch_threads(count: int) -> int:
    """Set torch's intra-op threads (``0`` = the default above); returns the count in force."""
    import torch

    count = count if count > 0 else default_threads()
    torch.set_num_threads(count)
    return count
