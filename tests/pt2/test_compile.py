"""torch.compile: one graph on every backend, identity gradients, no extra recompiles.

Oracles: ``torch.clone`` in eager mode for values and strides, the incoming
gradient itself for the backward (realize's derivative is the identity), and
the same program written with ``x.clone()`` for the number of recompiles.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch._dynamo.testing import CompileCounterWithBackend

import realize
from tests.pt2._helpers import caches_off, calls_operator_at_runtime, compile_and_inspect, seeded

OP = torch.ops.realize.realize.default
BACKENDS = ["eager", "aot_eager", "inductor"]


def _graph_calls_op(counter: CompileCounterWithBackend) -> bool:
    # realize.realize calls the packet (as the seed does), the bare operator the overload.
    return any(
        getattr(node.target, "default", node.target) is OP
        for gm in counter.graphs
        for node in gm.graph.nodes
    )


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "fn", [realize.realize, OP], ids=["realize.realize", "torch.ops.realize.realize"]
)
def test_fullgraph_keeps_op_and_identity_gradient(backend: str, fn: Callable) -> None:
    torch._dynamo.reset()
    counter = CompileCounterWithBackend(backend)
    compiled = torch.compile(fn, backend=counter, fullgraph=True)

    base = seeded(5, 7).t()  # non-contiguous: clone keeps these strides
    x = base.detach().requires_grad_(True)
    grad_out = seeded(7, 5, seed=1)
    with caches_off():
        y = compiled(x)
        y.backward(grad_out)

    assert counter.frame_count == 1
    assert _graph_calls_op(counter), [gm.code for gm in counter.graphs]
    expected = base.clone()
    torch.testing.assert_close(y, expected, rtol=0, atol=0)
    assert y.stride() == expected.stride()
    assert y.untyped_storage().data_ptr() != x.untyped_storage().data_ptr()
    assert x.grad is not None
    torch.testing.assert_close(x.grad, grad_out, rtol=0, atol=0)


def _count_frames(fn: Callable, shapes: list[tuple[int, ...]], backend: str) -> int:
    torch._dynamo.reset()
    counter = CompileCounterWithBackend(backend)
    compiled = torch.compile(fn, backend=counter, dynamic=True, fullgraph=True)
    for i, shape in enumerate(shapes):
        x = seeded(*shape, seed=i)
        torch.testing.assert_close(compiled(x), (x + 1) * 2, rtol=0, atol=0)
    return counter.frame_count


def test_dynamic_shapes_recompile_no_more_than_clone() -> None:
    shapes = [(2, 3), (4, 5), (7, 2), (1, 6), (3, 1), (9, 11)]  # 0/1 specialisation included

    def with_realize(x: torch.Tensor) -> torch.Tensor:
        return realize.barrier(x + 1) * 2

    def with_clone(x: torch.Tensor) -> torch.Tensor:
        return (x + 1).clone() * 2

    assert _count_frames(with_realize, shapes, "aot_eager") == _count_frames(
        with_clone, shapes, "aot_eager"
    )


def test_dynamic_shapes_inductor_one_compile_and_a_barrier() -> None:
    def f(x: torch.Tensor) -> torch.Tensor:
        return realize.barrier(x + 1) * 2

    x = seeded(6, 5)
    out, kernels, code = compile_and_inspect(f, x, dynamic=True)
    assert kernels == 2, code
    assert not calls_operator_at_runtime(code), code
    torch.testing.assert_close(out, (x + 1) * 2, rtol=0, atol=0)
    # Other sizes reuse that one symbolic graph.
    assert _count_frames(f, [(6, 5), (3, 8), (10, 4)], "inductor") == 1
