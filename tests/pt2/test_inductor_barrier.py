"""barrier under Inductor is a true fusion barrier, with no fallback and no extra copy.

The oracle is Inductor itself: the same graph without ``barrier`` (one fused
kernel) and eager mode (the values). ``x.sin().cos()`` compiles to one kernel;
``barrier(x.sin()).cos()`` must compile to two, the first writing the
intermediate buffer and the second reading it, and never call the operator
back in Python.
"""

from __future__ import annotations

import pytest
import torch

import realize
from realize import _lowering
from tests.pt2._helpers import (
    COMPILE_DEVICES,
    allocations,
    calls_operator_at_runtime,
    compile_and_inspect,
    seeded,
    skip_without_inductor_backend,
)

R = realize.barrier


def test_lowering_is_registered_once_inductor_is_imported() -> None:
    from torch._inductor import config
    from torch._inductor.lowering import lowerings

    assert _lowering.status() == "registered"
    assert realize.realize_op in lowerings and realize.barrier_op in lowerings
    for name in _lowering.CACHE_KEY_NAMES:
        assert config.unsafe_marked_cacheable_functions[name] == _lowering.LOWERING_ID


@pytest.mark.parametrize("compile_device", COMPILE_DEVICES)
def test_barrier_splits_producer_and_consumer(compile_device: str) -> None:
    skip_without_inductor_backend(compile_device)
    x = seeded(64, 33).to(compile_device)

    fused, fused_kernels, fused_code = compile_and_inspect(lambda t: t.sin().cos(), x)
    barrier, barrier_kernels, barrier_code = compile_and_inspect(lambda t: R(t.sin()).cos(), x)

    assert fused_kernels == 1, fused_code
    assert barrier_kernels == 2, barrier_code
    assert not calls_operator_at_runtime(barrier_code), barrier_code
    # Only the intermediate may be new: no copy of it on top.
    assert allocations(barrier_code) <= allocations(fused_code) + 1, barrier_code
    # The same arithmetic split at the buffer: bit-identical to the fused kernel.
    torch.testing.assert_close(barrier, fused, rtol=0, atol=0)
    torch.testing.assert_close(barrier, x.sin().cos())


@pytest.mark.parametrize("compile_device", COMPILE_DEVICES)
def test_barrier_buffer_is_the_output_when_returned(compile_device: str) -> None:
    skip_without_inductor_backend(compile_device)
    x = seeded(16, 9, seed=1).to(compile_device)

    def f(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a = R(t + 1)
        return a, a * 2

    (a, b), kernels, code = compile_and_inspect(f, x)

    assert kernels == 2, code
    assert not calls_operator_at_runtime(code), code
    # ``a`` is returned straight from the barrier buffer: two outputs, two buffers.
    assert allocations(code) == 2, code
    torch.testing.assert_close(a, x + 1, rtol=0, atol=0)
    torch.testing.assert_close(b, (x + 1) * 2, rtol=0, atol=0)
    assert a.data_ptr() != x.data_ptr()


def test_producers_that_are_buffers_already() -> None:
    # Inputs, views of inputs, reductions and views of pointwise values take the
    # second branch of the lowering; outputs must equal eager clone bit for bit,
    # with clone's strides and fresh storage. Integer-valued floats keep the
    # reduction exact whatever order Inductor sums in.
    x = torch.randint(-8, 8, (12, 10), generator=torch.Generator().manual_seed(2)).float()

    def f(t: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return (
            R(t.sum(1)) * 3,
            R(t),
            R(t.t()),
            R((t + 1).t()) - 1,
            R(t[:, 2:7:2]),
            R((t * 2).t()),
        )

    outs, _, code = compile_and_inspect(f, x)
    expected = (
        x.sum(1) * 3,
        x.clone(),
        x.t().clone(),
        (x + 1).t().clone() - 1,
        x[:, 2:7:2].clone(),
        (x * 2).t().clone(),
    )
    assert not calls_operator_at_runtime(code), code
    for got, want in zip(outs, expected, strict=True):
        torch.testing.assert_close(got, want, rtol=0, atol=0)
        assert got.stride() == want.stride()
    for got in outs[1:4]:
        assert got.untyped_storage().data_ptr() != x.untyped_storage().data_ptr()
