"""What calling a bare operator does in Python, before dispatch: fenced use of ``OpOverload``.

``torch.ops.realize.realize.default(x)`` is a Python call of an ``OpOverload``
object, which hands the arguments to the C++ dispatcher. The two operators'
objects get a subclass whose ``__call__`` adds two things, and otherwise calls
exactly what ``OpOverload.__call__`` calls (``self._op``):

* **The clone fast path.** When nothing intercepts the call
  (``realize._fast_path.clone_is_equivalent``: no mode, tracer, transform,
  subclass or profiler), the operator's kernels would run ``x.clone()``, and
  clone records its own C++ autograd node with the same formulas; calling it
  directly skips the dispatcher and the operator's Python autograd kernel, so a
  bare call costs about what ``realize.realize(x)`` does. Anything that
  intercepts goes through the dispatcher, and the operator stays in its graph.
* **A TypeError for a non-tensor.** PyTorch parses an operator's arguments
  against its schema in C++ before any kernel runs, and answers ``"x"`` or ``3``
  with a ``RuntimeError`` ("Expected a value of type 'Tensor'"), as
  ``aten::clone`` does; ``None`` passes as an undefined tensor. Python users
  expect a ``TypeError`` for a wrong argument type, and the harness relies on it.

``torch._ops.OpOverload`` and its ``_op`` are not public API, nor is swapping an
instance's class. Public replacement: a schema-check hook in ``torch.library``
and a way to give an operator a C++-speed identity autograd. Version guard: if
the swap fails (a torch whose ``OpOverload`` has another layout), the operators
keep PyTorch's own ``RuntimeError`` and their kernels' speed, and
``realize.realize`` / ``realize.barrier`` still raise ``TypeError``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from realize._fast_path import clone_is_equivalent

__all__ = ["check_tensor", "install"]


def check_tensor(qualname: str, value: object) -> None:
    """``TypeError`` naming the operator and the value, unless ``value`` is a Tensor or
    stands for one (``__torch_function__``: an FX ``Proxy``, a tensor-like)."""
    if not isinstance(value, Tensor) and not hasattr(type(value), "__torch_function__"):
        raise TypeError(
            f"{qualname} expected a Tensor for argument 'self', "
            f"but got {type(value).__name__}: {value!r:.80}"
        )


class _RealizeOverload(torch._ops.OpOverload):  # type: ignore[misc]
    def __call__(self, /, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs and clone_is_equivalent(args[0]):
            return args[0].clone()
        check_tensor(self._name, args[0] if args else kwargs.get("self"))
        return self._op(*args, **kwargs)


def install(op: torch._ops.OpOverload) -> bool:
    """Give ``op`` the fast path and the TypeError; False if this torch refuses."""
    try:
        op.__class__ = _RealizeOverload
    except TypeError:  # pragma: no cover - an OpOverload with an incompatible layout
        return False
    return True
