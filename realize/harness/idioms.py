"""Clone idioms people write instead of ``clone``, as targets for the harness.

``pytest --realize-target=realize.harness.idioms:empty_like_copy`` checks one of them;
``python -m realize.harness.conformance`` checks them all beside ``torch.clone``.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["empty_like_copy", "to_copy"]


def empty_like_copy(x: Tensor) -> Tensor:
    """``torch.empty_like(x).copy_(x)``: clone's own recipe, spelled out."""
    return torch.empty_like(x).copy_(x)


def to_copy(x: Tensor) -> Tensor:
    """``x.to(copy=True)``: a copy on the same device and dtype."""
    return x.to(copy=True)
