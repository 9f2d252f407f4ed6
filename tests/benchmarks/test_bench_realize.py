"""What realize costs: realize against clone, copy and PyTorch's test op, on every device.

Implementations, measured side by side on the same input (one table per device, size,
dtype and layout; the rows of one case run one after the other):

``realize``          ``realize.realize(x)``, the function users call
``op``               ``torch.ops.realize.realize.default(x)``, the bare operator
``clone``            ``x.clone()``, the oracle realize must match
``empty_like_copy``  ``torch.empty_like(x).copy_(x)``
``test_op``          ``torch._inductor.test_operators.realize(x)``, when this torch has it
``copy_``            ``out.copy_(x)`` into a preallocated ``out``: the copy peak, no allocation

Cases (``Case``), eager on every device: the size sweep (float32 contiguous, 4 KiB to
64 MiB on CPU, to 1 GiB on accelerators) and the dtype x layout matrix (float32, bfloat16,
int8, float64 x contiguous, transposed, channels_last, expanded, step-sliced) at a small
and a medium size. Compiled (Inductor, ``dynamic=False``, compiled once per case outside
the timed part): the smallest and the goal sizes, and every dtype and layout at one size.

The goals compare realize with clone (CPU) or with the ``copy_`` peak (accelerators). Those
comparisons are not made between two separate benchmarks: the ``realize`` row of a goal case
also times realize and its yardstick in interleaved rounds (``bench_run(paired=...)``), and
the goal is judged on the per-round ratios (``_paired.py``).

Tiny compiled CPU cases are compiled single-threaded (``cpp.threads=1``): Inductor wraps
even a 1024-element loop in ``#pragma omp parallel``, and on a busy 2-core machine a
parallel region waits for a descheduled thread for a whole time slice, so 4 KiB medians
turned into milliseconds (measured with two busy processes: q3 347 us and p95 3.9 ms with
two OpenMP threads, against 25 us and 0.44 ms with one, for a 22 us median). Both sides of
the comparison are compiled the same way, and the fork/join cost is not what realize adds.

``GBps`` counts the logical bytes, ``numel * itemsize`` read plus the same written, whatever
the strides: an expanded input re-reads cached elements, a step-sliced one reads whole cache
lines for half of them.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import torch

import realize

from ._compile import compiled_once, single_threaded
from ._devices import available_devices, is_present
from ._goals import ACCEL_LARGE, CPU_LARGE, CPU_SMALL, format_size

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

DTYPES = (torch.float32, torch.bfloat16, torch.int8, torch.float64)
LAYOUTS = ("contiguous", "transposed", "channels_last", "expanded", "sliced")
# The pairs that the goals compare (realize and clone, realize and copy_) run next to each
# other, so a burst of load on a shared machine is less likely to fall between them.
EAGER_IMPLS = ("clone", "realize", "copy_", "op", "empty_like_copy", "test_op")
# The operator compiles to the same graph as realize, empty_like+copy_ to the same kernel
# as clone, and copy_ into an input is a mutation: those three stay eager.
COMPILED_IMPLS = ("clone", "realize", "test_op")

HAS_TEST_OP = importlib.util.find_spec("torch._inductor.test_operators") is not None


def _sweep_sizes(device: str) -> list[int]:
    sizes = [4 * KiB, 64 * KiB, 1 * MiB, 16 * MiB, 64 * MiB]
    return sizes if device == "cpu" else [*sizes, 256 * MiB, 1 * GiB]


def _matrix_sizes(device: str) -> list[int]:
    return [4 * KiB, 1 * MiB] if device == "cpu" else [4 * KiB, 64 * MiB]


def _compiled_sizes(device: str) -> list[int]:
    return [4 * KiB, 64 * MiB] if device == "cpu" else [4 * KiB, 256 * MiB, 1 * GiB]


def _compiled_matrix_size(device: str) -> int:
    return 4 * KiB if device == "cpu" else 64 * MiB


@dataclass(frozen=True)
class Case:
    """One input: where, how it is compiled, its dtype, layout and logical size in bytes."""

    device: str
    mode: str
    dtype: torch.dtype
    layout: str
    nbytes: int

    @property
    def dtype_name(self) -> str:
        return str(self.dtype).removeprefix("torch.")

    @property
    def id(self) -> str:
        size = format_size(self.nbytes)
        return f"{self.device}-{self.mode}-{self.dtype_name}-{self.layout}-{size}"

    @property
    def goal_size(self) -> bool:
        """Is this a size where a bandwidth goal is checked? Those get more rounds."""
        return self.nbytes >= (CPU_LARGE if self.device == "cpu" else ACCEL_LARGE)

    @property
    def group(self) -> str:
        return f"{self.device} {format_size(self.nbytes)} {self.dtype_name} {self.layout}"


def _cases(device: str) -> list[Case]:
    f32, contiguous = torch.float32, "contiguous"
    cases = [Case(device, "eager", f32, contiguous, n) for n in _sweep_sizes(device)]
    cases += [
        Case(device, "eager", dtype, layout, n)
        for n in _matrix_sizes(device)
        for dtype in DTYPES
        for layout in LAYOUTS
    ]
    n = _compiled_matrix_size(device)
    cases += [Case(device, "compiled", f32, contiguous, n) for n in _compiled_sizes(device)]
    cases += [Case(device, "compiled", f32, layout, n) for layout in LAYOUTS]
    cases += [Case(device, "compiled", dtype, contiguous, n) for dtype in DTYPES]
    unique = list(dict.fromkeys(cases))
    # Inputs are built once per (dtype, layout, size): keep a case's eager and compiled runs,
    # and all its implementations, next to each other.
    return sorted(unique, key=lambda c: (c.nbytes, c.dtype_name, c.layout, c.mode))


def _params() -> list[Any]:
    params = []
    for device in available_devices():
        for case in _cases(device):
            impls = EAGER_IMPLS if case.mode == "eager" else COMPILED_IMPLS
            params += [pytest.param(case, impl, id=f"{case.id}-{impl}") for impl in impls]
    return params


# --------------------------------------------------------------------------- inputs


def _shape(numel: int) -> tuple[int, int, int, int]:
    """An (n, c, h, w) shape with n = c = 4 and h, w as square as the power of two allows."""
    m = numel // 16
    assert m * 16 == numel and m & (m - 1) == 0, f"numel={numel} is not 16 times a power of 2"
    h = 1 << ((m.bit_length() - 1) // 2)
    return 4, 4, h, m // h


def make_input(device: str, dtype: torch.dtype, layout: str, nbytes: int) -> torch.Tensor:
    """A tensor of ``nbytes`` logical bytes in ``layout`` (values are all 1: speed of a copy
    does not depend on them, and every page is written once so none is lazily mapped)."""
    numel = nbytes // torch.empty((), dtype=dtype).element_size()
    n, c, h, w = _shape(numel)

    def full(*shape: int) -> torch.Tensor:
        return torch.ones(shape, dtype=dtype, device=device)

    if layout == "contiguous":
        return full(n, c, h, w)
    if layout == "transposed":
        return full(n, c, w, h).transpose(-1, -2)
    if layout == "channels_last":
        return full(n, c, h, w).contiguous(memory_format=torch.channels_last)
    if layout == "expanded":
        return full(1, c, h, w).expand(n, c, h, w)
    if layout == "sliced":
        return full(n, c, h, 2 * w)[..., ::2]
    raise ValueError(f"layout={layout!r} is not one of {LAYOUTS}")


_inputs: dict[tuple[str, torch.dtype, str, int], torch.Tensor] = {}


def _input(case: Case) -> torch.Tensor:
    """The case's input, shared by the consecutive tests of one case; one kept at a time."""
    key = (case.device, case.dtype, case.layout, case.nbytes)
    if key not in _inputs:
        _inputs.clear()  # free the previous one first: at 1 GiB two would not be cheap
        _inputs[key] = make_input(*key)
    return _inputs[key]


