"""Device choice and torchrun integration: rank/world/device from the environment, gradient averaging.

Gradients are averaged with one flattened all-reduce per optimiser step instead of wrapping the networks in
``DistributedDataParallel``: DDP does not support the double backward that the gradient penalty and R1 need,
and with these small networks a single bucket costs about the same as DDP's overlapped buckets.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass

import torch
import torch.distributed as dist

from .errors import TrainingError


@dataclass(frozen=True)
class DistContext:
    """Where this process sits in a (possibly one-process) run."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def resolve_device(requested: str, local_rank: int = 0) -> torch.device:
    """``auto`` picks CUDA, then MPS, then CPU; an explicit device that is missing is a clear error."""
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank % torch.cuda.device_count())
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise TrainingError(
                "CUDA was requested but this torch build sees no CUDA device "
                f"(torch {torch.__version__}); choose 'cpu' or 'auto'"
            )
        if requested == "cuda":
            return torch.device("cuda", local_rank % torch.cuda.device_count())
        return torch.device(requested)
    if requested == "mps":
        if not _mps_available():
            raise TrainingError(
                "MPS (Apple GPU) was requested but is not available here; choose 'cpu' or 'auto'"
            )
        return torch.device("mps")
    if requested == "cpu":
        return torch.device("cpu")
    raise TrainingError(f"unknown device {requested!r}: use auto, cpu, cuda, cuda:N or mps")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def init_from_env(requested_device: str) -> DistContext:
    """Join the process group under torchrun (``WORLD_SIZE`` > 1); otherwise a one-process context."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(requested_device, local_rank)
    if world_size > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend)
    return DistContext(rank=rank, world_size=world_size, local_rank=local_rank, device=device)


def shutdown(context: DistContext) -> None:
    if context.distributed and dist.is_initialized():
        dist.destroy_process_group()


def broadcast_parameters(module: torch.nn.Module, context: DistContext) -> None:
    """Make every rank start from rank 0's weights and buffers."""
    if not context.distributed:
        return
    for tensor in list(module.parameters()) + list(module.buffers()):
        dist.broadcast(tensor.data, src=0)


def average_gradients(parameters: Iterable[torch.nn.Parameter], context: DistContext) -> None:
    """Average ``.grad`` over ranks with one flattened all-reduce (missing grads count as zero)."""
    if not context.distributed:
        return
    params = [p for p in parameters if p.requires_grad]
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= context.world_size
    offset = 0
    for param in params:
        count = param.numel()
        param.grad = flat[offset : offset + count].view_as(param).clone()
        offset += count


def any_rank(flag: bool, context: DistContext) -> bool:
    """True on every rank when ``flag`` is true on at least one (used for stop and divergence)."""
    if not context.distributed:
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=context.device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item() > 0)


def mean_over_ranks(values: dict[str, float], context: DistContext) -> dict[str, float]:
    if not context.distributed or not values:
        return values
    keys = sorted(values)
    tensor = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=context.device)
    dist.all_reduce(tensor)
    tensor /= context.world_size
    return dict(zip(keys, tensor.tolist()))


def from_main(value: float | None, context: DistContext) -> float | None:
    """Rank 0's ``value`` on every rank (``None`` travels as NaN): for figures only rank 0 computes."""
    if not context.distributed:
        return value
    tensor = torch.tensor([math.nan if value is None else value], dtype=torch.float64, device=context.device)
    dist.broadcast(tensor, src=0)
    out = float(tensor.item())
    return None if math.isnan(out) else out


def barrier(context: DistContext) -> None:
    if context.distributed:
        dist.barrier()
