"""Two private autograd entry points the operators' autograd kernel needs, fenced here.

The operators' own Autograd kernel (``realize/_ops.py``) wraps the operator in
an ``autograd.Function`` -- identity backward, identity jvp -- and must:

* run the operator again from that Function's forward without re-entering the
  kernel: ``torch._C._AutoDispatchBelowAutograd``, the guard that
  ``torch.library.register_autograd`` itself uses;
* apply the Function *at the current autograd level only*. A kernel runs after
  functorch has already unwrapped the tensors of the active transform level, so
  ``Function.apply``'s functorch route (``custom_function_call``) has nowhere
  left to dispatch; C++ autograd kernels are level-agnostic in the same way.
  A ``torch.autograd.function._SingleLevelFunction`` (the base of ``Function``,
  which ``custom_function_call`` itself generates and applies at one level) does
  exactly that, forward AD included, inside
  ``torch._functorch.utils.enable_single_level_autograd_function`` (functorch's
  own permission for it). Calling ``_FunctionBase.apply`` of a ``Function`` no
  longer does: from torch 2.14 the C++ ``apply`` itself routes a ``Function``
  (not a ``_SingleLevelFunction``) to ``custom_function_call`` under transforms.

One limit remains: under *nested* differentiating transforms (``hessian``,
``jacfwd(jacrev(f))``, ``grad(grad(f))``) a single-level Function at the
innermost level silently loses the outer derivatives, so the kernel refuses
them with an error naming ``realize.realize``/``realize.barrier``, which route
through ``Function.apply`` before functorch unwraps anything and are exact.
:func:`differentiating_levels` counts the levels.

Public replacement: a ``torch.library.register_autograd`` that takes a
forward-mode (jvp) rule and works under ``torch.func`` -- the two gaps that made
us write our own kernel. Version guard: :data:`AVAILABLE` is False when either
name is missing; the operators then fall back to ``register_autograd`` (exact
under backward; ``realize.realize`` and ``realize.barrier`` still exact under
transforms through their own routing; the bare operators refuse transforms).
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch

__all__ = [
    "AVAILABLE",
    "SingleLevelFunction",
    "apply_at_this_level",
    "below_autograd",
    "differentiating_levels",
]

_Guard: Any = getattr(torch._C, "_AutoDispatchBelowAutograd", None)
#: The base class of a Function applied at one autograd level (``_SingleLevelFunction``).
SingleLevelFunction: Any = getattr(torch.autograd.function, "_SingleLevelFunction", None)
try:  # functorch asserts that a single-level Function runs only where it allows one
    from torch._functorch.utils import enable_single_level_autograd_function
except ImportError:  # pragma: no cover
    enable_single_level_autograd_function = None  # type: ignore[assignment]
AVAILABLE = (
    _Guard is not None
    and SingleLevelFunction is not None
    and enable_single_level_autograd_function is not None
    and issubclass(torch.autograd.Function, SingleLevelFunction)
)


def differentiating_levels() -> int:
    """How many autograd levels are active: ``torch.func`` grad/jvp transforms plus
    plain ``forward_ad.dual_level`` contexts (vmap levels do not count)."""
    import torch.autograd.forward_ad as forward_ad

    stack = torch._C._functorch.get_interpreter_stack() or []
    kinds = [str(interpreter.key()).rsplit(".", 1)[-1] for interpreter in stack]
    jvp = kinds.count("Jvp")
    # func.jvp enters one forward-AD dual level of its own; the rest are the user's.
    plain_dual_levels = max(0, forward_ad._current_level + 1 - jvp)
    return kinds.count("Grad") + jvp + plain_dual_levels


def below_autograd() -> contextlib.AbstractContextManager[Any]:
    """A context in which dispatch skips every Autograd key (as a kernel's redispatch does)."""
    return _Guard()  # type: ignore[no-any-return]


def apply_at_this_level(function: Any, *args: Any) -> Any:
    """``function.apply(*args)`` (a :data:`SingleLevelFunction`) on the current level."""
    with enable_single_level_autograd_function():
        return function.apply(*args)
