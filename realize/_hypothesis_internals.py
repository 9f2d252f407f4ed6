"""Every use of Hypothesis beyond its public API, in one module, each version-guarded.

* **The strategy base** (:data:`StrategyBase`): realize's strategies subclass
  ``SearchStrategy`` and implement ``do_draw(data)``, as ``hypothesis.extra.numpy``
  does; ``SearchStrategy``'s docstring asks users not to. Public replacement:
  ``st.composite`` (a draw per call, too slow for a tensor's elements).
* **Emptiness** (:func:`is_empty`): ``tensors(fill=st.nothing())`` means "draw
  every element"; ``SearchStrategy.is_empty`` says so. Guard: a strategy without
  the attribute counts as not empty.
* **The loaded profile's name** (:func:`current_profile_name`):
  ``settings.get_current_profile_name()`` (Hypothesis >= 6.131), else the
  attribute it reads.
* **The local example directory** (:func:`examples_directory`):
  ``hypothesis.configuration.storage_directory``, whose signature and return type
  changed (a plain path before 6.131).
* **Primitive choices**, below.

Primitive choices. The strategies make their choices with
``ConjectureData.draw_integer`` / ``draw_boolean`` / ``draw_float`` / ``draw_bytes``.
These are about five times cheaper than ``data.draw(st.integers(...))`` (no nested
strategy, span or validation per choice), which is what makes large tensors and many
examples per second affordable.

Public API that would replace this: none yet. ``data.draw(st.integers(...))`` is the
public equivalent and is the fallback below.

Version guard: by behaviour, not by name. Each primitive is used only if its signature
accepts the exact call made here (``inspect.signature(...).bind``); their signatures have
changed between releases (Hypothesis 6.100's ``draw_bytes(size)`` became
``draw_bytes(min_size, max_size)``), so a method that exists is not enough. Whatever does
not bind falls back, one primitive at a time, to drawing from a public strategy.
``PRIMITIVES`` records which implementation each one uses.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import strategies as st

__all__ = [
    "HAS_PRIMITIVES",
    "PRIMITIVES",
    "StrategyBase",
    "current_profile_name",
    "draw_boolean",
    "draw_bytes",
    "draw_choice",
    "draw_float",
    "draw_integer",
    "examples_directory",
    "is_empty",
    "select_primitives",
]

#: The base class of realize's strategies (see the module docstring).
StrategyBase = st.SearchStrategy


def is_empty(strategy: st.SearchStrategy[Any]) -> bool:
    """Whether ``strategy`` can draw nothing (``st.nothing()``)."""
    return bool(getattr(strategy, "is_empty", False))


def current_profile_name() -> str:
    """The name of the loaded settings profile."""
    from hypothesis import settings

    public = getattr(settings, "get_current_profile_name", None)
    if public is not None:
        return str(public())
    return str(getattr(settings, "_current_profile", None) or "default")


def examples_directory() -> Path:
    """Hypothesis's own ``.hypothesis/examples`` (``HYPOTHESIS_STORAGE_DIRECTORY`` honoured).

    ``intent_to_write=False`` (Hypothesis >= 6.131): nothing is written now, so
    Hypothesis need not warn about conftest side effects. Older versions have no such
    argument and return a plain path.
    """
    from hypothesis.configuration import storage_directory

    try:
        found = storage_directory("examples", intent_to_write=False)
    except TypeError:
        found = storage_directory("examples")
    path = getattr(found, "path", None)
    return Path(path if path is not None else found)  # type: ignore[arg-type]


_SMALLEST_NORMAL = 2.2250738585072014e-308
T = TypeVar("T")


# --------------------------------------------------------------------------- public fallbacks


def _public_integer(data: Any, min_value: int, max_value: int, shrink_towards: int = 0) -> int:
    return data.draw(st.integers(min_value, max_value))  # type: ignore[no-any-return]


def _public_boolean(data: Any, p: float = 0.5) -> bool:
    if p <= 0:
        return False
    if p >= 1:
        return True
    return data.draw(st.integers(0, 2**16 - 1)) < p * 2**16  # type: ignore[no-any-return]


def _public_float(
    data: Any, min_value: float, max_value: float, *, allow_nan: bool,
    smallest_nonzero_magnitude: float,
) -> float:  # fmt: skip
    return data.draw(  # type: ignore[no-any-return]
        st.floats(
            None if math.isinf(min_value) else min_value,
            None if math.isinf(max_value) else max_value,
            allow_nan=allow_nan,
            allow_subnormal=smallest_nonzero_magnitude < _SMALLEST_NORMAL,
        )
    )


def _public_bytes(data: Any, size: int) -> bytes:
    return data.draw(st.binary(min_size=size, max_size=size))  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- native primitives


def _native_integer(data: Any, min_value: int, max_value: int, shrink_towards: int = 0) -> int:
    return data.draw_integer(min_value, max_value, shrink_towards=shrink_towards)  # type: ignore[no-any-return]


def _native_boolean(data: Any, p: float = 0.5) -> bool:
    return data.draw_boolean(p)  # type: ignore[no-any-return]


def _native_float(
    data: Any, min_value: float, max_value: float, *, allow_nan: bool,
    smallest_nonzero_magnitude: float,
) -> float:  # fmt: skip
    return data.draw_float(  # type: ignore[no-any-return]
        min_value, max_value, allow_nan=allow_nan,
        smallest_nonzero_magnitude=smallest_nonzero_magnitude,
    )  # fmt: skip


def _native_bytes_min_max(data: Any, size: int) -> bytes:
    return data.draw_bytes(size, size)  # type: ignore[no-any-return]


def _native_bytes_size(data: Any, size: int) -> bytes:  # Hypothesis <= 6.10x: draw_bytes(size)
    return data.draw_bytes(size)  # type: ignore[no-any-return]


# (name, [(call's positional args, call's keyword args, implementation), ...], fallback):
# the first candidate whose call binds to the method's signature wins.
_CANDIDATES: list[
    tuple[str, list[tuple[tuple[Any, ...], dict[str, Any], Callable[..., Any]]], Callable[..., Any]]
] = [
    ("draw_integer", [((0, 1), {"shrink_towards": 0}, _native_integer)], _public_integer),
    ("draw_boolean", [((0.5,), {}, _native_boolean)], _public_boolean),
    (
        "draw_float",
        [((0.0, 1.0), {"allow_nan": False, "smallest_nonzero_magnitude": 1.0}, _native_float)],
        _public_float,
    ),
    (
        "draw_bytes",
        [((1, 1), {}, _native_bytes_min_max), ((1,), {}, _native_bytes_size)],
        _public_bytes,
    ),
]


def _binds(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    try:
        inspect.signature(method).bind(None, *args, **kwargs)  # None stands for self
    except (TypeError, ValueError):  # does not bind, or no signature to inspect
        return False
    return True


def select_primitives(data_class: Any) -> dict[str, Callable[..., Any]]:
    """For each primitive, the implementation that ``data_class`` supports: a method whose
    signature accepts our call, else the public-strategy fallback (``fn.__name__`` says
    which: ``_native_*`` or ``_public_*``)."""
    chosen: dict[str, Callable[..., Any]] = {}
    for name, candidates, fallback in _CANDIDATES:
        method = getattr(data_class, name, None)
        chosen[name] = next(
            (impl for args, kwargs, impl in candidates if method and _binds(method, args, kwargs)),
            fallback,
        )
    return chosen


def _conjecture_data() -> Any:
    try:
        from hypothesis.internal.conjecture.data import ConjectureData
    except ImportError:  # pragma: no cover - depends on the installed Hypothesis
        return None
    return ConjectureData


PRIMITIVES = select_primitives(_conjecture_data())
HAS_PRIMITIVES = all(fn.__name__.startswith("_native") for fn in PRIMITIVES.values())

draw_integer: Callable[..., int] = PRIMITIVES["draw_integer"]
"""``draw_integer(data, min_value, max_value, shrink_towards=0)``: an int in the closed
interval that shrinks towards ``shrink_towards``."""
draw_boolean: Callable[..., bool] = PRIMITIVES["draw_boolean"]
"""``draw_boolean(data, p=0.5)``: ``True`` with probability ``p``; shrinks towards False."""
draw_float: Callable[..., float] = PRIMITIVES["draw_float"]
"""``draw_float(data, min_value, max_value, *, allow_nan, smallest_nonzero_magnitude)``: a
float64 in the interval; shrinks towards 0.0 and simple values."""
draw_bytes: Callable[..., bytes] = PRIMITIVES["draw_bytes"]
"""``draw_bytes(data, size)``: ``size`` uniformly random bytes; shrinks towards zeros."""


def draw_choice(data: Any, choices: Sequence[T]) -> T:
    """One of ``choices`` (no choice made when there is only one); shrinks to the first."""
    if len(choices) == 1:
        return choices[0]
    return choices[draw_integer(data, 0, len(choices) - 1)]
