"""The PyTorch discrepancies in docs/findings.md, as tests that assert the correct behaviour.

Each is a strict expected failure: when PyTorch fixes one, its test XPASSes,
the run fails, and docs/findings.md (and realize/harness/known_bugs.py) must
be updated. Minimal reproductions, verbatim from the page.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
from torch import func

import realize  # noqa: F401  (registers torch.ops.realize)
from realize.harness import known_bugs

TORCH = torch.__version__


def _fresh_compile(fn):  # type: ignore[no-untyped-def]
    torch._dynamo.reset()
    return torch.compile(fn, fullgraph=True)


@pytest.mark.xfail(
    strict=True,
    reason=f"pytorch/pytorch#145093: Inductor ignores the negative bit (torch {TORCH})",
)
def test_inductor_clone_keeps_the_negative_bit() -> None:
    x = torch.tensor([1 + 2j, 3 - 4j]).conj().imag  # a negative-bit view: [-2., 4.]
    got = _fresh_compile(torch.clone)(x)
    torch.testing.assert_close(got, torch.tensor([-2.0, 4.0]), rtol=0, atol=0)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name,
            marks=pytest.mark.xfail(
                known_bugs.inductor_cannot_copy(getattr(torch, name)),
                strict=True,
                reason=f"Inductor cannot compile clone of the dtype ({TORCH})",
            ),
        )
        for name in known_bugs.INDUCTOR_CANNOT_COPY
        if hasattr(torch, name)
    ],
)
def test_inductor_clone_of_exotic_dtypes_compiles(name: str) -> None:
    dtype = getattr(torch, name)
    x = torch.zeros(4, dtype=torch.uint8).view(torch.int16 if dtype.itemsize == 2 else torch.uint8)
    x = x.view(dtype)
    got = _fresh_compile(torch.clone)(x)
    assert got.dtype == dtype


@pytest.mark.xfail(
    known_bugs.entry("inductor-meta-requires-grad").in_range(),
    strict=True,
    reason=f"Inductor min-cut fails on meta + requires_grad ({TORCH})",
)
def test_inductor_clone_of_meta_tensor_that_requires_grad_compiles() -> None:
    x = torch.empty(3, device="meta", requires_grad=True)
    assert _fresh_compile(torch.clone)(x).shape == (3,)


_lib = torch.library.Library("realize_findings", "DEF")
_lib.define("identity_copy(Tensor self) -> Tensor")
_lib.impl("identity_copy", lambda self: self.clone(), "CompositeExplicitAutograd")
torch.library.register_autograd(
    "realize_findings::identity_copy",
    lambda ctx, grad: grad,
    setup_context=lambda *a, **k: None,
    lib=_lib,
)


@pytest.mark.xfail(strict=True, reason=f"register_autograd ops have no forward mode ({TORCH})")
def test_register_autograd_operator_keeps_forward_tangents() -> None:
    # Any operator whose autograd comes from torch.library.register_autograd (realize's
    # own operators have their own autograd kernel with a jvp rule, for this reason).
    x, t = torch.ones(3), torch.full((3,), 2.0)
    _, tangent = func.jvp(torch.ops.realize_findings.identity_copy.default, (x,), (t,))
    torch.testing.assert_close(tangent, t, rtol=0, atol=0)


ABORT = textwrap.dedent(
    """
    import torch
    f = torch.compile(torch.clone)
    f(torch.zeros(3))
    nt = torch.nested.nested_tensor([torch.zeros(2), torch.zeros(3)], layout=torch.strided)
    f(nt)
    """
)


@pytest.mark.xfail(strict=True, reason=f"process abort: NestedTensorImpl strides ({TORCH})")
def test_compiled_clone_of_strided_nested_tensor_does_not_abort() -> None:
    # in a child process: the bug kills the interpreter
    run = subprocess.run([sys.executable, "-c", ABORT], capture_output=True, text=True, timeout=300)
    assert run.returncode >= 0, f"killed by signal {-run.returncode}: {run.stderr[-500:]}"


@pytest.mark.xfail(strict=True, reason=f"compiled make_dual with dynamic sizes ({TORCH})")
def test_compiled_forward_ad_survives_dynamic_sizes() -> None:
    import torch.autograd.forward_ad as fwAD

    def tangent_of_clone(x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        with fwAD.dual_level():
            return fwAD.unpack_dual(torch.clone(fwAD.make_dual(x, v))).tangent

    torch._dynamo.reset()
    f = torch.compile(tangent_of_clone, backend="eager", fullgraph=True)
    base = torch.ones(10)
    for n, offset in [(2, 0), (2, 1), (3, 2)]:  # the third call compiles with symbolic sizes
        torch.testing.assert_close(f(torch.ones(n), base[offset : offset + n]), torch.ones(n))


@pytest.mark.xfail(strict=True, reason=f"Inductor clone normalises size-0/1 strides ({TORCH})")
def test_inductor_clone_keeps_strides_of_size_one_dimensions() -> None:
    x = torch.empty(4).as_strided((1,), (2,), 1)
    assert x.clone().stride() == (2,)
    assert _fresh_compile(torch.clone)(x).stride() == (2,)


QUANTIZED_VIEW = textwrap.dedent(
    """
    import torch
    q = torch.quantize_per_tensor(torch.tensor([1.0, 2.0]), 0.5, 0, torch.qint8)
    print(q.view(torch.uint8))  # the view is made; reading it crashes
    """
)


@pytest.mark.xfail(strict=True, reason=f"pytorch/pytorch#86848: segfault ({TORCH})")
def test_viewing_a_quantized_tensor_as_another_dtype_does_not_crash() -> None:
    # in a child process: the bug kills the interpreter (realize.testing compares a
    # quantized tensor's int_repr() instead of a bit view, and never calls this)
    run = subprocess.run(
        [sys.executable, "-c", QUANTIZED_VIEW], capture_output=True, text=True, timeout=300
    )
    assert run.returncode >= 0, f"killed by signal {-run.returncode}: {run.stderr[-500:]}"
