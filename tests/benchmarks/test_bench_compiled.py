"""Compiled graphs: what the fusion barrier costs, and realize against PyTorch's test op.

Graphs, each compiled once per case with Inductor (``dynamic=False``, outside the timed part)
and measured side by side on the same input (one table per device and size):

``fused``     ``x.sin().cos()``: Inductor fuses it into one kernel (read x, write out)
``realize``   ``realize(x.sin()).cos()``: the seed's semantics, so Inductor fuses it back
              into one kernel, exactly as with ``test_op``
``test_op``   ``torch._inductor.test_operators.realize(x.sin()).cos()``: PyTorch's own op
``barrier``   ``barrier(x.sin()).cos()``: two kernels and one intermediate buffer, which
              is one extra write and one extra read of the tensor
``fallback``  ``opaque(x.sin()).cos()`` with ``opaque`` an operator without a lowering, as
              realize would be without one: a Python fallback kernel between two kernels
``copy_``     eager ``out.copy_(x)`` into a preallocated ``out``: what one read plus one
              write of the tensor costs, the yardstick of the barrier's price

The claims: the barrier costs no more than one extra write and read, within 10%, i.e.
``median(barrier) - median(fused) <= 1.10 * median(copy_)`` at large sizes; ``realize``
costs what ``test_op`` costs (time ratio <= 1.10, the median of per-round ratios, the two timed
in alternating rounds), since Inductor generates the same code.

``GBps`` counts the logical bytes of the fused graph (``nbytes`` read plus ``nbytes``
written) for every graph, so GBps ratios are time ratios; ``bytes_moved_actual`` records
what each graph really moves (the barrier graph: twice that).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
import torch

import realize

from ._compile import compiled_once, single_threaded
from ._devices import available_devices, is_present
from ._goals import format_size

KiB = 1024
MiB = 1024 * KiB

IMPLS = ("fused", "realize", "test_op", "barrier", "fallback", "copy_")

_lib = torch.library.Library("realize_bench", "DEF")
_lib.define("opaque(Tensor self) -> Tensor")
_lib.impl("opaque", lambda self: self.clone(), "CompositeExplicitAutograd")
_lib.impl("opaque", lambda self: torch.empty_like(self), "Meta")
_opaque = torch.ops.realize_bench.opaque.default


def _sizes(device: str) -> list[int]:
    if device == "cpu":
        return [16 * KiB, 4 * MiB, 64 * MiB]
    return [16 * KiB, 4 * MiB, 256 * MiB]


def _params() -> list[Any]:
    return [
        pytest.param(dev, nbytes, impl, id=f"{dev}-{format_size(nbytes)}-{impl}")
        for dev in available_devices()
        for nbytes in _sizes(dev)
        for impl in IMPLS
    ]


def _fused(x: torch.Tensor) -> torch.Tensor:
    return x.sin().cos()


def _with_realize(x: torch.Tensor) -> torch.Tensor:
    return realize.realize(x.sin()).cos()


def _with_test_op(x: torch.Tensor) -> torch.Tensor:
    from torch._inductor.test_operators import realize as test_op

    return test_op(x.sin()).cos()


def _with_barrier(x: torch.Tensor) -> torch.Tensor:
    return realize.barrier(x.sin()).cos()


def _with_fallback(x: torch.Tensor) -> torch.Tensor:
    return _opaque(x.sin()).cos()


_GRAPHS = {
    "fused": _fused,
    "realize": _with_realize,
    "test_op": _with_test_op,
    "barrier": _with_barrier,
    "fallback": _with_fallback,
}

_inputs: dict[tuple[str, int], torch.Tensor] = {}


def _input(device: str, nbytes: int) -> torch.Tensor:
    """float32 values in [-4, 4), shared by the consecutive tests of one size; one at a time."""
    key = (device, nbytes)
    if key not in _inputs:
        _inputs.clear()
        numel = nbytes // 4
        _inputs[key] = torch.linspace(-4.0, 4.0, numel + 1, device=device)[:numel].clone()
    return _inputs[key]


def _compiled(impl: str, x: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """``impl``'s graph compiled for ``x``'s device and size, once (the realize row reuses
    test_op's for its paired timing)."""
    if impl == "copy_":
        return functools.partial(torch.Tensor.copy_, torch.empty_like(x))
    device, nbytes = str(x.device), x.numel() * x.element_size()
    single_thread = single_threaded(device, nbytes)  # as in test_bench_realize.py
    return compiled_once((device, nbytes), impl, _GRAPHS[impl], x, single_thread=single_thread)


@pytest.mark.parametrize(("target_device", "nbytes", "impl"), _params())
def test_compiled_barrier(
    bench_run: Callable[..., Any], target_device: str, nbytes: int, impl: str
) -> None:
    device = target_device  # (the root conftest owns the name ``device``)
    if not is_present(device):
        pytest.skip(f"device {device} is not present on this machine")
    x = _input(device, nbytes)
    fn = _compiled(impl, x)
    # realize against test_op in the same, alternating rounds: launch-bound sizes swing by
    # tens of microseconds between benchmarks run one after the other (an H100, 2026-12-07).
    paired = {"test_op": _compiled("test_op", x)} if impl == "realize" else {}
    actual = {"fused": 2, "realize": 2, "test_op": 2, "barrier": 4, "fallback": 6, "copy_": 2}
    actual_bytes = actual[impl] * nbytes
    out = bench_run(
        fn,
        x,
        device=device,
        impl=impl,
        group=f"compiled barrier {device} {format_size(nbytes)}",
        suite="compiled_barrier",
        mode="compiled" if impl != "copy_" else "eager",
        dtype="float32",
        layout="contiguous",
        nbytes=nbytes,
        bytes_moved=2 * nbytes,
        bytes_moved_actual=actual_bytes,
        paired=paired,
        paired_rounds=15 if nbytes >= 64 * MiB else 31,
        **({"budget_s": 0.5, "min_rounds": 15} if nbytes >= 64 * MiB else {}),
    )
    # A benchmark of a wrong graph would be meaningless: compare with eager.
    want = x if impl == "copy_" else _fused(x)
    torch.testing.assert_close(out, want)
