"""The Inductor lowerings of ``realize::realize`` and ``realize::barrier``.

``realize``: exactly what PyTorch's test op ``_inductor_test.realize`` lowers to
(``torch/_inductor/lowering.py``): ``x.realize(); return clone(x)``, with the
same ``register_lowering`` defaults. The producer becomes a buffer of its own
*before fusion* (it counts in ``metrics.ir_nodes_pre_fusion``), and the
scheduler is then free to fuse it with its consumers -- which is what
PyTorch's own Inductor tests rely on, so ``from realize import realize`` can
replace ``from torch._inductor.test_operators import realize`` there.

``barrier``: a true fusion barrier, no Python fallback, no copy beyond one buffer:

* producer not yet materialised (a pointwise computation Inductor would inline):
  the producer is computed straight into a new buffer -- ``clone`` inlines it --
  and that buffer is realised and put in ``V.graph.no_fuse_buffer_names``, so
  its kernel is fused with nothing: not with the consumers (vertical), not with
  siblings (horizontal);
* producer already a buffer (a reduction, an extern kernel, ...): that buffer is
  realised where it is and marked the same way; a graph input or constant needs
  nothing, it is materialised already. The result is then a ``clone`` that the
  consumers inline as a plain load, or that is written to a fresh buffer when it
  is a graph output (``barrier`` never aliases its input).

This module is the only place that touches private Inductor API
(``torch._inductor.lowering.register_lowering``/``clone``/``fallback_handler``,
``torch._inductor.ir`` boxes and views, ``V.graph.no_fuse_buffer_names``).
There is no public API for it yet; the replacement would be a public
"custom lowering" hook for ``torch.library`` operators (today only
``torch.library.triton_op``/``wrap_triton`` reach Inductor, and they produce an
opaque kernel instead of a materialisation point). Every name is checked before
use (the version guard): if one is missing, no lowering is registered, a
``RuntimeWarning`` says why, and Inductor falls back to calling the operators --
still correct, just with the Python overhead.

Two traps are handled here:

* Import cost: ``torch._inductor.lowering`` takes seconds to import, so nothing
  is imported until the user's program imports it (``_realize_hooks.when_imported``).
  Every Inductor compile imports it before lowering, so the registration always
  precedes the first lowering and the first cache lookup.
* FX graph cache: the cache keys on the graph and the Inductor config, not on the
  lowering table, so a graph compiled without these lowerings would be served
  again after they are registered. Registration therefore records
  :data:`LOWERING_ID` (or the reason for the fallback) for each operator in
  ``torch._inductor.config.unsafe_marked_cacheable_functions``, the documented
  per-custom-op cache-key entry, which every FX graph and AOTAutograd cache key
  includes. Replacing that dict wholesale (instead of adding to it) drops the
  entries.

``REALIZE_DISABLE_LOWERING=1`` in the environment skips the registration: the
operators are then opaque fallback kernels, useful to compare against.
"""

from __future__ import annotations

import hashlib
import os
import types
import warnings
from pathlib import Path
from typing import Any

import torch

from _realize_hooks import when_imported
from realize._ops import barrier_op, realize_op

__all__ = ["CACHE_KEY_NAMES", "LOWERING_ID", "install", "status"]

INDUCTOR_LOWERING_MODULE = "torch._inductor.lowering"
DISABLE_ENV = "REALIZE_DISABLE_LOWERING"
# The entries this module owns in ``torch._inductor.config.unsafe_marked_cacheable_functions``.
CACHE_KEY_NAMES = ("torch.ops.realize.realize", "torch.ops.realize.barrier")


def _source_digest() -> str:
    try:
        return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    except OSError:  # no readable source (a zip archive, say): one fixed id
        return "no-source"


# Changes whenever this file changes, so an edited lowering never meets old cache entries.
LOWERING_ID = "lowering:" + _source_digest()
# Oldest torch whose Inductor has every name used below (``no_fuse_buffer_names``
# arrived with the comm lowerings); tested on 2.11 and 2.13.
MIN_TORCH = (2, 4)

_status = "pending: torch._inductor.lowering not imported yet"


def status() -> str:
    """``"registered"``, ``"pending: ..."``, ``"disabled: ..."`` or ``"unsupported: ..."``."""
    return _status


def install() -> None:
    """Register the lowering as soon as Inductor's lowering table exists (now if it does)."""
    when_imported(
        INDUCTOR_LOWERING_MODULE,
        _register,
        what="registering the Inductor lowerings of realize::realize and realize::barrier",
        fallback="torch.compile will call the operators as fallback kernels (correct, slower).",
    )


def _torch_version() -> tuple[int, int]:
    major, minor = torch.__version__.split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


def _record_in_cache_key(value: str) -> None:
    from torch._inductor import config

    current = getattr(config, "unsafe_marked_cacheable_functions", None)
    if not isinstance(current, dict):  # torch < 2.8: no keyed entry to put it in
        return
    marked = dict(current)
    for name in CACHE_KEY_NAMES:
        marked[name] = value
    config.unsafe_marked_cacheable_functions = marked


