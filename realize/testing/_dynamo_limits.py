"""Dynamo's recompile limit, lifted for property tests: the one private-API module here.

After ``recompile_limit`` (8) graphs for one code object, Dynamo stops
compiling and silently runs the function eagerly. A property test that feeds
hundreds of different dtypes, shapes and strides through one compiled function
would then test eager mode while claiming to test the compiler. This lifts the
limit and, where this torch has the switch, makes hitting it an error.

Public API that would replace it: none (``torch.compiler.set_stance`` has no
limit setting); the config names are guarded, an unknown torch gets no patch
and relies on the per-call proof in ``_compiled.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["RECOMPILE_LIMIT", "lifted_recompile_limit", "reset"]

#: Enough graphs for every example of a thorough run of one test.
RECOMPILE_LIMIT = 100_000


def _patch() -> dict[str, Any]:
    import torch._dynamo.config as config

    known = set(getattr(config, "_config", {})) | set(vars(config))
    wanted = {
        "recompile_limit": RECOMPILE_LIMIT,  # torch >= 2.7 (cache_size_limit before)
        "cache_size_limit": RECOMPILE_LIMIT,
        "accumulated_recompile_limit": RECOMPILE_LIMIT,
        "accumulated_cache_size_limit": RECOMPILE_LIMIT,
        "fail_on_recompile_limit_hit": True,
        "fail_on_cache_limit_hit": True,
    }
    return {k: v for k, v in wanted.items() if k in known}


@contextlib.contextmanager
def lifted_recompile_limit() -> Iterator[None]:
    """Within the block, Dynamo compiles every new input signature instead of giving up."""
    import torch._dynamo.config as config

    with config.patch(_patch()):
        yield


def reset() -> None:
    """Forget every compiled graph (between tests, so guards do not pile up)."""
    import torch._dynamo

    torch._dynamo.reset()
