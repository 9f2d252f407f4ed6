"""The PyTorch discrepancies in docs/findings.md, as tests that assert the correct behaviour.

Each is a strict expected failure: when PyTorch fixes one, its test XPASSes,
the run fails, and docs/findings.md (and realize/harness/known_bugs.py) must
be updated. Minimal reproductions, verbatim from the page.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest
import torch
from torch import func

import realize  # noqa: F401  (registers torch.ops.realize)
from realize.harness import known_bugs

TORCH = torch.__version__


@pytest.fixture(autouse=True)
def _scratch_cwd(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # A failing min-cut partition (inductor-meta-requires-grad) writes
    # min_cut_failed_graph.txt into the working directory: keep it out of the checkout.
    monkeypatch.chdir(tmp_path)


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


_CUDA = torch.cuda.is_available()
_NO_CUDA = pytest.mark.skipif(not _CUDA, reason="needs a CUDA device")
#: device -> the exotic-dtype entry's table and predicate (Inductor's C++ backend; CUDA)
_EXOTIC = {
    "cpu": (known_bugs.INDUCTOR_CANNOT_COPY, known_bugs.inductor_cannot_copy),
    "cuda": (known_bugs.INDUCTOR_CUDA_CANNOT_COPY, known_bugs.inductor_cuda_cannot_copy),
}


def _exotic(device: str, name: str, *marks: pytest.MarkDecorator) -> Any:
    if device == "cuda":
        marks = (*marks, _NO_CUDA)
    return pytest.param(device, name, marks=marks, id=f"{device}-{name}")


def _raw(dtype: torch.dtype, numel: int, device: str) -> torch.Tensor:
    """``numel`` zeros of ``dtype``, built from raw bytes (these dtypes have no constructors)."""
    raw = torch.int16 if dtype.itemsize == 2 else torch.uint8
    return torch.zeros(numel, dtype=raw, device=device).view(dtype)


@pytest.mark.parametrize(
    ("device", "name"),
    [
        _exotic(
            device,
            name,
            pytest.mark.xfail(
                cannot(getattr(torch, name)),
                strict=True,
                reason=f"Inductor cannot compile clone of the dtype on {device} ({TORCH})",
            ),
        )
        for device, (table, cannot) in _EXOTIC.items()
        for name in table
        if hasattr(torch, name)
    ],
)
def test_inductor_clone_of_exotic_dtypes_compiles(device: str, name: str) -> None:
    dtype = getattr(torch, name)
    x = _raw(dtype, 4, device)
    got = _fresh_compile(torch.clone)(x)
    assert got.dtype == dtype
    assert torch.equal(got.view(torch.uint8), x.view(torch.uint8))


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


@pytest.mark.xfail(
    known_bugs.entry("aot-autograd-restrided-tangent-create-graph").in_range(),
    strict=True,
    raises=RuntimeError,
    reason=f"AOTAutograd restrides a tangent by copy_ into a leaf that requires grad ({TORCH})",
)
@pytest.mark.parametrize("backend", ["aot_eager", "inductor"])
def test_compiled_backward_with_create_graph_takes_a_tangent_of_any_strides(backend: str) -> None:
    torch._dynamo.reset()
    f = torch.compile(torch.clone, backend=backend, fullgraph=True)
    x = torch.zeros(3, 2).t().requires_grad_()  # strides (1, 2); f(x) keeps them
    g = torch.arange(6.0).reshape(2, 3).requires_grad_()  # strides (3, 1)
    (gx,) = torch.autograd.grad(f(x), x, g, create_graph=True)
    torch.testing.assert_close(gx, g, rtol=0, atol=0)


def test_a_tangent_of_the_outputs_strides_works_with_create_graph() -> None:
    # The control: the failure above is about the tangent's strides, nothing else.
    torch._dynamo.reset()
    f = torch.compile(torch.clone, backend="aot_eager", fullgraph=True)
    x = torch.zeros(3, 2).t().requires_grad_()
    g = torch.arange(6.0).reshape(3, 2).t().requires_grad_()
    (gx,) = torch.autograd.grad(f(x), x, g, create_graph=True)
    torch.testing.assert_close(gx, g, rtol=0, atol=0)


@pytest.mark.xfail(
    known_bugs.entry("aot-autograd-no-double-backward").in_range(),
    strict=True,
    raises=RuntimeError,
    reason=f"documented: aot_autograd does not support double backward ({TORCH})",
)
def test_compiled_clone_supports_double_backward() -> None:
    torch._dynamo.reset()
    f = torch.compile(torch.clone, backend="aot_eager", fullgraph=True)
    x = torch.ones(2, requires_grad=True)
    w = torch.ones(2, requires_grad=True)
    (gx,) = torch.autograd.grad(f(x), x, w, create_graph=True)
    (gw,) = torch.autograd.grad(gx, w, torch.full((2,), 3.0))
    torch.testing.assert_close(gw, torch.full((2,), 3.0), rtol=0, atol=0)


@pytest.mark.xfail(
    known_bugs.entry("meta-empty-like-size-one-strides").in_range(),
    strict=True,
    reason=f"meta's empty_like (torch._refs) normalises size-1 strides ({TORCH})",
)
def test_empty_like_on_meta_keeps_the_strides_cpu_keeps() -> None:
    def like(device: str) -> tuple[int, ...]:
        x = torch.empty(8, device=device).as_strided((2, 1, 3), (3, 99, 1))
        return torch.empty_like(x).stride()

    assert like("meta") == like("cpu") == (3, 99, 1)


@pytest.mark.parametrize(
    ("device", "name"), [_exotic(d, n) for d, (table, _) in _EXOTIC.items() for n in sorted(table)]
)
def test_the_exotic_dtype_entries_know_which_empty_tensors_fail(device: str, name: str) -> None:
    # The C++ entry is exact, so it must know that an empty float8_e8m0fnu or
    # float4_e2m1fn_x2 compiles (their failure is in code generation) while an empty bits
    # tensor does not. On CUDA (H100, torch 2.11) an empty fnuz float8 compiled (no Triton
    # kernel) and an empty bits tensor did not: the predicate must say the same.
    if not hasattr(torch, name):
        pytest.skip(f"torch {TORCH} has no {name}")
    dtype = getattr(torch, name)
    try:
        _fresh_compile(torch.clone)(_raw(dtype, 0, device))
        failed = False
    except torch._dynamo.exc.BackendCompilerFailed:
        failed = True
    assert failed == _EXOTIC[device][1](dtype, numel=0)
