"""``torch.func`` transforms of a clone-like target: the identity exactly, or an error.

The derivative of clone is the identity, so every transform has an exact
answer: the gradient, cotangent or tangent is ``v`` itself, bit for bit, a
Jacobian is the identity matrix, ``vmap`` gives ``x.clone()``. A transform that
silently gives zeros (an operator without a forward-mode formula) or drops the
tangent of forward AD fails, with the reason spelled out. A target that raises
under a transform raises :class:`TargetRaised` with the input described.

Under :func:`realize.testing.compiled`, the transform and the target are
compiled together (``torch.compile(lambda x, v: jvp(fn, (x,), (v,)))``): Dynamo
does not support calling a transform of an already compiled function from eager.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.autograd.forward_ad as fwAD
from torch import Tensor, func

from realize.testing._backward import _may_overlap
from realize.testing._bits import bit_view, has_data
from realize.testing._compiled import CompiledTarget
from realize.testing._report import Call, Report, recorded

__all__ = ["REAL_ONLY", "TRANSFORMS", "assert_transform"]


#: The batch dimensions of ``vmap`` and ``vmap(grad)``: ``(in_dims, out_dims)``.
Dims = tuple[int, int]


def _grad(fn: Callable[[Tensor], Tensor], x: Tensor, v: Tensor, dims: Dims) -> dict[str, Any]:
    return {"grad": func.grad(lambda t: (fn(t) * v).sum())(x)}


def _vjp(fn: Callable[[Tensor], Tensor], x: Tensor, v: Tensor, dims: Dims) -> dict[str, Any]:
    out, vjp_fn = func.vjp(fn, x)  # type: ignore[misc]
    return {"output": out, "cotangent": vjp_fn(v)[0]}


def _jvp(fn: Callable[[Tensor], Tensor], x: Tensor, v: Tensor, dims: Dims) -> dict[str, Any]:
    out, tangent = func.jvp(fn, (x,), (v,))  # type: ignore[misc]
    return {"output": out, "tangent": tangent}


def _jacrev(fn: Callable[[Tensor], Tensor], x: Tensor, v: Tensor, dims: Dims) -> dict[str, Any]:
    return {"jacobian": func.jacrev(fn)(x)}


def _jacfwd(fn: Callable[[Tensor], Tensor], x: Tensor, v: Tensor, dims: Dims) -> dict[str, Any]:
    return {"jacobian": func.jacfwd(fn)(x)}


def _vmap(fn: Callable[[Tensor], Tensor], x: Tensor, v: Tensor, dims: Dims) -> dict[str, Any]:
    in_dims, out_dims = dims
    return {"output": func.vmap(fn, in_dims=in_dims, out_dims=out_dims)(x)}


def _vmap_grad(fn: Callable[[Tensor], Tensor], x: Tensor, v: Tensor, dims: Dims) -> dict[str, Any]:
    in_dims, out_dims = dims
    per_sample = func.vmap(
        func.grad(lambda t, w: (fn(t) * w).sum()), in_dims=(in_dims, in_dims), out_dims=out_dims
    )(x, v)
    return {"per-sample grad": per_sample}


def _forward_ad(fn: Callable[[Tensor], Tensor], x: Tensor, v: Tensor, dims: Dims) -> dict[str, Any]:
    with fwAD.dual_level():
        out = fwAD.unpack_dual(fn(fwAD.make_dual(x, v)))
        return {"output": out.primal, "tangent": out.tangent}


#: name -> (how to run it, the expression shown in messages)
TRANSFORMS: dict[str, tuple[Callable[..., dict[str, Any]], str]] = {
    "grad": (_grad, "torch.func.grad(lambda t: (fn(t) * v).sum())(x)"),
    "vjp": (_vjp, "torch.func.vjp(fn, x)[1](v)"),
    "jvp": (_jvp, "torch.func.jvp(fn, (x,), (v,))"),
    "jacrev": (_jacrev, "torch.func.jacrev(fn)(x)"),
    "jacfwd": (_jacfwd, "torch.func.jacfwd(fn)(x)"),
    "vmap": (_vmap, "torch.func.vmap(fn, in_dims={i}, out_dims={o})(x)"),
    "vmap_grad": (
        _vmap_grad,
        "torch.func.vmap(torch.func.grad(lambda t, w: (fn(t) * w).sum()), "
        "in_dims=({i}, {i}), out_dims={o})(x, v)",
    ),
    "forward_ad": (_forward_ad, "fwAD.unpack_dual(fn(fwAD.make_dual(x, v)))"),
}
#: Transforms that need a real floating dtype (a real scalar loss, or a real Jacobian).
REAL_ONLY = frozenset({"grad", "jacrev", "jacfwd", "vmap_grad"})
#: Transforms that map over a batch dimension (need x.dim() >= 1): ``in_dims``/``out_dims``.
BATCHED = frozenset({"vmap", "vmap_grad"})
#: Forward mode: the tangent is stored in x's own layout (``make_dual``).
FORWARD_MODE = frozenset({"jvp", "jacfwd", "forward_ad"})
#: ATen's grain size: a CPU copy of fewer elements is one loop, its writes in order.
_ONE_LOOP_NUMEL = 32768


def _tangent_is_ambiguous(transform: str, x: Tensor) -> bool:
    """Whether forward mode at ``x`` has no single right answer.

    ``make_dual`` copies the tangent into ``x``'s layout. Where elements of ``x`` share
    an address, several tangent values are written to one place, and the one that
    stays depends on the order of the writes: a race on a GPU (found on an H100: two
    runs of ``jacfwd(torch.clone)`` differ), or on a CPU copy split across threads.
    Only a CPU copy in one loop is deterministic.
    """
    if transform not in FORWARD_MODE or not has_data(x) or not _may_overlap(x):
        return False
    # jacfwd copies a batch of x.numel() basis tangents at once
    copied = x.numel() ** 2 if transform == "jacfwd" else x.numel()
    return x.device.type != "cpu" or copied >= _ONE_LOOP_NUMEL


def _oracle(
    transform: str, x: Tensor, v: Tensor, dims: Dims
) -> dict[str, tuple[Tensor, tuple[int, ...]]] | None:
    """``torch.clone`` under the same transform: the identity's answer, or None if it raises.

    For most inputs that is ``v`` (or the identity matrix, or ``x``); for an ``x``
    whose elements overlap in memory (expanded), forward mode stores the tangent
    in ``x``'s layout, and clone's answer is what the target must match (where that
    store is deterministic: see :func:`_tangent_is_ambiguous`).
    """
    run, _ = TRANSFORMS[transform]
    try:
        got = run(torch.clone, x, v, dims)
    except Exception:  # clone itself cannot do it: nothing to compare with
        return None
    # a copy (the target must not be able to write into the answer) and the strides
    return {k: (t.detach().clone(), t.stride()) for k, t in got.items() if isinstance(t, Tensor)}


def _compiled_strides(
    fn: CompiledTarget, transform: str, x: Tensor, v: Tensor, dims: Dims
) -> dict[str, tuple[int, ...]]:
    """The strides of ``torch.clone`` under the transform, compiled as ``fn`` is."""
    run, _ = TRANSFORMS[transform]
    try:
        got = fn.compile(lambda a, b: run(torch.clone, a, b, dims))(x, v)
    except Exception:  # the compiler cannot do it for clone: keep eager's strides
        return {}
    return {k: t.stride() for k, t in got.items() if isinstance(t, Tensor)}


def _is_zero(t: Tensor) -> bool:
    return t.numel() > 0 and not bool(bit_view(t).bool().any())


def _compare(
    report: Report,
    transform: str,
    name: str,
    got: object,
    expected: Tensor,
    stride: tuple[int, ...],
) -> None:
    """dtype, shape, values bit for bit; under vmap the strides too (batching rules place
    the batch dimension, and clone's keeps it where it was)."""
    what = f"{transform} {name}"
    if got is None:
        why = "the tangent was dropped" if name == "tangent" else "no result"
        report.fail(what, "None", f"a tensor equal to {_source(transform, name)} ({why})")
        return
    if not isinstance(got, Tensor):
        report.fail(f"{what} type", type(got).__name__, "Tensor")
        return
    for field, g, e in (
        ("dtype", got.dtype, expected.dtype),
        ("shape", tuple(got.shape), tuple(expected.shape)),
    ):
        if g != e:
            report.fail(f"{what}.{field}", g, e)
            return
    if transform in BATCHED and got.stride() != stride:
        report.fail(f"{what}.stride", got.stride(), f"{stride} (torch.clone's)")
    if not (has_data(got) and has_data(expected)):
        return
    if not report.fail_values(what, got, expected) and _is_zero(got) and not _is_zero(expected):
        report.details.append(
            f"{what} is all zeros, but should be {_source(transform, name)}: the target "
            f"silently drops the derivative under {transform} (no formula for this mode?)"
        )


def _source(transform: str, name: str) -> str:
    return f"torch.clone's {name} (the identity's)"


def assert_transform(
    fn: Callable[[Tensor], Tensor],
    transform: str,
    x: Tensor,
    v: Tensor | None = None,
    *,
    in_dims: int = 0,
    out_dims: int = 0,
    call: Callable[..., Any] | str | None = None,
) -> None:
    """Assert that ``transform`` of ``fn`` at ``x`` is the identity's, bit for bit.

    ``transform`` is a key of :data:`TRANSFORMS`. ``v`` is the cotangent or
    tangent (default: ``x``'s values plus one, contiguous); it must be finite,
    since ``grad`` multiplies by it. ``grad``, ``jacrev``, ``jacfwd`` and
    ``vmap_grad`` need a real floating ``x``; ``vmap`` and ``vmap_grad`` need
    ``x.dim() >= 1`` and map over dimension ``in_dims`` of ``x`` (and ``v``),
    putting the batch dimension of the result at ``out_dims``; their results must
    also have the strides ``torch.clone`` gets under the same ``vmap``. A
    :class:`~realize.testing.CompiledTarget` is compiled together with the transform.
    Forward mode (``jvp``, ``jacfwd``, ``forward_ad``) stores the tangent in ``x``'s
    layout: at an ``x`` whose elements share memory that store has no single answer
    except in a one-loop CPU copy (elsewhere which write lands is a race), so there
    ``x`` is checked as a contiguous copy of itself.

    >>> import torch
    >>> from realize.testing import assert_transform
    >>> assert_transform(torch.clone, "jvp", torch.arange(4.0).reshape(2, 2).t())
    """
    __tracebackhide__ = True
    if transform not in TRANSFORMS:
        raise ValueError(f"transform={transform!r} is not one of {sorted(TRANSFORMS)}")
    if transform in REAL_ONLY and not x.dtype.is_floating_point:
        raise TypeError(f"{transform} needs a real floating x, got x.dtype={x.dtype}")
    if transform in BATCHED:
        if x.dim() == 0:
            raise TypeError(f"{transform} maps over a dimension: x.dim() must be >= 1, got 0")
        for name, dim in (("in_dims", in_dims), ("out_dims", out_dims)):
            if not -x.dim() <= dim < x.dim():
                raise ValueError(f"{name}={dim} is not a dimension of x (x.dim()={x.dim()})")
    x = x.detach()
    if _tangent_is_ambiguous(transform, x):
        # Adapted, never reported: two runs of torch.clone itself would differ there.
        x = x.clone(memory_format=torch.contiguous_format)
    if v is None:
        v = torch.ones_like(x, memory_format=torch.contiguous_format)
    v = v.detach()
    run, shown = TRANSFORMS[transform]
    report = Report(f"{transform} transform", Call.of(call if call is not None else fn))
    tensors = [
        recorded("x", x),
        recorded("v", v),
    ]
    dims = (in_dims, out_dims)
    batched = f", in_dims={in_dims}, out_dims={out_dims}" if transform in BATCHED else ""
    reproduce = [
        f"realize.testing.assert_transform({report.call.expression}, {transform!r}, x, v{batched})"
    ]
    expected = _oracle(transform, x, v, dims)
    if expected is None:
        return  # undefined for this input: clone raises under the transform too
    if transform in BATCHED and isinstance(fn, CompiledTarget):
        # Strides under torch.compile are the compiler's: compare with clone compiled alike
        # (values stay compared with eager clone, the stronger oracle).
        strides = _compiled_strides(fn, transform, x, v, dims)
        expected = {k: (e, strides.get(k, s)) for k, (e, s) in expected.items()}
    with report.calling(tensors, reproduce):
        if isinstance(fn, CompiledTarget):
            raw = fn.fn
            got = fn.compile(lambda a, b: run(raw, a, b, dims))(x, v)
        else:
            got = run(fn, x, v, dims)
    where = shown.replace("fn", report.call.expression).format(i=in_dims, o=out_dims)
    for name, (e, stride) in expected.items():
        _compare(report, transform, name, got.get(name), e, stride)
    report.failures = [f"{f[: f.rindex(' [')]} [{where}]" for f in report.failures]
    report.raise_if_failed(tensors, reproduce)
