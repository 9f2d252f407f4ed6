"""Compile one graph with PyTorch's test op and with ours, and compare what Inductor made.

``realize.realize`` must be a drop-in for ``torch._inductor.test_operators.realize``:
on the same graph Inductor must count the same pre-fusion IR nodes, generate the
same kernels (same count, same source once the op's name is normalised) and
make the same fusion decisions. ``barrier`` is checked against a different
oracle: the two halves of the graph compiled separately.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import torch

from tests.pt2._helpers import Compiled, compile_with


@contextlib.contextmanager
def fusion_groups() -> Iterator[list[tuple[frozenset[str], frozenset[str]]]]:
    """Record, per compiled graph, each final scheduler node's buffers and the no-fuse set.

    Test-only use of Inductor internals (``Scheduler.codegen``, ``V.graph``): the
    scheduler's final nodes are the fusion decisions, one kernel (or extern call) each.
    """
    from torch._inductor.scheduler import Scheduler
    from torch._inductor.virtualized import V

    groups: list[tuple[frozenset[str], frozenset[str]]] = []
    original = Scheduler.codegen

    def recording(self: Any) -> None:
        no_fuse = frozenset(getattr(V.graph, "no_fuse_buffer_names", ()))
        for node in self.nodes:
            groups.append((frozenset(node.get_buffer_names()), no_fuse))
        original(self)

    Scheduler.codegen = recording  # type: ignore[method-assign]
    try:
        yield groups
    finally:
        Scheduler.codegen = original  # type: ignore[method-assign]


def seed_realize() -> Callable[[torch.Tensor], torch.Tensor]:
    from torch._inductor.test_operators import realize

    return realize  # type: ignore[no-any-return]


def seed_for(
    ours: Callable[[torch.Tensor], torch.Tensor],
) -> Callable[[torch.Tensor], torch.Tensor]:
    """The seed's counterpart of ``ours``: its function, or its bare operator for ours."""
    if isinstance(ours, torch._ops.OpOverload):
        seed_realize()  # importing test_operators defines the seed's operator
        return torch.ops._inductor_test.realize.default  # type: ignore[no-any-return]
    return seed_realize()


# The seed's op appears as `_inductor_test.realize` / `_inductor_test_realize` in
# comments and kernel names; ours as `realize.realize` / `realize_realize`.
_SEED_NAMES = re.compile(r"_inductor_test([._])realize")


def normalised(code: str) -> str:
    code = _SEED_NAMES.sub(r"realize\1realize", code)
    # Paths of the generated modules and AOT graph ids differ per compile.
    code = re.sub(r"# AOT ID: \[.*?\]", "# AOT ID: <id>", code)
    return re.sub(r"/tmp\S*", "<path>", code)


def assert_same_as_seed(
    graph: Callable[[Callable[[torch.Tensor], torch.Tensor]], Callable[..., Any]],
    *args: Any,
    ours: Callable[[torch.Tensor], torch.Tensor],
    dynamic: bool | None = None,
    bitwise: bool = True,
) -> Compiled:
    """``graph(R)`` compiled with R = the seed's op and R = ``ours``: same IR, kernels, code.

    A bare operator of ours is compared with the seed's bare operator (Dynamo names a
    node after what was called: ``realize`` for a function, ``realize_default`` for
    an overload), a function with the seed's function. ``bitwise=False`` for configs
    that pick a kernel variant at run time (``triton.multi_kernel``): the same source
    may then sum in another order.
    """
    __tracebackhide__ = True
    want = compile_with(graph(seed_for(ours)), *args, dynamic=dynamic)
    got = compile_with(graph(ours), *args, dynamic=dynamic)
    assert (got.ir_nodes_pre_fusion, got.kernels) == (want.ir_nodes_pre_fusion, want.kernels), (
        f"(ir_nodes_pre_fusion, generated_kernel_count)=({got.ir_nodes_pre_fusion}, "
        f"{got.kernels}), but should be ({want.ir_nodes_pre_fusion}, {want.kernels}) as with "
        f"the seed's op\n--- ours\n{got.code}\n--- seed\n{want.code}"
    )
    assert normalised(got.code) == normalised(want.code), (
        f"generated code differs from the seed's\n--- ours\n{got.code}\n--- seed\n{want.code}"
    )
    flat_got, _ = torch.utils._pytree.tree_flatten(got.outputs)
    flat_want, _ = torch.utils._pytree.tree_flatten(want.outputs)
    for g, w in zip(flat_got, flat_want, strict=True):
        tolerance = {"rtol": 0, "atol": 0} if bitwise else {}
        torch.testing.assert_close(g, w, equal_nan=True, **tolerance)
        assert g.stride() == w.stride()
    return got
