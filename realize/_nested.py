"""Nested-tensor registrations of the operators: the one place that reads private torch state.

Strided nested tensors dispatch on ``NestedTensor<Backend>`` keys, which the
``CompositeExplicitAutograd`` alias leaves out; jagged nested tensors are a
Python subclass (``torch.nested._internal.nested_tensor.NestedTensor``) that
only a ``register_torch_dispatch`` rule reaches. Neither has a public handle:

* the per-backend keys come from ``torch._C.DispatchKey`` (private enum), so a
  new backend is picked up without a list to keep; keys this build cannot
  register are skipped;
* the jagged class comes from ``torch.nested._internal`` (private module).

Public replacement: a ``torch.library`` alias key that covers nested tensors,
and a public jagged-tensor class. Version guard: if either name is missing,
that family is not registered, and ``realize`` raises PyTorch's own "no kernel"
error on it -- every other tensor is unaffected.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

__all__ = ["register_nested"]


def register_nested(
    lib: torch.library.Library, name: str, kernel: Callable[[Tensor], Tensor]
) -> None:
    """Register ``kernel`` for strided nested tensors and a clone rule for jagged ones."""
    keys = getattr(getattr(torch._C, "DispatchKey", None), "__members__", {})
    for key in keys:
        if key.startswith("NestedTensor") and key != "NestedTensor":
            with contextlib.suppress(RuntimeError):
                lib.impl(name, kernel, key)

    try:
        from torch.nested._internal.nested_tensor import NestedTensor
    except ImportError:  # pragma: no cover - torch without jagged nested tensors
        return

    def jagged(
        cls: type, func: Any, types: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Tensor:
        return args[0].clone()  # type: ignore[no-any-return]

    torch.library.register_torch_dispatch(f"{lib.ns}::{name}", NestedTensor, jagged, lib=lib)
