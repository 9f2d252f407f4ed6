"""Argument checks that raise ``InvalidArgument`` naming the argument, as Hypothesis does.

Messages follow ``hypothesis.internal.validation``: the argument is shown as
``name=value`` (``min_side=5 is larger than max_side=2``), followed by the fix when
there is one. Every strategy in this package calls these from ``do_validate`` so
that errors surface lazily, at the first draw or ``.validate()``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

__all__ = [
    "check_argument",
    "check_bool",
    "check_int",
    "check_members",
    "check_number",
    "check_strategy",
    "check_type",
    "order_check",
]


def check_argument(condition: bool, message: str) -> None:
    """Raise ``InvalidArgument(message)`` unless ``condition`` holds."""
    if not condition:
        raise InvalidArgument(message)


def check_type(typ: type | tuple[type, ...], arg: object, name: str) -> None:
    """``Expected int but got max_dims='3' (type=str)``."""
    if not isinstance(arg, typ):
        if isinstance(typ, tuple):
            typ_string = "one of " + ", ".join(t.__name__ for t in typ)
        else:
            typ_string = typ.__name__
        raise InvalidArgument(
            f"Expected {typ_string} but got {name}={arg!r} (type={type(arg).__name__})"
        )


def check_int(arg: object, name: str, *, minimum: int | None = None) -> int:
    """An ``int`` (not a ``bool``), at least ``minimum`` when given."""
    if isinstance(arg, bool) or not isinstance(arg, int):
        raise InvalidArgument(f"Expected int but got {name}={arg!r} (type={type(arg).__name__})")
    if minimum is not None and arg < minimum:
        raise InvalidArgument(f"{name}={arg!r} must be at least {minimum}")
    return arg


def check_bool(arg: object, name: str) -> bool:
    """A real ``bool``: ``allow_nan=1`` is a mistake worth reporting."""
    if not isinstance(arg, bool):
        raise InvalidArgument(f"Expected bool but got {name}={arg!r} (type={type(arg).__name__})")
    return arg


def check_number(arg: object, name: str) -> float | int:
    """A real, non-NaN number usable as a bound."""
    if isinstance(arg, bool) or not isinstance(arg, (int, float)):
        raise InvalidArgument(f"{name}={arg!r} must be a real number.")
    if isinstance(arg, float) and math.isnan(arg):
        raise InvalidArgument(f"Invalid end point {name}={arg!r}")
    return arg


def check_strategy(arg: object, name: str) -> SearchStrategy[Any]:
    """A Hypothesis strategy, e.g. ``elements=st.floats()``, validated now: its own bad
    arguments (``tensors(dtypes(kinds="nope"))``) fail at the outer ``.validate()``."""
    if not isinstance(arg, SearchStrategy):
        hint = ""
        if isinstance(arg, (list, tuple, set, frozenset)) and arg:
            hint = ", such as st.sampled_from(...)"
        raise InvalidArgument(
            f"Expected a SearchStrategy{hint} but got {name}={arg!r} (type={type(arg).__name__})"
        )
    arg.validate()  # its own bad arguments surface now, as Hypothesis's nested strategies do
    return arg


def order_check(name: str, floor: int, min_: int, max_: int) -> None:
    """``min_side must be at least 0 but was -1``, ``min_side=5 is larger than max_side=2``."""
    if floor > min_:
        raise InvalidArgument(f"min_{name} must be at least {floor} but was {min_}")
    if min_ > max_:
        raise InvalidArgument(f"min_{name}={min_} is larger than max_{name}={max_}")


def check_members(values: Iterable[Any], allowed: Iterable[Any], name: str) -> None:
    """Every item of ``values`` is one of ``allowed``; the message lists the valid ones."""
    allowed = list(allowed)
    for v in values:
        if v not in allowed:
            raise InvalidArgument(
                f"{name} contains {v!r}, which is not one of {', '.join(map(repr, allowed))}"
            )
