"""Reusable checks for clone-like operators: ``realize.testing``.

Each function raises ``AssertionError`` with one line per broken property,
``property=got, but should be expected [call]``, the tensors involved, and a
Python snippet that rebuilds the input and repeats the check:

- :func:`assert_clone_semantics`: equal to ``x.clone()`` in every piece of
  metadata and bit for bit in value;
- :func:`assert_independent`: no shared memory or version counter, the input
  untouched by the call;
- :func:`assert_identity_backward`: the gradient is ``grad_output`` exactly,
  also on retained graphs, chained and repeated uses, and double backward;
- :func:`assert_gradcheck`: ``gradcheck`` and ``gradgradcheck`` in float64/complex128;
- :func:`assert_transform`: the identity exactly under a ``torch.func`` transform
  (``grad``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``vmap``, ``vmap(grad)``,
  forward AD); a silent zero or a dropped tangent is a failure.

:func:`compiled` wraps a target in ``torch.compile`` and proves every call ran
compiled. A target that raises is reported like a wrong result
(:class:`TargetRaised`, an ``AssertionError``, with the input and a snippet).

And the harness wiring for many machines: :func:`example_database` builds one
Hypothesis example database from a URL (Redis, a shared directory, ``none``),
:func:`use_example_database` makes a settings profile use it.

>>> import torch
>>> from realize.testing import assert_clone_semantics, assert_independent
>>> x = torch.arange(12.0).reshape(3, 4)[:, ::2]
>>> assert_clone_semantics(torch.clone, x)
>>> assert_independent(torch.clone, x)
"""

from __future__ import annotations

from realize.testing._backward import assert_gradcheck, assert_identity_backward, bit_pattern
from realize.testing._bits import bit_view
from realize.testing._clone_semantics import assert_clone_semantics
from realize.testing._compiled import CompiledTarget, NotCompiled, compiled
from realize.testing._example_db import (
    SharedDatabaseUnavailable,
    example_database,
    use_example_database,
)
from realize.testing._independence import assert_independent
from realize.testing._report import TargetRaised
from realize.testing._transforms import TRANSFORMS, assert_transform

__all__ = [
    "TRANSFORMS",
    "CompiledTarget",
    "NotCompiled",
    "SharedDatabaseUnavailable",
    "TargetRaised",
    "assert_clone_semantics",
    "assert_gradcheck",
    "assert_identity_backward",
    "assert_independent",
    "assert_transform",
    "bit_pattern",
    "bit_view",
    "compiled",
    "example_database",
    "use_example_database",
]
