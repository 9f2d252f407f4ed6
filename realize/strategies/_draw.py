"""Primitive choices: the one module that relies on Hypothesis internals.

The strategies of this package subclass ``SearchStrategy`` and implement
``do_draw(data)``, as ``hypothesis.extra.numpy`` does, and make their choices with
``ConjectureData.draw_integer`` / ``draw_boolean`` / ``draw_float``. These are about
five times cheaper than ``data.draw(st.integers(...))`` (no nested strategy, span
or validation per choice), which is what makes large tensors and many examples per
second affordable.

Public API that would replace this: none yet. ``@st.composite`` with
``draw(st.integers(...))`` is the public equivalent and is the fallback below when a
future Hypothesis renames these methods (they exist since Hypothesis 6.9x, the
"IR" choice sequence).
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

__all__ = ["HAS_PRIMITIVES", "draw_boolean", "draw_bytes", "draw_float", "draw_integer"]

try:  # version guard: the choice-sequence primitives of ConjectureData
    from hypothesis.internal.conjecture.data import ConjectureData as _CD

    HAS_PRIMITIVES = all(
        hasattr(_CD, name) for name in ("draw_integer", "draw_boolean", "draw_float", "draw_bytes")
    )
except ImportError:  # pragma: no cover - depends on the installed Hypothesis
    HAS_PRIMITIVES = False


if HAS_PRIMITIVES:

    def draw_integer(data: Any, min_value: int, max_value: int, shrink_towards: int = 0) -> int:
        """An int in ``[min_value, max_value]`` that shrinks towards ``shrink_towards``."""
        return data.draw_integer(min_value, max_value, shrink_towards=shrink_towards)  # type: ignore[no-any-return]

    def draw_boolean(data: Any, p: float = 0.5) -> bool:
        """``True`` with probability ``p``; shrinks towards ``False``."""
        return data.draw_boolean(p)  # type: ignore[no-any-return]

    def draw_float(
        data: Any,
        min_value: float,
        max_value: float,
        *,
        allow_nan: bool,
        smallest_nonzero_magnitude: float,
    ) -> float:
        """A float64 in the interval; shrinks towards 0.0 and simple values."""
        return data.draw_float(  # type: ignore[no-any-return]
            min_value,
            max_value,
            allow_nan=allow_nan,
            smallest_nonzero_magnitude=smallest_nonzero_magnitude,
        )

    def draw_bytes(data: Any, size: int) -> bytes:
        """``size`` uniformly random bytes; shrinks towards zero bytes."""
        return data.draw_bytes(size, size)  # type: ignore[no-any-return]

else:  # pragma: no cover - exercised only with a Hypothesis lacking the primitives

    def draw_integer(data: Any, min_value: int, max_value: int, shrink_towards: int = 0) -> int:
        return data.draw(st.integers(min_value, max_value))  # type: ignore[no-any-return]

    def draw_boolean(data: Any, p: float = 0.5) -> bool:
        if p <= 0:
            return False
        if p >= 1:
            return True
        return data.draw(st.integers(0, 2**16 - 1)) < p * 2**16  # type: ignore[no-any-return]

    def draw_float(
        data: Any,
        min_value: float,
        max_value: float,
        *,
        allow_nan: bool,
        smallest_nonzero_magnitude: float,
    ) -> float:
        return data.draw(  # type: ignore[no-any-return]
            st.floats(
                None if math.isinf(min_value) else min_value,
                None if math.isinf(max_value) else max_value,
                allow_nan=allow_nan,
                allow_subnormal=smallest_nonzero_magnitude < 2.2250738585072014e-308,
            )
        )

    def draw_bytes(data: Any, size: int) -> bytes:
        return data.draw(st.binary(min_size=size, max_size=size))  # type: ignore[no-any-return]
