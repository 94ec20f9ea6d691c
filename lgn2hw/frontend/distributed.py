"""Data-parallel training over torch.distributed: process-group set-up from torchrun's environment.

``torchrun --nproc-per-node 2 -m lgn2hw.cli train ...`` starts one process per rank with RANK,
WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT set. ``setup_from_env`` joins the group (gloo on
CPU, nccl when the training device is CUDA); ``lgn2hw.frontend.train.train`` then notices the initialized group
and trains data-parallel: every rank computes the gradient of its shard of each global batch, the
gradients are summed with one all-reduce per step, and every rank applies the same Adam step, so all
ranks hold the same parameters throughout (docs/training.md, "Data-parallel training").
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from ..errors import ConfigError

ENV_VARS = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class DistInfo:
    """This process's place in the group: rank 0 of 1 when not distributed."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launched_by_torchrun() -> bool:
    """True when the environment describes a process group of more than one process."""
    text = os.environ.get("WORLD_SIZE", "1") or "1"
    try:
        return int(text) > 1
    except ValueError:
        raise ConfigError(f"WORLD_SIZE={text!r} in the environment is not a number of processes") from None


def current() -> DistInfo:
    """The initialized group's rank and size, or the single-process default."""
    if not (dist.is_available() and dist.is_initialized()):
        return DistInfo()
    return DistInfo(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", dist.get_rank())))


def backend_for(device: str) -> str:
    """nccl when training runs on CUDA, gloo on CPU."""
    wants_cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    return "nccl" if wants_cuda else "gloo"


def setup_from_env(device: str = "auto") -> DistInfo:
    """Join the process group torchrun describes (no-op when already joined). ConfigError without torchrun."""
    if dist.is_available() and dist.is_initialized():
        return current()
    missing = [name for name in ENV_VARS if name not in os.environ]
    if missing:
        raise ConfigError(
            f"--ddp needs the environment torchrun sets ({', '.join(missing)} missing); "
            "start it as: torchrun --nproc-per-node 2 -m lgn2hw.cli train --ddp ..."
        )
    if not dist.is_available():
        raise ConfigError("this PyTorch build has no torch.distributed")
    backend = backend_for(device)
    try:
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend=backend)
    except (RuntimeError, ValueError) as exc:  # bad rendezvous address/port, timeout, bad LOCAL_RANK
        raise ConfigError(f"could not join the torchrun process group ({backend}): {str(exc).splitlines()[0]}") from None
    return current()


def teardown(succeeded: bool = True) -> None:
    """Leave the process group.

    After a run that succeeded every rank first waits at a barrier: a rank that destroys its gloo
    context while another still talks to it can abort ("terminate called without an active
    exception", seen once in CI on 2 cores; pytorch/gloo#155). After a failure there is no barrier,
    because the other ranks may never reach it (they would wait for the gloo timeout, 30 min)."""
    if dist.is_available() and dist.is_initialized():
        if succeeded:
            dist.barrier()
        dist.destroy_process_group()


def training_device(device: torch.device, info: DistInfo) -> torch.device:
    """One GPU per rank: CUDA without an index becomes cuda:LOCAL_RANK (an explicit index would put
    every rank on the same GPU, so it is refused)."""
    if info.enabled and device.type == "cuda":
        if device.index is not None:
            raise ConfigError(f"--device {device} with --ddp would put every rank on one GPU; use --device cuda")
        return torch.device("cuda", info.local_rank)
    return device


def shard(indices: torch.Tensor, info: DistInfo) -> torch.Tensor:
    """This rank's contiguous, disjoint part of a tensor's rows: a global batch, or evaluation data (sizes differ by at most one)."""
    if not info.enabled:
        return indices
    return torch.tensor_split(indices, info.world_size)[info.rank]


@torch.no_grad()
def broadcast_module(module: torch.nn.Module) -> None:
    """Copy rank 0's parameters and buffers (wiring) to every rank."""
    for tensor in list(module.parameters()) + list(module.buffers()):
        dist.broadcast(tensor.data, src=0)


@torch.no_grad()
def all_reduce_gradients(params: list[torch.nn.Parameter]) -> None:
    """Sum every parameter's gradient over the ranks, as one flat all-reduce.

    A parameter without a gradient on this rank contributes zeros (and gets the others' sum), so every
    rank ends with the same gradients and takes the same optimizer step.
    """
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)
    offset = 0
    for p in params:
        n = p.numel()
        p.grad = flat[offset : offset + n].view_as(p)  # views of one buffer: no per-parameter copy
        offset += n


def all_reduce_sum(values: list[float], device: torch.device) -> list[float]:
    """Sum a few Python numbers over the ranks (float64, so integer counts stay exact)."""
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.tolist()
