"""The DTensor test's ranks: ``python -m tests.pt2._dtensor_worker BACKEND DEVICE COMPILER``.

Starts ``WORLD_SIZE`` ranks that read ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and
``MASTER_PORT`` like torchrun workers. On CPU they are forked from this process,
which has imported torch, DTensor and realize once for all of them (it has
touched no device and run no parallel region, so forking is safe); CUDA ranks
are spawned. A rank raises (non-zero exit) on the first failed check and prints
one ``ok ...`` line per check; this process exits non-zero if any rank did, or
did not finish within ``RANK_TIMEOUT_S``.

Oracles: the input DTensor itself (placements, local shard bit for bit), clone
for the gradients, the eager DTensor program for the compiled one, and
``CommDebugMode`` for "no communication".
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from typing import Any

import torch
import torch.distributed as dist
from torch.distributed.tensor import (
    DTensor,
    Partial,
    Placement,
    Replicate,
    Shard,
    distribute_tensor,
    init_device_mesh,
)
from torch.distributed.tensor.debug import CommDebugMode

import realize
from realize import _dtensor

R = realize.realize
OP = torch.ops.realize.realize.default
# Both materialisation operators, each through its function and bare: (function, operator).
PAIRS = ((realize.realize, OP), (realize.barrier, torch.ops.realize.barrier.default))


def _make(
    full: torch.Tensor, mesh: object, placements: tuple[Placement, ...], rank: int
) -> DTensor:
    """A DTensor of ``full`` with these placements; Partial ranks hold different values."""
    base = [Replicate() if p.is_partial() else p for p in placements]
    local = distribute_tensor(full, mesh, base).to_local()  # type: ignore[arg-type]
    if any(p.is_partial() for p in placements):
        local = local + rank
    return DTensor.from_local(
        local, mesh, placements, run_check=False, shape=full.shape, stride=full.stride()
    )  # type: ignore[arg-type]


def _check_placements(mesh: object, cases: list[tuple[Placement, ...]], device: str, rank: int):
    for shape in [(5, 7), (1, 3)]:  # uneven shards, and a dim smaller than the mesh
        full = torch.arange(float(shape[0] * shape[1]), device=device).reshape(shape)
        for placements in cases:
            d = _make(full, mesh, placements, rank)
            with CommDebugMode() as comm:
                outs = [impl(d) for pair in PAIRS for impl in pair]
            assert comm.get_total_counts() == 0, (placements, comm.get_comm_counts())
            for out in outs:
                assert isinstance(out, DTensor)
                assert out.placements == d.placements, (placements, out.placements)
                assert out.shape == d.shape and out.stride() == d.stride()
                torch.testing.assert_close(out.to_local(), d.to_local(), rtol=0, atol=0)
                assert out.to_local().data_ptr() != d.to_local().data_ptr() or (
                    d.to_local().numel() == 0
                )
            print("ok placements", shape, placements, flush=True)


def _check_backward(mesh: object, device: str, rank: int) -> None:
    full = torch.arange(35.0, device=device).reshape(5, 7)
    weight = distribute_tensor(full * 0.5 - 3, mesh, [Shard(0)] * mesh.ndim)  # type: ignore[attr-defined]
    grads = []
    for fn in (torch.clone, *(impl for pair in PAIRS for impl in pair)):
        d = distribute_tensor(full, mesh, [Shard(0)] * mesh.ndim).requires_grad_(True)  # type: ignore[attr-defined]
        (fn(d) * weight).sum().backward()
        grads.append(d.grad)
    want, *got_all = grads
    assert want is not None
    for got in got_all:
        assert got is not None
        assert got.placements == want.placements, (got.placements, want.placements)
        torch.testing.assert_close(got.full_tensor(), want.full_tensor(), rtol=0, atol=0)
    print("ok backward", want.placements, flush=True)


def _check_compile(mesh: object, device: str, rank: int, compiler: str) -> None:
    from torch._dynamo.testing import CompileCounterWithBackend

    for fn, op in PAIRS:

        def f(t: torch.Tensor, fn: Any = fn) -> torch.Tensor:
            return fn(t) * 2

        torch._dynamo.reset()
        counter = CompileCounterWithBackend(compiler)
        compiled = torch.compile(f, backend=counter, fullgraph=True)
        full = torch.arange(35.0, device=device).reshape(5, 7)
        # One placement only: every new placement is a recompile, seconds each on CPU.
        placements = (Partial("sum"),)
        d = _make(full, mesh, placements, rank).requires_grad_(True)
        out = compiled(d)
        want = f(_make(full, mesh, placements, rank))
        assert out.placements == want.placements, (out.placements, want.placements)
        torch.testing.assert_close(out.to_local(), want.to_local(), rtol=0, atol=0)
        out.sum().backward()
        assert d.grad is not None
        torch.testing.assert_close(d.grad.full_tensor(), torch.full_like(full, 2.0), rtol=0, atol=0)
        assert any(
            getattr(n.target, "default", n.target) is op
            for gm in counter.graphs
            for n in gm.graph.nodes
        )
        print("ok compile", compiler, op, placements, flush=True)


def main(backend: str, device_type: str, compiler: str) -> None:
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    device = device_type
    if device_type == "cuda":
        torch.cuda.set_device(rank)
        device = f"cuda:{rank}"
    dist.init_process_group(
        backend, rank=rank, world_size=world, timeout=datetime.timedelta(seconds=60)
    )
    try:
        assert _dtensor.route().startswith(("clone-strategy", "register_sharding")), (
            _dtensor.route()
        )
        print("ok route", _dtensor.route(), flush=True)
        mesh_1d = init_device_mesh(device_type, (world,))
        _check_placements(
            mesh_1d,
            [
                (Shard(0),),
                (Shard(1),),
                (Replicate(),),
                (Partial("sum"),),
                (Partial("max"),),
                (Partial("avg"),),
            ],
            device,
            rank,
        )
        mesh_2d = init_device_mesh(device_type, (world, 1), mesh_dim_names=("dp", "tp"))
        _check_placements(
            mesh_2d,
            [(Shard(0), Replicate()), (Replicate(), Shard(1)), (Partial("sum"), Shard(0))],
            device,
            rank,
        )
        _check_backward(mesh_1d, device, rank)
        _check_backward(mesh_2d, device, rank)
        _check_compile(mesh_1d, device, rank, compiler)
    finally:
        dist.destroy_process_group()


RANK_TIMEOUT_S = 200


def _rank_entry(rank: int, args: tuple[str, str, str]) -> None:
    os.environ["RANK"] = os.environ["LOCAL_RANK"] = str(rank)
    main(*args)


def launch(backend: str, device_type: str, compiler: str) -> int:
    import multiprocessing

    context = multiprocessing.get_context("fork" if device_type == "cpu" else "spawn")
    world = int(os.environ["WORLD_SIZE"])
    ranks = [
        context.Process(target=_rank_entry, args=(rank, (backend, device_type, compiler)))
        for rank in range(world)
    ]
    for proc in ranks:
        proc.start()
    deadline = time.monotonic() + RANK_TIMEOUT_S
    for proc in ranks:
        proc.join(max(0.0, deadline - time.monotonic()))
    status = 0
    for rank, proc in enumerate(ranks):
        if proc.is_alive():
            proc.kill()
            proc.join()
            print(f"rank {rank} did not finish within {RANK_TIMEOUT_S}s", flush=True)
            status = 1
        elif proc.exitcode != 0:
            print(f"rank {rank} exited with {proc.exitcode}", flush=True)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(launch(*sys.argv[1:4]))
