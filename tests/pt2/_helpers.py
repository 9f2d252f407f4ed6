"""Shared helpers of the PT2 tests: compile with Inductor's caches off, count kernels."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]

CUDA_PARAM = pytest.param(
    "cuda",
    marks=[
        pytest.mark.gpu,
        pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
    ],
)
COMPILE_DEVICES = ["cpu", CUDA_PARAM]


def skip_without_inductor_backend(device: str) -> None:
    """Skip when Inductor cannot generate code for ``device`` (no Triton for CUDA)."""
    if device.startswith("cuda"):
        from torch.utils._triton import has_triton

        if not has_triton():
            pytest.skip("Inductor needs Triton to generate CUDA kernels")


@contextlib.contextmanager
def caches_off() -> Iterator[None]:
    """FX graph and AOTAutograd caches off, so every compile generates (and counts) kernels.

    The C++/Triton code caches stay on: they only skip recompiling identical source.
    """
    import torch._functorch.config as functorch_config
    from torch._inductor import config as inductor_config

    with contextlib.ExitStack() as stack:
        stack.enter_context(inductor_config.patch(fx_graph_cache=False))
        if hasattr(functorch_config, "enable_autograd_cache"):
            stack.enter_context(functorch_config.patch(enable_autograd_cache=False))
        yield


@dataclass(frozen=True)
class Compiled:
    """What Inductor produced for one graph, run once."""

    outputs: Any
    ir_nodes_pre_fusion: int
    kernels: int
    code: str


def compile_with(fn: Callable[..., Any], *args: Any, **compile_kwargs: Any) -> Compiled:
    """Compile ``fn`` with Inductor (fullgraph, caches off), run it once, report what it made."""
    from torch._inductor import metrics
    from torch._inductor.utils import run_and_get_code

    torch._dynamo.reset()
    metrics.reset()
    with caches_off():
        compiled = torch.compile(fn, fullgraph=True, **compile_kwargs)
        out, codes = run_and_get_code(compiled, *args)
    return Compiled(
        out, metrics.ir_nodes_pre_fusion, metrics.generated_kernel_count, "\n".join(codes)
    )


def compile_and_inspect(
    fn: Callable[..., Any], *args: torch.Tensor, **compile_kwargs: Any
) -> tuple[Any, int, str]:
    """:func:`compile_with` as (output, kernel count, code)."""
    result = compile_with(fn, *args, **compile_kwargs)
    return result.outputs, result.kernels, result.code


def calls_operator_at_runtime(code: str) -> bool:
    """True when Inductor's output code calls realize::realize or ::barrier (a fallback kernel).

    Comments are skipped: Inductor annotates kernels with the ATen ops they came
    from (``# ... Original ATen: [aten.sin, realize.barrier]``).
    """
    return any(
        re.search(r"realize\.(realize|barrier)", line.split("#", 1)[0])
        for line in code.splitlines()
    )


def allocations(code: str) -> int:
    """How many buffers the generated wrapper allocates (``bufN = empty_strided_*(...)``)."""
    return len(re.findall(r"^\s*buf\d+ = empty_strided", code, flags=re.MULTILINE))


def run_python(
    code: str, *, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter from the repo root; fail the test on a non-zero exit."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"subprocess exited with {proc.returncode}\n--- stdout\n{proc.stdout}"
            f"\n--- stderr\n{proc.stderr[-4000:]}"
        )
    return proc


def seeded(*shape: int, seed: int = 0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A reproducible random tensor (torch's global RNG untouched)."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=gen, dtype=dtype)
