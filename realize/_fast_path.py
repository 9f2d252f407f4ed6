"""When may ``realize.realize`` skip the operator and call ``Tensor.clone`` directly?

The operator's Python kernels cost a few microseconds per call even when nobody
is watching. When nothing can observe the difference -- a plain tensor, no
autograd graph being recorded, no dispatch or function mode, no functorch
transform or forward-AD level, no TorchScript tracer, no Dynamo -- the operator
would run exactly ``self.clone()``, so calling it directly is equivalent.

This module reads private PyTorch state (the dispatch-mode stack, the functorch
interpreter stack, the TorchScript tracer). No public API answers "is anything
intercepting this call?"; ``torch.overrides.has_torch_function`` covers only the
function-mode half. If any of these names disappears in a future torch, the
fast path is switched off and every call goes through the operator.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.autograd.forward_ad as _forward_ad

__all__ = ["FAST_PATH_AVAILABLE", "clone_is_equivalent", "transforms_active"]

_C = torch._C
_Tensor = torch.Tensor

try:
    _dispatch_stack_len: Callable[[], int] = _C._len_torch_dispatch_stack
    _function_mode_enabled: Callable[[], bool] = _C._is_torch_function_mode_enabled
    _functorch_active: Callable[[], bool] = _C._are_functorch_transforms_active
    _jit_tracing: Callable[[], bool] = _C._is_tracing
    _grad_enabled: Callable[[], bool] = _C.is_grad_enabled
    _ = _forward_ad._current_level
    FAST_PATH_AVAILABLE = True
except AttributeError:  # pragma: no cover - a torch that renamed its internals
    FAST_PATH_AVAILABLE = False


def transforms_active() -> bool:
    """True inside a ``torch.func`` transform or a forward-AD dual level."""
    if not FAST_PATH_AVAILABLE:  # pragma: no cover
        return True
    return _functorch_active() or _forward_ad._current_level >= 0


def clone_is_equivalent(x: object) -> bool:
    """True when ``x.clone()`` is indistinguishable from calling the operator.

    Callers must not reach this under Dynamo: it reads private state that
    Dynamo does not trace (``realize.realize`` checks ``is_compiling`` first).
    """
    return (
        FAST_PATH_AVAILABLE
        and type(x) is _Tensor  # no subclass (FakeTensor, DTensor, Parameter, ...)
        and not (_grad_enabled() and x.requires_grad)  # type: ignore[attr-defined]
        and _dispatch_stack_len() == 0  # no TorchDispatchMode, FakeTensorMode, make_fx
        and not _function_mode_enabled()
        and not _functorch_active()
        and _forward_ad._current_level < 0
        and not _jit_tracing()
    )
