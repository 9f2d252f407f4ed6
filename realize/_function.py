"""``realize.realize``: the function users call."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from realize._fast_path import clone_is_equivalent, transforms_active
from realize._op import realize_op

__all__ = ["realize"]

_is_compiling = torch.compiler.is_compiling


class _RealizeFunction(torch.autograd.Function):
    """The operator wrapped with forward-mode and functorch rules.

    An operator whose autograd comes from ``torch.library.register_autograd``
    has no forward-mode formula: under ``jvp``/``jacfwd`` its tangent is silently
    zero and ``grad``/``vjp`` refuse it. Inside a transform ``realize`` therefore
    goes through this Function, whose rules are all the identity and whose
    forward still runs the operator.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(x: Tensor) -> Tensor:
        return realize_op(x)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        pass

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad

    @staticmethod
    def jvp(ctx: Any, tangent: Tensor) -> Tensor:
        return tangent


def realize(x: Tensor) -> Tensor:
    """Return a fresh copy of ``x``: ``x.clone()`` bit for bit, identity backward.

    Under ``torch.compile`` the copy is a materialisation point: the value is
    written to its own buffer and Inductor does not fuse across it.

    Raises ``TypeError`` if ``x`` is not a ``torch.Tensor``.

    >>> import torch, realize
    >>> x = torch.arange(4.0).reshape(2, 2).t()
    >>> y = realize.realize(x)
    >>> y.stride() == x.clone().stride(), y.data_ptr() != x.data_ptr()
    (True, True)
    """
    if _is_compiling():
        # Dynamo traces this branch: the operator lands in the graph.
        return realize_op(x)
    if clone_is_equivalent(x):
        # Nothing observes the call: the operator would run exactly this.
        return x.clone()
    if not isinstance(x, Tensor):
        raise TypeError(f"realize() expected a torch.Tensor, but got {type(x).__name__}: {x!r:.80}")
    if transforms_active():
        return _RealizeFunction.apply(x)  # type: ignore[no-any-return]
    if x.requires_grad and x.is_nested and x.layout == torch.strided and torch.is_grad_enabled():
        # No Python autograd.Function -- so no register_autograd kernel -- can wrap
        # a strided NestedTensorImpl ("doesn't support sizes"). clone's C++
        # autograd can, and its backward is the same identity.
        return x.clone()
    return realize_op(x)
