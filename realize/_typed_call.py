"""A ``TypeError`` for a non-tensor passed to the bare operators: fenced use of ``OpOverload``.

PyTorch parses an operator's arguments against its schema in C++ before any
kernel runs, and answers ``"x"`` or ``3`` with a ``RuntimeError`` ("Expected a
value of type 'Tensor'"), as ``aten::clone`` does; ``None`` passes as an
undefined tensor. Python users expect a ``TypeError`` for a wrong argument type,
and the harness relies on it. So the two ``OpOverload`` objects get a subclass
whose ``__call__`` checks ``self`` first and otherwise calls the operator
exactly as before (one ``isinstance`` more per call).

``torch._ops.OpOverload`` is not public API, nor is swapping an instance's
class. Public replacement: a schema-check hook in ``torch.library``. Version
guard: if the swap fails (a torch whose ``OpOverload`` has another layout),
the operators keep PyTorch's own ``RuntimeError``, and ``realize.realize`` /
``realize.barrier`` still raise ``TypeError``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

__all__ = ["check_tensor", "typed_call"]


def check_tensor(qualname: str, value: object) -> None:
    """``TypeError`` naming the operator and the value, unless ``value`` is a Tensor."""
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{qualname} expected a Tensor for argument 'self', "
            f"but got {type(value).__name__}: {value!r:.80}"
        )


class _TypeCheckedOverload(torch._ops.OpOverload):  # type: ignore[misc]
    def __call__(self, /, *args: Any, **kwargs: Any) -> Any:
        check_tensor(self._name, args[0] if args else kwargs.get("self"))
        return super().__call__(*args, **kwargs)


def typed_call(op: torch._ops.OpOverload) -> bool:
    """Make ``op`` raise ``TypeError`` for a non-tensor ``self``; False if this torch refuses."""
    try:
        op.__class__ = _TypeCheckedOverload
    except TypeError:  # pragma: no cover - an OpOverload with an incompatible layout
        return False
    return True