# --------------------------------------------------------------------------- implementations


def _empty_like_copy(x: torch.Tensor) -> torch.Tensor:
    return torch.empty_like(x).copy_(x)


def _clone(x: torch.Tensor) -> torch.Tensor:
    return x.clone()


def _test_op() -> Callable[[torch.Tensor], torch.Tensor]:
    if not HAS_TEST_OP:
        pytest.skip("this torch has no torch._inductor.test_operators.realize")
    from torch._inductor import test_operators

    return test_operators.realize  # type: ignore[no-any-return]


def _eager(impl: str, x: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    if impl == "realize":
        return realize.realize
    if impl == "op":
        return realize.realize_op
    if impl == "clone":
        return torch.Tensor.clone
    if impl == "empty_like_copy":
        return _empty_like_copy
    if impl == "copy_":
        return functools.partial(torch.Tensor.copy_, torch.empty_like(x))
    assert impl == "test_op", impl
    return _test_op()


def _single_threaded(case: Case) -> bool:
    return single_threaded(case.device, case.nbytes)


def _compiled(case: Case, impl: str, x: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """``impl`` compiled for ``case``, once (the realize row reuses clone's for its paired
    timing)."""
    fn = realize.realize if impl == "realize" else _clone if impl == "clone" else _test_op()
    return compiled_once(case, impl, fn, x, single_thread=_single_threaded(case))


def _yardsticks(case: Case, x: torch.Tensor) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    """What realize is paired with for its goal in this case (none: no goal here)."""
    if case.device == "cpu":
        if case.nbytes >= CPU_LARGE or case.nbytes <= CPU_SMALL:
            return {
                "clone": _eager("clone", x) if case.mode == "eager" else _compiled(case, "clone", x)
            }
        return {}
    return {"copy_": _eager("copy_", x)} if case.nbytes >= ACCEL_LARGE else {}


@pytest.mark.parametrize(("case", "impl"), _params())
def test_copy(bench_run: Callable[..., Any], case: Case, impl: str) -> None:
    if not is_present(case.device):
        pytest.skip(f"device {case.device} is not present on this machine")
    x = _input(case)
    fn = _eager(impl, x) if case.mode == "eager" else _compiled(case, impl, x)
    paired = _yardsticks(case, x) if impl == "realize" else {}
    out = bench_run(
        fn,
        x,
        device=case.device,
        impl=impl,
        group=case.group,
        suite="copy",
        mode=case.mode,
        dtype=case.dtype_name,
        layout=case.layout,
        nbytes=case.nbytes,
        shape=list(x.shape),
        stride=list(x.stride()),
        compile_threads=1 if case.mode == "compiled" and _single_threaded(case) else None,
        paired=paired,
        paired_rounds=15 if case.goal_size else 31,
        **({"budget_s": 0.5, "min_rounds": 15} if case.goal_size else {}),
    )
    # A benchmark of a wrong copy would be meaningless.
    assert torch.equal(out, x), f"{impl} ({case.mode}) did not copy the values of {case.id}"
