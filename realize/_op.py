"""The ``realize::realize`` operator: one clone kernel for every backend.

Everything here goes through public ``torch.library`` APIs. The kernel is
registered once, at ``CompositeExplicitAutograd``, which PyTorch expands to every
dense, sparse and quantized backend (CPU, CUDA, MPS, XPU, HPU, PrivateUse1,
Meta, ...). Nested (strided) tensors are the one family that alias key leaves
out, so the same kernel is also registered for every ``NestedTensor*`` key this
torch build can parse; jagged nested tensors are a Python subclass and get a
``register_torch_dispatch`` rule.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch import Tensor

__all__ = ["realize_op"]

NAMESPACE = "realize"
QUALNAME = f"{NAMESPACE}::realize"

_lib = torch.library.Library(NAMESPACE, "DEF")
_lib.define("realize(Tensor self) -> Tensor", tags=(torch.Tag.pt2_compliant_tag,))


def _check_tensor(self: object) -> None:
    # The schema lets ``None`` through as an undefined tensor; without this check
    # the user would see ``AttributeError: 'NoneType' object has no attribute 'clone'``.
    if not isinstance(self, Tensor):
        raise TypeError(
            f"realize::realize expected a Tensor for argument 'self', "
            f"but got {type(self).__name__}: {self!r}"
        )


def _clone_kernel(self: Tensor) -> Tensor:
    _check_tensor(self)
    return self.clone()


_lib.impl("realize", _clone_kernel, "CompositeExplicitAutograd")


# Per-backend nested keys come from torch's own enum, so a new backend is picked
# up without a list to keep; keys that this build cannot register are skipped.
for _key in torch._C.DispatchKey.__members__:
    if _key.startswith("NestedTensor") and _key != "NestedTensor":
        with contextlib.suppress(RuntimeError):
            _lib.impl("realize", _clone_kernel, _key)


@torch.library.register_fake(QUALNAME, lib=_lib)
def _fake(self: Tensor) -> Tensor:
    # Runs under FakeTensorMode, so this is clone's own meta function: same
    # shape, dtype, strides (kept when dense, else clone's suggested memory
    # format), conj/neg bits.
    _check_tensor(self)
    return self.clone()


def _setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
    pass  # the identity backward needs nothing from the forward


def _backward(ctx: Any, grad: Tensor) -> Tensor:
    # Identity. Returning ``grad`` itself (not a copy) keeps double backward
    # exact: d(grad)/d(grad_output) is the identity with no op in between.
    return grad


torch.library.register_autograd(QUALNAME, _backward, setup_context=_setup_context, lib=_lib)


def _vmap(info: Any, in_dims: tuple[int | None], self: Tensor) -> tuple[Tensor, int | None]:
    # realize is elementwise-free: realizing the batched tensor realizes every
    # sample, and the batch dimension stays where it was.
    return realize_op(self), in_dims[0]


torch.library.register_vmap(QUALNAME, _vmap, lib=_lib)


def _register_jagged_rule() -> None:
    try:
        from torch.nested._internal.nested_tensor import NestedTensor
    except ImportError:  # pragma: no cover - torch without jagged nested tensors
        return

    def _jagged(
        cls: type, func: Any, types: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Tensor:
        return args[0].clone()

    torch.library.register_torch_dispatch(QUALNAME, NestedTensor, _jagged, lib=_lib)


_register_jagged_rule()

realize_op: torch._ops.OpOverload = torch.ops.realize.realize.default
