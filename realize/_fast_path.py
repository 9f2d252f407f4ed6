"""When may realize skip its operator's kernels and call ``Tensor.clone`` directly?

The operator's Python kernels cost a few microseconds per call even when nobody
is watching. When nothing can observe which kernels run -- a plain tensor, no
dispatch or function mode (fake tensors, ``make_fx``, export, functionalization),
no functorch transform, no TorchScript tracer, no Dynamo -- the operator would
run exactly ``self.clone()``, and ``self.clone()`` records clone's own C++
autograd node, whose backward (the identity), double backward and forward-mode
formula (the tangent cloned) are the operator's. Forward AD is then handled in
C++, so a dual level that Python cannot see (one entered inside a compiled
graph) keeps its tangent too. The one visible difference is the node's name,
``CloneBackward0`` instead of ``RealizeBackward``; :func:`named_grad_fn` asks
for the named node instead, at the operator's full cost.

This module reads private PyTorch state (the dispatch-mode stack, the functorch
interpreter stack, the TorchScript tracer). No public API answers "is anything
intercepting this call?"; ``torch.overrides.has_torch_function`` covers only the
function-mode half. If any of these names disappears in a future torch, the
fast path is switched off and every call goes through the operator.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import torch

__all__ = [
    "FAST_PATH_AVAILABLE",
    "clone_is_equivalent",
    "named_grad_fn",
    "transforms_active",
]

_C = torch._C
_Tensor = torch.Tensor

try:
    import torch.autograd.forward_ad as _forward_ad

    _dispatch_stack_len: Callable[[], int] = _C._len_torch_dispatch_stack
    _function_mode_enabled: Callable[[], bool] = _C._is_torch_function_mode_enabled
    _functorch_active: Callable[[], bool] = _C._are_functorch_transforms_active
    _jit_tracing: Callable[[], bool] = _C._is_tracing
    _profiling: Callable[[], bool] = _C._autograd._profiler_enabled
    _ = _forward_ad._current_level
    FAST_PATH_AVAILABLE = True
except AttributeError:  # pragma: no cover - a torch that renamed its internals
    FAST_PATH_AVAILABLE = False


#: How many ``named_grad_fn`` blocks are open (process-wide: a debugging aid).
_NAMED = [0]


@contextlib.contextmanager
def named_grad_fn() -> Iterator[None]:
    """Within the block, record realize's own autograd nodes.

    Outside it, a call that nothing intercepts records clone's C++ node
    (``y.grad_fn`` is ``<CloneBackward0>``): the same backward, double backward
    and forward-mode formula, at clone's cost. Inside it, every call goes
    through the operator, and ``y.grad_fn`` is ``<RealizeBackward>`` (or
    ``<BarrierBackward>``), for code that inspects autograd graphs by name; each
    call costs the operator's Python autograd kernel, a few microseconds more.
    Blocks nest; they apply to every thread of the process.

    >>> import torch, realize
    >>> x = torch.ones(2, requires_grad=True)
    >>> realize.realize(x).grad_fn.name()
    'CloneBackward0'
    >>> with realize.named_grad_fn():
    ...     realize.realize(x).grad_fn.name()
    'RealizeBackward'
    """
    _NAMED[0] += 1
    try:
        yield
    finally:
        _NAMED[0] -= 1


def transforms_active() -> bool:
    """True inside a ``torch.func`` transform or a forward-AD dual level."""
    if not FAST_PATH_AVAILABLE:  # pragma: no cover
        return True
    return _functorch_active() or _forward_ad._current_level >= 0


if FAST_PATH_AVAILABLE:

    def _clone_is_equivalent(
        x: object,
        _tensor: type = _Tensor,
        _stack: Callable[[], int] = _dispatch_stack_len,
        _function_mode: Callable[[], bool] = _function_mode_enabled,
        _functorch: Callable[[], bool] = _functorch_active,
        _jit: Callable[[], bool] = _jit_tracing,
        _profiler: Callable[[], bool] = _profiling,
        _named: list[int] = _NAMED,
    ) -> bool:
        # default arguments: locals are the cheapest lookups (this runs on every call)
        return (
            type(x) is _tensor  # no subclass (FakeTensor, DTensor, Parameter, FX Proxy, ...)
            and not _stack()  # no TorchDispatchMode, FakeTensorMode, make_fx, functionalization
            and not _function_mode()  # no TorchFunctionMode
            and not _functorch()  # no torch.func transform
            and not _jit()  # no torch.jit.trace
            and not _profiler()  # the profiler shows the operator, as the user called it
            and not _named[0]
        )


def clone_is_equivalent(x: object) -> bool:
    """True when ``x.clone()`` is indistinguishable from calling the operator: nothing
    intercepts the call (see the module docstring), whatever autograd records.

    Callers must not reach this under Dynamo: it reads private state that
    Dynamo does not trace (``realize.realize`` checks ``is_compiling`` first).
    """
    return FAST_PATH_AVAILABLE and _clone_is_equivalent(x)


if FAST_PATH_AVAILABLE:
    clone_is_equivalent = _clone_is_equivalent
