"""realize under Inductor is PyTorch's test op, node for node; barrier never fuses across.

``assert_same_as_seed`` compiles each graph twice -- with
``torch._inductor.test_operators.realize`` and with ours -- and requires the same
``ir_nodes_pre_fusion``, the same ``generated_kernel_count``, the same generated
source (op name normalised) and bit-identical outputs. ``barrier`` is held to the
"two halves" oracle: the graph with the barrier generates exactly the kernels of
its producer and its consumer compiled separately, so no kernel spans it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from hypothesis import given, note, settings
from hypothesis import strategies as st

import realize
from realize.strategies import shapes, tensors
from tests.pt2._helpers import (
    COMPILE_DEVICES,
    calls_operator_at_runtime,
    skip_without_inductor_backend,
)
from tests.pt2._seed import assert_same_as_seed, compile_with, fusion_groups

Fn = Callable[[torch.Tensor], Any]
Op = Callable[[torch.Tensor], torch.Tensor]

# (producer, consumer): the graph is consumer(R(producer(x))).
FAMILIES: dict[str, tuple[Fn, Fn]] = {
    "pointwise then pointwise": (lambda t: t.sin(), lambda a: a.cos()),
    "reduction then pointwise": (lambda t: t.sum(-1), lambda a: a.exp()),
    "a value with two consumers": (lambda t: t * 2, lambda a: (a + 1, a.amax(0))),
    "matmul epilogue": (lambda t: t.flatten(1) @ t.flatten(1).mT, lambda a: a.relu()),
    "views and reshapes across": (lambda t: (t + 1).transpose(0, -1), lambda a: a.reshape(-1) * 2),
    "graph input": (lambda t: t.transpose(0, -1), lambda a: a - 1),
}
OURS = {
    "realize.realize": realize.realize,
    "torch.ops.realize.realize.default": torch.ops.realize.realize.default,
}


def graph_of(family: str) -> Callable[[Op], Fn]:
    producer, consumer = FAMILIES[family]
    return lambda R: lambda t: consumer(R(producer(t)))


def assert_barrier_splits(family: str, x: torch.Tensor, *, dynamic: bool | None = None) -> None:
    """No kernel spans the barrier: its buffer is a fusion group of its own.

    The oracle is Inductor's scheduler: every final node (one kernel each) that
    writes a buffer the barrier marked holds no other buffer, so nothing on
    either side of the barrier is computed in the same kernel. Values: eager.
    """
    __tracebackhide__ = True
    producer, consumer = FAMILIES[family]
    with fusion_groups() as groups:
        whole = compile_with(graph_of(family)(realize.barrier), x, dynamic=dynamic)
    marked = frozenset().union(*(no_fuse for _, no_fuse in groups))
    if family != "graph input":  # an input is materialised already: nothing to mark
        assert marked, f"the barrier marked no buffer as unfusable\n{whole.code}"
    shared = [sorted(names) for names, no_fuse in groups if names & no_fuse and len(names) > 1]
    assert not shared, f"a kernel spans the barrier: fused groups {shared}\n{whole.code}"
    assert not calls_operator_at_runtime(whole.code), whole.code
    want = consumer(producer(x).clone())
    flat_got, _ = torch.utils._pytree.tree_flatten(whole.outputs)
    flat_want, _ = torch.utils._pytree.tree_flatten(want)
    for got, expected in zip(flat_got, flat_want, strict=True):
        torch.testing.assert_close(got, expected, equal_nan=True)


def _input(device: str, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    return torch.randn(6, 5, 7, generator=gen, dtype=dtype).to(device)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("compile_device", COMPILE_DEVICES)
def test_realize_matches_the_seed(family: str, compile_device: str) -> None:
    skip_without_inductor_backend(compile_device)
    x = _input(compile_device)
    for ours in OURS.values():
        assert_same_as_seed(graph_of(family), x, ours=ours)


@pytest.mark.parametrize("family", ["pointwise then pointwise", "views and reshapes across"])
def test_realize_matches_the_seed_with_dynamic_shapes(family: str) -> None:
    assert_same_as_seed(graph_of(family), _input("cpu"), ours=realize.realize, dynamic=True)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("compile_device", COMPILE_DEVICES)
def test_barrier_never_shares_a_kernel_across_itself(family: str, compile_device: str) -> None:
    skip_without_inductor_backend(compile_device)
    assert_barrier_splits(family, _input(compile_device))


def test_barrier_splits_with_dynamic_shapes() -> None:
    assert_barrier_splits("pointwise then pointwise", _input("cpu"), dynamic=True)


# Drawn graphs: any family, shape, float dtype and memory layout the strategies make,
# except negative-bit views: Inductor ignores the negative bit of a graph input
# (pytorch/pytorch#145093, docs/findings.md), with the seed's op as with ours.
_inputs = tensors(
    dtype=st.sampled_from([torch.float32, torch.float64, torch.bfloat16]),
    shape=shapes(min_dims=2, max_dims=3, min_side=1, max_side=9),
    device="cpu",
).filter(lambda t: not t.is_neg())


@settings(max_examples=6, deadline=None)
@given(family=st.sampled_from(sorted(FAMILIES)), x=_inputs)
def test_drawn_graphs_realize_matches_the_seed_and_barrier_splits(
    family: str, x: torch.Tensor
) -> None:
    note(f"x: {x.dtype}, shape={tuple(x.shape)}, stride={x.stride()}, offset={x.storage_offset()}")
    note(f"x: neg={x.is_neg()}, storage={x.untyped_storage().nbytes()} bytes")
    assert_same_as_seed(graph_of(family), x, ours=realize.realize)
    assert_barrier_splits(family, x)
