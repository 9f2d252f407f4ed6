"""realize: ``clone`` done right, and materialisation points for ``torch.compile``.

``realize.realize(x)`` and ``realize.barrier(x)`` return a fresh tensor equal to
``x.clone()`` bit for bit, with clone's strides and an identity backward. Under
Inductor, ``realize`` behaves like PyTorch's test op (a buffer before fusion)
and ``barrier`` is a true fusion barrier. The operators behind them are
``torch.ops.realize.realize.default`` and ``torch.ops.realize.barrier.default``.
"""

from __future__ import annotations

from realize import _dtensor, _lowering  # noqa: F401  (register on first use of Inductor/DTensor)
from realize._fast_path import named_grad_fn
from realize._functions import barrier, realize
from realize._ops import barrier_op, realize_op

__all__ = ["barrier", "barrier_op", "named_grad_fn", "realize", "realize_op"]
__version__ = "0.3.0"
