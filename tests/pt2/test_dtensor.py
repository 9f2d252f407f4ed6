"""DTensor: realize keeps every placement, with backward and torch.compile, on 2 ranks.

The ranks run in a fresh interpreter, started like torchrun workers on the
loopback interface (``tests/pt2/_dtensor_worker.py`` holds the checks and
their oracles); the whole run is bounded in time, the ranks are killed if it
overruns.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch
import torch.distributed as dist

from tests._ports import free_port
from tests.pt2._helpers import REPO

WORLD_SIZE = 2
TIMEOUT_S = 240


def _run_ranks(backend: str, device: str, compiler: str) -> None:
    env = {
        **os.environ,
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(free_port()),
        "WORLD_SIZE": str(WORLD_SIZE),
        "GLOO_SOCKET_IFNAME": os.environ.get("GLOO_SOCKET_IFNAME", "lo"),
        "OMP_NUM_THREADS": "1",
    }
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tests.pt2._dtensor_worker", backend, device, compiler],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the {WORLD_SIZE} ranks did not finish within {TIMEOUT_S}s:\n{exc.output}")
    if proc.returncode != 0:
        pytest.fail(f"a rank failed (exit {proc.returncode}):\n{proc.stdout[-8000:]}")
    assert proc.stdout.count("ok compile") == 2 * WORLD_SIZE, proc.stdout  # realize, barrier


@pytest.mark.slow
@pytest.mark.skipif(
    not (dist.is_available() and dist.is_gloo_available()), reason="needs torch.distributed gloo"
)
def test_dtensor_gloo_two_ranks_cpu() -> None:
    _run_ranks("gloo", "cpu", "aot_eager")


@pytest.mark.multigpu
@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs 2 CUDA devices")
@pytest.mark.skipif(
    not (dist.is_available() and dist.is_nccl_available()), reason="needs torch.distributed NCCL"
)
def test_dtensor_nccl_two_gpus_inductor() -> None:
    _run_ranks("nccl", "cuda", "inductor")


@pytest.mark.skipif(not dist.is_available(), reason="needs torch.distributed")
def test_public_route_maps_each_placement_to_itself() -> None:
    # The register_sharding fallback (used when the private clone strategy is
    # not there): every placement of the input is kept, replicated is allowed.
    from types import SimpleNamespace

    from torch.distributed.tensor import Partial, Replicate, Shard

    from realize._dtensor import _same_placements

    spec = SimpleNamespace(placements=(Shard(1), Partial("max"), Shard(1)))
    assert _same_placements(spec) == [
        ([Replicate()], [Replicate()]),
        ([Shard(1)], [Shard(1)]),
        ([Partial("max")], [Partial("max")]),
    ]
