"""``realize.realize`` and ``realize.barrier``: the functions users call."""

from __future__ import annotations

import torch
from torch import Tensor

from realize._fast_path import clone_is_equivalent, transforms_active
from realize._ops import barrier_op, realize_op, transform_function

__all__ = ["barrier", "realize"]

_is_compiling = torch.compiler.is_compiling


def _materialise(op: torch._ops.OpOverload, x: Tensor, caller: str) -> Tensor:
    if _is_compiling():
        # Dynamo traces this branch: the operator lands in the graph. Called through
        # its packet (``torch.ops.realize.realize``), as PyTorch's test op calls its
        # own, so Dynamo names the node ``realize`` like the seed's, and Inductor's
        # comments and debug traces read the same.
        return getattr(torch.ops.realize, caller)(x)  # type: ignore[no-any-return]
    if clone_is_equivalent(x):
        # Nothing intercepts the call: the operator would run exactly this, and clone
        # records its own autograd node with the same formulas (realize._fast_path).
        return x.clone()
    if not isinstance(x, Tensor):
        if hasattr(type(x), "__torch_function__"):  # an FX Proxy, a tensor-like
            return op(x)  # type: ignore[no-any-return]
        raise TypeError(
            f"{caller}() expected a torch.Tensor, but got {type(x).__name__}: {x!r:.80}"
        )
    if transforms_active():
        # Function.apply takes functorch's route (custom_function_call), which
        # differentiates every level, nested transforms included.
        return transform_function(op).apply(x)  # type: ignore[no-any-return]
    if x.requires_grad and x.is_nested and x.layout == torch.strided and torch.is_grad_enabled():
        # No Python autograd.Function -- so no autograd kernel of ours -- can wrap
        # a strided NestedTensorImpl ("doesn't support sizes"). clone's C++
        # autograd can, and its backward is the same identity.
        return x.clone()
    return op(x)  # type: ignore[no-any-return]


def realize(x: Tensor) -> Tensor:
    """Return a fresh copy of ``x``: ``x.clone()`` bit for bit, identity backward.

    Under ``torch.compile`` it does what PyTorch's test op
    ``torch._inductor.test_operators.realize`` does: the value becomes a buffer
    of its own before fusion, and Inductor's scheduler may then fuse it. Use
    :func:`barrier` to forbid that fusion.

    Raises ``TypeError`` if ``x`` is not a ``torch.Tensor``.

    >>> import torch, realize
    >>> x = torch.arange(4.0).reshape(2, 2).t()
    >>> y = realize.realize(x)
    >>> y.stride() == x.clone().stride(), y.data_ptr() != x.data_ptr()
    (True, True)
    """
    return _materialise(realize_op, x, "realize")


def barrier(x: Tensor) -> Tensor:
    """Return a fresh copy of ``x`` that Inductor never fuses across.

    In eager mode it is :func:`realize` (``x.clone()`` bit for bit, identity
    backward). Under ``torch.compile`` the value is written to a buffer of its
    own, and no kernel computes both sides of it: ``barrier(x.sin()).cos()``
    compiles to two kernels where ``x.sin().cos()`` compiles to one.

    Raises ``TypeError`` if ``x`` is not a ``torch.Tensor``.

    >>> import torch, realize
    >>> x = torch.arange(4.0)
    >>> torch.equal(realize.barrier(x), x.clone())
    True
    """
    return _materialise(barrier_op, x, "barrier")
