"""The operators, defined once from one table: ``realize::realize`` and ``realize::barrier``.

Both are ``clone`` in eager mode -- one kernel for every backend, clone's own
fake kernel, an identity backward, an exact forward-mode rule and a vmap rule --
and differ only in what Inductor does with them (``realize/_lowering.py``):

* ``realize``: what PyTorch's test op ``torch._inductor.test_operators.realize``
  does -- the value becomes a buffer before fusion, the scheduler may fuse it;
* ``barrier``: a true fusion barrier -- no kernel is shared across it.

A third materialisation variant is one more :class:`OpSpec` here plus its
lowering in ``realize/_lowering.py`` and a three-line function in
``realize/_functions.py``.

Why our own autograd kernel instead of ``torch.library.register_autograd``: an
operator registered that way gets no forward-mode rule (``jvp``/``jacfwd`` see
a silent zero tangent) and its generated ``autograd.Function`` has no
``setup_context``, so ``torch.func.grad``/``vjp`` refuse it. The kernel below
wraps the operator in a ``torch.func``-ready ``autograd.Function`` (identity
backward, identity jvp, vmap rule) applied at the current autograd level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from realize import _autograd_internals, _nested, _overload_call
from realize._fast_path import clone_is_equivalent, transforms_active

__all__ = ["NAMESPACE", "OPS", "OpSpec", "barrier_op", "realize_op", "transform_function"]

NAMESPACE = "realize"


@dataclass(frozen=True)
class OpSpec:
    """One materialisation operator: ``realize::<name>(Tensor self) -> Tensor``."""

    name: str
    summary: str

    @property
    def qualname(self) -> str:
        return f"{NAMESPACE}::{self.name}"


OPS = (
    OpSpec("realize", "clone; under Inductor a buffer before fusion, fusable afterwards"),
    OpSpec("barrier", "clone; under Inductor a true fusion barrier"),
)

_lib = torch.library.Library(NAMESPACE, "DEF")


def _no_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
    pass  # the identity needs nothing from the forward


def _identity_backward(ctx: Any, grad: Tensor) -> Tensor:
    # Returning ``grad`` itself (not a copy) keeps double backward exact:
    # d(grad)/d(grad_output) is the identity with no op in between.
    return grad


def _nested_transforms_message(name: str) -> str:
    return (
        f"torch.ops.realize.{name}.default was called under nested differentiating "
        "transforms (hessian, jacfwd(jacrev(f)), grad(grad(f)), func.grad inside "
        "forward_ad.dual_level, ...). PyTorch runs an operator's autograd kernel "
        "after torch.func has unwrapped the innermost level, so the bare operator "
        "can be differentiated at one level only; a result here would silently drop "
        f"the outer derivatives. Call realize.{name}(x) instead: it is exact under "
        "every transform, nested ones included."
    )


def _autograd_function(
    op: torch._ops.OpOverload, name: str, *, in_kernel: bool
) -> type[torch.autograd.Function]:
    """A ``torch.func``-ready Function around ``op``: identity backward and jvp, vmap rule.

    ``in_kernel``: the Function of the operator's own autograd kernel, whose forward
    must skip that kernel; otherwise the Function that ``realize.realize`` applies
    under transforms, whose forward calls the operator as any code would.
    """

    def forward(x: Tensor) -> Tensor:
        if not in_kernel:
            return op(x)  # type: ignore[no-any-return]
        with _autograd_internals.below_autograd():
            return op(x)  # type: ignore[no-any-return]

    def jvp(ctx: Any, tangent: Tensor) -> Tensor:
        # clone's forward derivative is clone of the tangent: a fresh tensor, so
        # an in-place update of the output's tangent never touches the input's.
        return tangent.clone()

    attributes: dict[str, Any] = {
        "forward": staticmethod(forward),
        "setup_context": staticmethod(_no_context),
        "backward": staticmethod(_identity_backward),
        "jvp": staticmethod(jvp),
    }
    if in_kernel:  # applied at one autograd level (see _autograd_internals)
        base = _autograd_internals.SingleLevelFunction
    else:
        base, attributes["generate_vmap_rule"] = torch.autograd.Function, True
    # type(), not a class statement: autograd names grad_fn after the class
    # (``<RealizeBackward>``, ``<BarrierBackward>``) when the class is created.
    return type(name.capitalize(), (base,), attributes)


_TRANSFORM_FUNCTIONS: dict[torch._ops.OpOverload, type[torch.autograd.Function]] = {}


def transform_function(op: torch._ops.OpOverload) -> type[torch.autograd.Function]:
    """The Function ``realize.realize``/``realize.barrier`` apply under ``torch.func``."""
    return _TRANSFORM_FUNCTIONS[op]


def _define(spec: OpSpec) -> torch._ops.OpOverload:
    name = spec.name
    _lib.define(f"{name}(Tensor self) -> Tensor", tags=(torch.Tag.pt2_compliant_tag,))
    op: torch._ops.OpOverload = getattr(getattr(torch.ops, NAMESPACE), name).default

    def clone_kernel(self: Tensor) -> Tensor:
        # The schema lets ``None`` through as an undefined tensor; without this check
        # the user would see ``AttributeError: 'NoneType' object has no attribute 'clone'``.
        _overload_call.check_tensor(spec.qualname, self)
        return self.clone()

    # One kernel for every dense, sparse and quantized backend (CPU, CUDA, MPS,
    # XPU, HPU, PrivateUse1, Meta, ...); nested tensors need their own keys.
    _lib.impl(name, clone_kernel, "CompositeExplicitAutograd")
    _nested.register_nested(_lib, name, clone_kernel)
    # Under FakeTensorMode clone runs its own meta function: same shape, dtype,
    # strides (kept when dense, else clone's suggested memory format), conj/neg bits.
    torch.library.register_fake(spec.qualname, clone_kernel, lib=_lib)

    function = _autograd_function(op, name, in_kernel=True)
    _TRANSFORM_FUNCTIONS[op] = _autograd_function(op, name, in_kernel=False)

    if _autograd_internals.AVAILABLE:

        def autograd_kernel(self: Tensor) -> Tensor:
            if clone_is_equivalent(self):
                # Nothing intercepts this call: clone records its own C++ autograd
                # node (identity backward, forward AD in C++ also for a dual level
                # Python cannot see) and runs the kernel the operator would.
                return self.clone()
            # Modes, tracers, transforms, subclasses: through the Function, so the
            # operator stays in every graph. Forward AD runs under no_grad too, and
            # a dual level entered inside a compiled graph is invisible to Python
            # (torch._functorch.predispatch): the Function's jvp rule serves both.
            if transforms_active() and _autograd_internals.differentiating_levels() > 1:
                raise RuntimeError(_nested_transforms_message(name))
            return _autograd_internals.apply_at_this_level(function, self)  # type: ignore[no-any-return]

        _lib.impl(name, autograd_kernel, "Autograd")
    else:  # pragma: no cover - a torch without the guard: backward exact, forward AD not
        torch.library.register_autograd(
            spec.qualname, _identity_backward, setup_context=_no_context, lib=_lib
        )

    def vmap_rule(info: Any, in_dims: tuple[int | None], self: Tensor) -> tuple[Tensor, int | None]:
        # Materialising the batched tensor materialises every sample; the batch
        # dimension stays where it was.
        return op(self), in_dims[0]

    torch.library.register_vmap(spec.qualname, vmap_rule, lib=_lib)
    _overload_call.install(op)
    return op


_DEFINED = {spec.name: _define(spec) for spec in OPS}

realize_op: torch._ops.OpOverload = _DEFINED["realize"]
barrier_op: torch._ops.OpOverload = _DEFINED["barrier"]
