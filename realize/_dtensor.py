"""The DTensor sharding rule of ``realize::realize`` and ``realize::barrier``: shard like ``clone``.

Both are ``clone`` with a different compiler meaning, so on a DTensor it
must keep every placement as it is -- ``Shard(d)`` (even or not),
``Replicate()``, ``Partial(op)`` for any reduce op, strided shards -- on any
device mesh, and run locally with no communication.

The rule is registered when ``torch.distributed.tensor`` is imported (importing
it ourselves would cost about a second on ``import realize``), see
``_realize_hooks.when_imported``. Two routes, tried in order:

1. Private: the sharding propagator's own strategy for ``aten.clone.default`` is
   registered for ``realize::realize`` too, so realize mirrors clone, whatever
   placement types this torch has: a full-mesh strategy
   (``DTensor._op_dispatcher.sharding_propagator.op_strategy_funcs``, torch <
   2.14) or, where clone has one, a single-mesh-dim strategy
   (``op_single_dim_strategy_funcs``, torch 2.14).
2. Public (the API that should replace route 1 once it can express "same as the
   input"): ``torch.distributed.tensor.experimental.register_sharding`` with
   one single-mesh-dim strategy per placement the input carries, plus
   ``Replicate()``. It keeps the placements of evenly sharded inputs; DTensor
   may still redistribute a dimension that is smaller than the mesh.

If neither exists (a torch without DTensor), nothing is registered and DTensor
raises its own "no sharding strategy" error.
"""

from __future__ import annotations

import types
from typing import Any

import torch

from _realize_hooks import when_imported
from realize._ops import barrier_op, realize_op

__all__ = ["install", "route"]

DTENSOR_MODULE = "torch.distributed.tensor"

_route = "pending: torch.distributed.tensor not imported yet"


def route() -> str:
    """How the rule was registered: ``"clone-strategy"``, ``"register_sharding"``, ..."""
    return _route


def install() -> None:
    """Register the rule as soon as DTensor is imported (now if it is)."""
    when_imported(
        DTENSOR_MODULE,
        _register,
        what="registering the DTensor sharding rule of realize::realize and realize::barrier",
        fallback="realize works on plain tensors; on a DTensor it raises DTensor's own error.",
    )


def _register(dtensor: types.ModuleType) -> None:
    global _route
    if _mirror_clone(dtensor):
        return
    try:
        from torch.distributed.tensor.experimental import register_sharding
    except ImportError:
        _route = "none: this torch has no DTensor sharding registration"
        return
    try:
        for op in (realize_op, barrier_op):
            register_sharding(op)(_same_placements)
    except Exception as err:
        _route = f"failed: {err!r}"
        raise  # _realize_hooks warns once and keeps the user's import intact
    _route = "register_sharding"


def _mirror_clone(dtensor: types.ModuleType) -> bool:
    """Route 1: clone's own strategy for both operators; False where this torch has none."""
    global _route
    clone = torch.ops.aten.clone.default
    try:
        propagator = dtensor.DTensor._op_dispatcher.sharding_propagator
        full_mesh = propagator.op_strategy_funcs
        if clone in full_mesh:
            for op in (realize_op, barrier_op):
                propagator.register_op_strategy(op, full_mesh[clone])
            _route = "clone-strategy"
            return True
        single_dim = propagator.op_single_dim_strategy_funcs
        schema_info = getattr(propagator, "op_to_schema_info_for_single_dim_strategy", {})
        for op in (realize_op, barrier_op):
            propagator.register_single_dim_op_strategy(
                op, single_dim[clone], schema_info.get(clone)
            )
    except (AttributeError, KeyError, TypeError):
        return False
    _route = "clone-strategy (single mesh dim)"
    return True


def _same_placements(x: Any) -> list[tuple[list[Any], list[Any]]]:
    """Each placement the input has maps to itself; replicated always works."""
    from torch.distributed.tensor import Replicate

    placements: list[Any] = [Replicate()]
    for placement in x.placements:
        if placement not in placements:
            placements.append(placement)
    return [([placement], [placement]) for placement in placements]


install()
