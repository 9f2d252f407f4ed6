"""Bump a tensor's version counter and put it back: the one private PyTorch API here.

``assert_independent`` finds out whether two tensors share a version counter (views and
``detach()`` do) by bumping one and watching the other. To leave no trace it must then set
the counter back, which only ``torch._C._autograd._unsafe_set_version_counter`` can do (no
public API sets a version counter; it exists for functionalization and
``torch.utils.checkpoint``). Its signature changed (one tensor and an int in torch 2.4;
sequences of both later), so the guard is by behaviour: at first use each calling convention
is tried on a scratch tensor, and the one that really resets the counter is kept. Without
one, ``restorable`` is False and callers skip the check instead of leaving a bumped counter.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import Tensor

__all__ = ["bumped", "restorable"]

_Setter = Callable[[Tensor, int], None]


@functools.cache
def _setter() -> _Setter | None:
    fn = getattr(torch._C._autograd, "_unsafe_set_version_counter", None)
    if fn is None:
        return None
    conventions: list[_Setter] = [
        lambda t, v: fn((t,), (v,)),  # torch >= 2.5
        lambda t, v: fn(t, v),  # torch 2.4
    ]
    for setter in conventions:
        probe = torch.zeros(())
        probe.add_(1)
        try:
            setter(probe, 0)
        except (TypeError, RuntimeError):
            continue
        if probe._version == 0:
            return setter
    return None


def restorable() -> bool:
    """Can a version counter be set back on this torch?"""
    return _setter() is not None


@contextmanager
def bumped(tensor: Tensor, *others: Tensor) -> Iterator[None]:
    """Increment ``tensor``'s version counter for the ``with`` block, then set it and every
    one of ``others``' counters back to what they were before (whether or not they share
    ``tensor``'s). Requires ``restorable()``."""
    setter = _setter()
    if setter is None:
        raise RuntimeError("this torch cannot set a version counter back: check restorable()")
    saved = [(t, t._version) for t in (tensor, *others)]
    torch.autograd.graph.increment_version(tensor)
    try:
        yield
    finally:
        for t, version in saved:
            setter(t, version)