def _register(lowering: types.ModuleType) -> None:
    global _status
    if _status == "registered":
        return
    if os.environ.get(DISABLE_ENV, "") not in ("", "0"):
        _status = f"disabled: {DISABLE_ENV} is set"
        _record_in_cache_key("fallback:disabled")
        return
    try:
        ir, V, clone, fallback_handler = _resolve(lowering)
        # realize: the seed's lowering, registered with the seed's defaults.
        lowering.register_lowering(realize_op)(_make_realize_lowering(clone, fallback_handler))
        lowering.register_lowering(barrier_op, type_promotion_kind=None)(
            _make_barrier_lowering(ir, V, clone, fallback_handler)
        )
    except Exception as exc:  # whatever a future torch raises, never break its import
        _status = f"unsupported: {exc}"
        _record_in_cache_key("fallback:unsupported")
        warnings.warn(
            f"realize: no Inductor lowering on torch {torch.__version__} ({exc}); "
            "torch.compile will call realize::realize and realize::barrier as fallback "
            "kernels, which is correct but slower. Please report this with your torch version.",
            RuntimeWarning,
            stacklevel=2,
        )
        return
    _record_in_cache_key(LOWERING_ID)
    _status = "registered"


def _resolve(lowering: types.ModuleType) -> tuple[Any, ...]:
    """The version guard: every private name the lowering uses, or an error naming it."""
    if _torch_version() < MIN_TORCH:
        raise ValueError(f"torch {torch.__version__} is older than {MIN_TORCH}")
    from torch._inductor import ir
    from torch._inductor.virtualized import V

    for owner, attr in (
        (lowering, "register_lowering"),
        (lowering, "clone"),
        (lowering, "fallback_handler"),
        (ir, "TensorBox"),
        (ir, "StorageBox"),
        (ir, "BaseView"),
        (ir, "ReinterpretView"),
        (ir, "Buffer"),
        (ir, "Pointwise"),
        (type(V), "graph"),
    ):
        if not hasattr(owner, attr):
            raise AttributeError(f"{getattr(owner, '__name__', owner)} has no {attr!r}")
    return ir, V, lowering.clone, lowering.fallback_handler


# Dtypes that Triton cannot load or store: on a GPU a clone of them cannot become a
# generated kernel (Inductor raises ``KeyError: 'complex64'`` or Triton "type fp8e5b16
# not supported in this architecture"; PyTorch's test op too). The operators then run
# as an extern call of themselves: correct, where the seed's op fails to compile.
_NOT_IN_TRITON = frozenset(
    getattr(torch, name)
    for name in ("float8_e5m2fnuz", "float8_e4m3fnuz", "complex32")
    if hasattr(torch, name)
)


def _triton_cannot_copy(x: Any) -> bool:
    device, dtype = x.get_device(), x.get_dtype()
    if device is None or device.type == "cpu":
        return False
    return bool(dtype.is_complex) or dtype in _NOT_IN_TRITON


def _make_realize_lowering(clone: Any, fallback_handler: Any) -> Any:
    def realize_lowering(x: Any) -> Any:
        if _triton_cannot_copy(x):
            return fallback_handler(realize_op, add_to_fallback_set=False)(x)
        # Otherwise word for word the lowering of torch.ops._inductor_test.realize.
        x.realize()
        return clone(x)

    return realize_lowering


def _make_barrier_lowering(ir: Any, V: Any, clone: Any, fallback_handler: Any) -> Any:
    def storage_of(x: Any) -> Any:
        """The ``StorageBox`` behind ``x`` and its views, or None for a realised view."""
        node = x
        while True:
            if isinstance(node, ir.StorageBox):
                return node
            if isinstance(node, ir.ReinterpretView):  # a view of a realised buffer
                return None
            if isinstance(node, (ir.TensorBox, ir.BaseView)):
                node = node.data
            else:
                return None

    def buffer_name(x: Any) -> str | None:
        node = x
        while not isinstance(node, ir.Buffer):
            if not isinstance(node, (ir.TensorBox, ir.StorageBox, ir.BaseView)):
                return None
            node = node.data
        return node.get_name()  # type: ignore[no-any-return]

    def barrier_lowering(x: Any) -> Any:
        graph = V.graph
        no_fuse = getattr(graph, "no_fuse_buffer_names", None)
        if no_fuse is None or _triton_cannot_copy(x):
            # an Inductor without the knob, or a dtype Triton cannot copy: keep the
            # operator opaque (an extern call is a barrier too)
            return fallback_handler(barrier_op, add_to_fallback_set=False)(x)
        storage = storage_of(x)
        if storage is not None and isinstance(storage.data, ir.Pointwise):
            # The producer is still an inlinable computation: compute it into
            # the barrier buffer itself (clone inlines it), one kernel, one buffer.
            out = clone(x)
            out.realize()
            no_fuse.add(out.get_name())
            return out
        # The producer is a buffer already (or about to be: reductions, scans,
        # sorts): materialise it in place and keep it out of every fusion.
        x.realize()
        name = buffer_name(x)
        if name is not None and name not in graph.graph_inputs and name not in graph.constants:
            no_fuse.add(name)
        return clone(x)

    return barrier_lowering


install()
