"""realize: ``clone`` done right, and a materialisation point for ``torch.compile``.

``realize.realize(x)`` returns a fresh tensor equal to ``x.clone()`` bit for
bit, with clone's strides and an identity backward. The operator behind it is
``torch.ops.realize.realize.default``.
"""

from __future__ import annotations

from realize import _dtensor, _lowering  # noqa: F401  (register on first use of Inductor/DTensor)
from realize._function import realize
from realize._op import realize_op

__all__ = ["realize", "realize_op"]
__version__ = "0.1.0"
