"""Identity backward: the gradient through the op is ``grad_output``, bit for bit.

Checked once, again on a retained graph, through the op used twice in a row,
through two uses whose gradients accumulate, and through double backward.
``assert_gradcheck`` adds torch's numerical ``gradcheck``/``gradgradcheck`` for
float64 and complex128.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from realize._bit_dtypes import word_dtype
from realize.testing._bits import has_data
from realize.testing._report import Call, Report, recorded
from realize.testing._tensor_layouts import is_plain, metadata, parts

__all__ = ["assert_gradcheck", "assert_identity_backward", "bit_pattern", "gradcheck_input"]

# Fibonacci hashing: consecutive indices map to well-spread bit patterns.
_GOLDEN = -7046029254386353131  # 0x9E3779B97F4A7C15 as a signed int64


def bit_pattern(like: Tensor, salt: int = 0, *, finite: bool = False) -> Tensor:
    """A deterministic tensor shaped like ``like`` whose elements are varied raw bits.

    Element 0 is -0.0 and element 1 the smallest subnormal; the rest spread over
    every exponent, NaN payloads and infinities included. ``finite=True`` gives
    small exact values instead (multiples of 0.25 in [-2, 2]) that survive an add.
    """
    n = like.numel()
    if finite:
        values = (torch.arange(n, dtype=torch.float32) * 7 + salt) % 17 / 4 - 2
        if like.dtype.is_complex:
            values = torch.complex(values, values.flip(0) if n else values)
        return values.to(like.dtype).reshape(like.shape).to(like.device)
    itemsize = like.dtype.itemsize
    word = word_dtype(itemsize)
    words_per_item = max(1, itemsize // 8)
    i = torch.arange(n * words_per_item, dtype=torch.int64) + salt * 1_000_003
    bits = i * _GOLDEN
    bits = bits >> (64 - 8 * min(itemsize, 8)) if itemsize < 8 else bits
    bits = bits.to(word)
    if n * words_per_item >= 2:
        bits[0] = torch.iinfo(word).min  # sign bit only: -0.0
        bits[1] = 1  # smallest positive subnormal
    return bits.view(like.dtype).reshape(like.shape).to(like.device)


def _grad(
    report: Report,
    what: str,
    outputs: tuple[Tensor, ...],
    inputs: tuple[Tensor, ...],
    grad_outputs: tuple[Tensor, ...],
    **kwargs: Any,
) -> Tensor | None:
    try:
        (g,) = torch.autograd.grad(outputs, inputs, grad_outputs, **kwargs)
    except RuntimeError as e:
        report.fail(what, f"RuntimeError({str(e).splitlines()[0]!r})", "a gradient")
        return None
    return g


def _same_bits(report: Report, what: str, got: Tensor | None, expected: Tensor) -> None:
    if got is None:
        return
    for name, g, e in (
        ("dtype", got.dtype, expected.dtype),
        ("shape", tuple(got.shape), tuple(expected.shape)),
        ("device", got.device, expected.device),
    ):
        if g != e:
            report.fail(f"{what}.{name}", g, e)
            return
    if has_data(got) and has_data(expected):
        report.fail_values(what, got, expected)


def _leaf(x: Tensor) -> Tensor:
    return x if x.requires_grad else x.detach().requires_grad_()


def assert_identity_backward(
    fn: Callable[[Tensor], Tensor],
    x: Tensor,
    grad_output: Tensor | None = None,
    *,
    call: Callable[..., Any] | str | None = None,
    double_backward: bool = True,
) -> None:
    """Assert that the gradient of ``fn`` at ``x`` is ``grad_output`` exactly.

    ``x`` must have a floating or complex dtype; it is detached into a leaf that
    requires grad unless it already requires grad. ``grad_output`` may have any
    strides (non-contiguous, expanded); by default it is :func:`bit_pattern`,
    varied raw bits with -0.0, subnormals, NaN payloads and infinities. Also
    checks a second backward on a retained graph, ``fn(fn(x))``, two uses of
    ``fn(x)`` whose gradients add up, and (``double_backward=True``) that the
    gradient of the gradient with respect to ``grad_output`` is exact too.

    >>> import torch
    >>> from realize.testing import assert_identity_backward
    >>> assert_identity_backward(torch.clone, torch.randn(3, 4).t())
    """
    __tracebackhide__ = True
    report = Report("identity backward", Call.of(call if call is not None else fn))
    if not is_plain(x):
        _layout_identity_backward(report, fn, x)
        return
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        raise TypeError(
            f"assert_identity_backward needs a float or complex x, got x.dtype={x.dtype}"
        )
    x = _leaf(x)
    tensors = [recorded("x", x)]
    args = "x"
    if grad_output is not None:
        v = grad_output.detach()
        tensors.append(recorded("grad_output", v))
        args = "x, grad_output"
    reproduce = [f"realize.testing.assert_identity_backward({report.call.expression}, {args})"]
    with report.calling(tensors, reproduce):
        y = fn(x)
        if grad_output is None:
            grad_output = bit_pattern(y if isinstance(y, Tensor) else x)
        v = grad_output.detach()
        call_x = report.call("x")
        if not isinstance(y, Tensor) or not y.requires_grad:
            got = type(y).__name__ if not isinstance(y, Tensor) else False
            report.fail("requires_grad", got, True, f"{call_x} with x.requires_grad=True")
        else:
            _check_identity(report, fn, x, y, v, double_backward)
    report.raise_if_failed(tensors, reproduce)


def _check_identity(
    report: Report,
    fn: Callable[[Tensor], Tensor],
    x: Tensor,
    y: Tensor,
    v: Tensor,
    double_backward: bool,
) -> None:
    call_x = report.call("x")
    # compared against a copy: a backward that writes into grad_output must not
    # get away with it by making grad_output equal to its wrong answer
    expected_v = v.clone()
    g = _grad(report, "grad", (y,), (x,), (v,), retain_graph=True)
    _same_bits(report, "grad", g, expected_v)
    _same_bits(report, "grad_output after backward", v, expected_v)
    if report.failures:
        return
    g = _grad(report, "grad with retain_graph, second backward", (y,), (x,), (v,))
    _same_bits(report, "grad with retain_graph, second backward", g, expected_v)

    chained = fn(fn(x))
    g = _grad(report, "grad through fn(fn(x))", (chained,), (x,), (v,))
    _same_bits(report, "grad through fn(fn(x))", g, expected_v)

    # Accumulation adds the two gradients: finite values keep NaN propagation
    # (which differs between add kernels) out of the comparison.
    try:
        first, second = bit_pattern(v, salt=1, finite=True), bit_pattern(v, salt=2, finite=True)
        expected = first + second
    except (RuntimeError, NotImplementedError, TypeError):
        expected = None  # no add for this dtype: the engine cannot accumulate either
    if expected is not None:
        what = "grad of two uses (fn(x), fn(x))"
        g = _grad(report, what, (fn(x), fn(x)), (x,), (first, second))
        _same_bits(report, what, g, expected)

    if double_backward:
        vg = v.detach().requires_grad_()
        g = _grad(report, "grad with create_graph", (fn(x),), (x,), (vg,), create_graph=True)
        if g is not None and not g.requires_grad:
            report.fail(
                "double backward: grad.requires_grad",
                False,
                True,
                f"autograd.grad({call_x}, x, grad_output, create_graph=True)",
            )
        elif g is not None:
            w = bit_pattern(v, salt=2)
            gg = _grad(report, "double backward grad", (g,), (vg,), (w,))
            _same_bits(report, "double backward grad", gg, w)


def _weighted_sum(y: Tensor) -> Tensor:
    """A scalar whose gradient through ``y`` reaches every stored element with its own weight."""
    values = y.values() if y.is_nested else y.to_dense() if y.layout != torch.strided else y
    weights = bit_pattern(values.detach(), salt=3, finite=True)
    return (values * weights).sum()


def _layout_identity_backward(report: Report, fn: Callable[[Tensor], Tensor], x: Tensor) -> None:
    """Sparse and nested layouts: the gradient is clone's, part for part, bit for bit.

    Where autograd cannot differentiate ``clone`` of this layout at all (quantized
    tensors, dtypes without arithmetic), there is nothing to check.
    """
    __tracebackhide__ = True
    if not (x.dtype.is_floating_point or x.dtype.is_complex) or x.is_quantized:
        return
    tensors = [recorded("x", x)]
    reproduce = [f"realize.testing.assert_identity_backward({report.call.expression}, x)"]

    def gradient(f: Callable[[Tensor], Tensor]) -> Tensor:
        leaf = x.detach().clone().requires_grad_()
        (g,) = torch.autograd.grad(_weighted_sum(f(leaf)), leaf)
        return g

    try:
        expected = gradient(torch.clone)
    except (RuntimeError, NotImplementedError, TypeError):
        return  # autograd does not support this layout's clone: not the target's to pass
    with report.calling(tensors, reproduce):
        got = gradient(fn)
    want, have = metadata(expected), metadata(got)
    for name, value in want.items():
        if name != "requires_grad" and have.get(name) != value:
            report.fail(f"grad {name}", have.get(name), value)
    if not report.failures:
        got_parts = parts(got)
        for name, e in parts(expected).items():
            g = got_parts.get(name)
            if g is None or g.shape != e.shape or g.dtype != e.dtype:
                report.fail(f"grad {name}", None if g is None else tuple(g.shape), tuple(e.shape))
            elif has_data(g):
                report.fail_values(f"grad {name}", g, e)
    report.raise_if_failed(tensors, reproduce)


def _may_overlap(x: Tensor) -> bool:
    """True unless ``x`` certainly has no two elements at one address (and no stride 0)."""
    if 0 in x.stride():
        return True  # gradcheck refuses stride 0 even on a dimension of size 0 or 1
    dims = sorted((s, n) for s, n in zip(x.stride(), x.shape, strict=True) if n > 1)
    reach = 1
    for stride, size in dims:
        if stride < reach:
            return True
        reach = stride * size
    return False


#: gradcheck's finite differences (eps=1e-6) resolve values up to about this size.
GRADCHECK_MAX_ABS = 1e3
#: Above this many elements, gradcheck's fast mode (a random projection of the Jacobian).
FULL_JACOBIAN_MAX_NUMEL = 64


def gradcheck_input(x: Tensor) -> Tensor:
    """``x`` as ``gradcheck`` can take it: same shape, dtype, device and, where possible,
    strides and values.

    gradcheck perturbs each memory location by ``eps`` and compares finite differences
    with the analytic Jacobian, so it cannot take every tensor a strategy draws:

    - elements that share memory, or a stride 0 even on a dimension of size 0 or 1:
      a fresh contiguous copy instead;
    - NaN, infinities and values beyond +-1e3 (where ``x + eps == x``): those elements
      become 0.5, the others keep their values.

    The adapted input tests the same function; a correct target passes on it.
    """
    x = x.detach()
    if _may_overlap(x):
        x = x.clone(memory_format=torch.contiguous_format)
    parts = torch.view_as_real(x.resolve_conj()) if x.is_complex() else x.resolve_neg()
    moderate = parts.isfinite() & (parts.abs() <= GRADCHECK_MAX_ABS)
    if not bool(moderate.all()):
        replaced = torch.where(moderate, parts, torch.full_like(parts, 0.5))
        fixed = torch.view_as_complex(replaced) if x.is_complex() else replaced
        x = torch.empty_strided(x.shape, x.stride(), dtype=x.dtype, device=x.device).copy_(fixed)
    return x


def assert_gradcheck(
    fn: Callable[[Tensor], Tensor],
    x: Tensor,
    *,
    call: Callable[..., Any] | str | None = None,
) -> None:
    """Run ``torch.autograd.gradcheck`` and ``gradgradcheck`` of ``fn`` at ``x``.

    ``x`` must be float64 or complex128; any strides and values are taken, adapted
    by :func:`gradcheck_input` where gradcheck itself cannot take them (overlapping
    memory, stride 0, NaN, infinities, huge values), so that a correct ``fn`` is
    never reported. Above ``FULL_JACOBIAN_MAX_NUMEL`` elements gradcheck runs in its
    ``fast_mode`` (a random projection of the Jacobian, seeded from torch's RNG, which
    Hypothesis seeds per example): a full Jacobian costs two calls per element.

    >>> import torch
    >>> from realize.testing import assert_gradcheck
    >>> assert_gradcheck(torch.clone, torch.tensor([float("nan"), 1e300, 2.0]).double())
    """
    __tracebackhide__ = True
    if x.dtype not in (torch.float64, torch.complex128):
        raise TypeError(f"assert_gradcheck needs float64 or complex128, got x.dtype={x.dtype}")
    x = gradcheck_input(x).requires_grad_()
    report = Report("gradcheck", Call.of(call if call is not None else fn))
    tensors = [recorded("x", x)]
    reproduce = [f"realize.testing.assert_gradcheck({report.call.expression}, x)"]
    with report.calling(tensors, reproduce):
        for name, check in (
            ("gradcheck", torch.autograd.gradcheck),
            ("gradgradcheck", torch.autograd.gradgradcheck),
        ):
            try:
                check(fn, (x,), fast_mode=x.numel() > FULL_JACOBIAN_MAX_NUMEL)
            except RuntimeError as e:
                report.fail(name, f"failed: {str(e).strip().splitlines()[0]}", "passed")
                break
    report.raise_if_failed(tensors, reproduce)
