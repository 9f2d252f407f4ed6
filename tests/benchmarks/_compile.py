"""Graphs compiled once per benchmark case, outside anything timed.

Consecutive benchmarks of one case (one device, size, dtype, layout) share their compiled
graphs, so a realize row can be paired with its yardstick's graph without compiling it
twice. A new case starts from a fresh Dynamo state: compiling one function for many static
shapes would otherwise hit the recompile limit and silently run it eagerly.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import torch

__all__ = ["TINY_COMPILED_CPU", "compiled_once", "single_threaded"]

KiB = 1024

#: Tiny CPU graphs compile single-threaded: an OpenMP region for a few KiB waits for a
#: descheduled thread on a busy machine for a whole time slice (milliseconds).
TINY_COMPILED_CPU = 64 * KiB

_Fn = Callable[[torch.Tensor], torch.Tensor]
_cache: dict[tuple[Hashable, str], _Fn] = {}


def single_threaded(device: str, nbytes: int) -> bool:
    """Whether a case's graphs compile with ``cpp.threads=1`` (tiny, on CPU)."""
    return device == "cpu" and nbytes <= TINY_COMPILED_CPU


def compiled_once(
    case: Hashable, name: str, fn: _Fn, x: torch.Tensor, *, single_thread: bool
) -> _Fn:
    """``torch.compile(fn, dynamic=False, fullgraph=True)``, compiled on ``x`` now, once per
    ``(case, name)``; kept while the consecutive benchmarks of ``case`` run."""
    if (case, name) in _cache:
        return _cache[(case, name)]
    if not any(key[0] == case for key in _cache):
        _cache.clear()
        torch.compiler.reset()
    import torch._inductor.config as inductor_config  # benchmarks only: a documented knob

    with inductor_config.patch({"cpp.threads": 1} if single_thread else {}):
        compiled = torch.compile(fn, dynamic=False, fullgraph=True)
        compiled(x)  # compile here, outside anything timed
    _cache[(case, name)] = compiled
    return compiled
