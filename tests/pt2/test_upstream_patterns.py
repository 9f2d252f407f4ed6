"""The patterns PyTorch's own Inductor tests build with their test op, with ours swapped in.

Each test rewrites, in our words, what an upstream test in ``test/inductor``
checks with ``torch._inductor.test_operators.realize`` (named in the test's
docstring), and checks it twice: the upstream expectation itself (a count, a
fusion decision, a debug-trace name) and the seed equivalence (the same
graph compiled with the seed's op gives the same IR, kernels and source). The
barrier rows show what the barrier changes in the same graph.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch._inductor import config

import realize
from tests.pt2._helpers import COMPILE_DEVICES, CUDA_PARAM, skip_without_inductor_backend
from tests.pt2._seed import assert_same_as_seed, compile_with, normalised, seed_for, seed_realize

OURS = [
    pytest.param(realize.realize, id="realize.realize"),
    pytest.param(torch.ops.realize.realize.default, id="realize-op"),
]
Op = Callable[[torch.Tensor], torch.Tensor]


def _randn(*shape: int, device: str = "cpu", seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=gen).to(device)


@pytest.mark.parametrize("ours", OURS)
def test_forced_buffer_realize(ours: Op) -> None:
    """test_torchinductor.py ``test_forced_buffer_realize``: 2 IR nodes before fusion."""

    def graph(R: Op) -> Callable[[torch.Tensor], Any]:
        return lambda a: (R(a * 2) * 2,)

    got = assert_same_as_seed(graph, _randn(10), ours=ours)
    assert got.ir_nodes_pre_fusion == 2


def _equation_of_state(R: Op) -> Callable[..., torch.Tensor]:
    # A slice of torchbench's pyhpc_equation_of_state with every step realized.
    def fn(sa: torch.Tensor, ct: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        v17, v18 = -3.087032500374211e-7, -1.988366587925593e-8
        v19, v20 = -1.061519070296458e-11, 1.550932729220080e-10
        t15 = R(v19 * ct)
        t19 = R(v17 + ct * (v18 + t15) + v20 * sa)
        t20 = R(1.0 / t19)
        return R(t19 * t20)

    return fn


@pytest.mark.parametrize("compile_device", COMPILE_DEVICES)
@pytest.mark.parametrize("ours", OURS)
def test_scheduler_vertical_fusion1(ours: Op, compile_device: str) -> None:
    """test_torchinductor.py ``test_scheduler_vertical_fusion1``: four realizes, one kernel."""
    skip_without_inductor_backend(compile_device)
    args = [_randn(*s, device=compile_device, seed=i) for i, s in enumerate([(20, 20, 26)] * 2)]
    args.append(_randn(26, device=compile_device, seed=2))
    got = assert_same_as_seed(_equation_of_state, *args, ours=ours)
    assert got.kernels == 1, got.code
    barrier = compile_with(_equation_of_state(realize.barrier), *args)
    assert barrier.kernels == 4, barrier.code  # the barrier forbids exactly these fusions


def _fusion_logs(fn: Callable[..., Any], *args: torch.Tensor) -> tuple[str, str]:
    """Inductor's ``ir_pre_fusion`` / ``ir_post_fusion`` debug logs of one compile."""
    streams = {name: io.StringIO() for name in ("ir_pre_fusion", "ir_post_fusion")}
    loggers = {
        name: (
            torch._logging.getArtifactLogger("torch._inductor.debug", name),
            logging.StreamHandler(stream),
        )
        for name, stream in streams.items()
    }
    torch._dynamo.reset()
    torch._logging.set_logs(ir_pre_fusion=True, ir_post_fusion=True)
    for logger, handler in loggers.values():
        logger.addHandler(handler)
    try:
        with config.patch(force_disable_caches=True):
            torch.compile(fn)(*args)
    finally:
        for logger, handler in loggers.values():
            logger.removeHandler(handler)
        torch._logging.set_logs()
    return streams["ir_pre_fusion"].getvalue().strip(), streams["ir_post_fusion"].getvalue().strip()


@pytest.mark.parametrize("ours", OURS)
def test_debug_trace_fuses_op0_and_op1(ours: Op) -> None:
    """test_debug_trace.py ``test_debug_trace``: op0 (a + 1) and op1 (+ 2) fuse as op0_op1."""

    def graph(R: Op) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        return lambda a, b: torch.matmul(R(a + 1) + 2, b)

    args = (_randn(16, 16), _randn(16, 16, seed=1))
    seed_pre, seed_post = _fusion_logs(graph(seed_for(ours)), *args)
    pre, post = _fusion_logs(graph(ours), *args)
    assert "op0: SchedulerNode(ComputedBuffer)" in pre and "op1: SchedulerNode" in pre, pre
    assert "op0_op1: FusedSchedulerNode(SchedulerNode,SchedulerNode)" in post, post
    assert (normalised(pre), normalised(post)) == (normalised(seed_pre), normalised(seed_post))
    _, barrier_post = _fusion_logs(graph(realize.barrier), *args)
    assert "op0_op1" not in barrier_post, barrier_post


@pytest.mark.parametrize("compile_device", COMPILE_DEVICES)
@pytest.mark.parametrize("ours", OURS)
def test_nested_reduction_of_a_realized_value(ours: Op, compile_device: str) -> None:
    """test_nested_reduction.py's use: a reduction over a realized reduction plus input."""
    skip_without_inductor_backend(compile_device)

    assert_same_as_seed(_reduce_realize_reduce, _randn(16, 16, device=compile_device), ours=ours)


def _reduce_realize_reduce(R: Op) -> Callable[[torch.Tensor], torch.Tensor]:
    # A reduction plus the input, realized, then the same again (upstream's pattern).
    def f(x: torch.Tensor) -> torch.Tensor:
        x = R(x.sum(dim=-1, keepdim=True) + x)
        return x.sum(dim=-1, keepdim=True) + x

    return f


def _add_realize_mul(R: Op) -> Callable[[torch.Tensor], torch.Tensor]:
    return lambda x: R(x + 1) * 2


@pytest.mark.parametrize("shape", [(5, 7), (3, 5, 7), (3, 5, 7, 9)])
@pytest.mark.parametrize("compile_device", COMPILE_DEVICES)
def test_loop_ordering_fuses_across_realize(shape: tuple[int, ...], compile_device: str) -> None:
    """test_loop_ordering.py ``test_select_loop_orders``: add and mul fuse into one node."""
    skip_without_inductor_backend(compile_device)
    x = _randn(*shape, device=compile_device)
    with config.patch(loop_ordering_after_fusion=True):
        got = assert_same_as_seed(_add_realize_mul, x, ours=realize.realize)
    assert got.kernels == 1, got.code


@pytest.mark.parametrize("ours", OURS)
@pytest.mark.parametrize("compile_device", [CUDA_PARAM])
def test_multi_kernel_reduction_scratch_buffer(ours: Op, compile_device: str) -> None:
    """test_multi_kernel.py ``test_reduction_scratch_buffer``: a realized scratch buffer."""
    skip_without_inductor_backend(compile_device)

    x = torch.rand(16, 16, generator=torch.Generator().manual_seed(0)).to(compile_device)
    with config.patch({"triton.multi_kernel": 1}):
        # multi_kernel benchmarks its variants at run time: compare values with tolerance
        got = assert_same_as_seed(_reduce_realize_reduce, x, ours=ours, bitwise=False)
    torch.testing.assert_close(got.outputs, _reduce_realize_reduce(torch.clone)(x))


@pytest.mark.parametrize("compile_device", [CUDA_PARAM])
def test_benchmark_fusion_keeps_the_seed_decisions(compile_device: str) -> None:
    """test_benchmark_fusion.py: fusion decided by benchmarking, with realize in the graph."""
    skip_without_inductor_backend(compile_device)

    def graph(R: Op) -> Callable[[torch.Tensor], torch.Tensor]:
        return lambda x: R(x.sin() + 1).sum(-1) * 2

    x = _randn(64, 512, device=compile_device)
    with config.patch(benchmark_fusion=True):
        got = compile_with(graph(realize.realize), x)
        want = compile_with(graph(seed_realize()), x)
    # Benchmarking may time differently between two compiles; the decisions it can make
    # are the same, so compare the kernel counts and the values, not the source.
    assert got.kernels == want.kernels, (got.code, want.code)
    torch.testing.assert_close(got.outputs, want.outputs, rtol=0, atol=0)


def test_linear_epilogue_fusion_counter() -> None:
    """test_cpu_select_algorithm.py ``test_linear_unsupported_epilogue_fusion`` (its idea):
    with the CPP GEMM template, a realized epilogue is counted the same with both ops."""
    from torch._dynamo.utils import counters

    if not torch.backends.mkldnn.is_available():
        pytest.skip("the CPP GEMM template needs oneDNN (mkldnn)")
    linear = torch.nn.Linear(32, 16).eval()

    def graph(R: Op) -> Callable[[torch.Tensor], torch.Tensor]:
        return lambda x: R(torch.pow(linear(x), 2)) + 1

    x = _randn(8, 32)
    results = []
    for R in (seed_realize(), realize.realize):
        counters.clear()
        with (
            torch.no_grad(),
            config.patch(max_autotune=True, max_autotune_gemm_backends="CPP,ATEN", freezing=False),
        ):
            compiled = compile_with(graph(R), x)
        results.append((counters["inductor"]["cpp_epilogue_fusion_counter"], compiled.kernels))
        torch.testing.assert_close(compiled.outputs, graph(torch.clone)(x))
    assert results[1] == results[0], f"ours {results[1]} vs seed {results[0]}"


def test_the_one_line_swap_is_the_whole_change() -> None:
    """The README's swap: both names resolve to a callable with the seed's signature."""
    import inspect

    from torch._inductor.test_operators import realize as seed

    from realize import realize as ours

    assert list(inspect.signature(ours).parameters) == list(inspect.signature(seed).parameters)
    assert re.fullmatch(r"realize", ours.__name__)
