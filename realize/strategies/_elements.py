"""Element values: ``from_dtype()``, and the samplers ``tensors()`` draws elements with.

``sampler_for`` checks ``from_dtype``-style bounds for a dtype and returns that
dtype's codec's sampler (see ``_samplers`` for how a draw picks a value, ``_codecs``
for what the values are); ``UserElements`` draws from a user strategy of Python
scalars instead.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from realize.strategies._codecs import Codec, codec_for
from realize.strategies._dtypes import check_dtype
from realize.strategies._resolving import ResolvingStrategy
from realize.strategies._samplers import Bounds, ElementSampler
from realize.strategies._validation import check_bool, check_number

__all__ = ["UserElements", "from_dtype", "sampler_for"]


def _bounds(
    min_value: float | int | None = None,
    max_value: float | int | None = None,
    allow_nan: bool | None = None,
    allow_infinity: bool | None = None,
    allow_subnormal: bool | None = None,
) -> Bounds:
    """Check ``from_dtype``'s bounds and fill in the defaults ``st.floats`` has."""
    if min_value is not None:
        check_number(min_value, "min_value")
    if max_value is not None:
        check_number(max_value, "max_value")
    if min_value is not None and max_value is not None and min_value > max_value:
        raise InvalidArgument(f"min_value={min_value!r} is larger than max_value={max_value!r}")
    bounded = min_value is not None or max_value is not None
    if allow_nan is None:
        allow_nan = not bounded
    elif allow_nan and bounded:
        raise InvalidArgument(
            f"Cannot have allow_nan=True, min_value={min_value!r}, max_value={max_value!r}"
        )
    if allow_infinity is None:
        allow_infinity = min_value is None or max_value is None
    elif allow_infinity and min_value is not None and max_value is not None:
        raise InvalidArgument(
            f"Cannot have allow_infinity=True with min_value={min_value!r} and "
            f"max_value={max_value!r}"
        )
    if allow_subnormal is None:
        allow_subnormal = True
    check_bool(allow_nan, "allow_nan")
    check_bool(allow_infinity, "allow_infinity")
    check_bool(allow_subnormal, "allow_subnormal")
    return Bounds(min_value, max_value, allow_nan, allow_infinity, allow_subnormal)


def sampler_for(dtype: torch.dtype, **bounds: Any) -> ElementSampler:
    """Validate the bounds for ``dtype`` and return a sampler of its bit patterns.

    ``bounds`` are ``from_dtype``'s keyword arguments. They are clipped to the
    dtype's range (so a drawn dtype with a fixed ``min_value=-1`` works for uint8
    too); only an empty intersection is an error. Defaults follow ``st.floats``:
    NaN only without bounds, infinity only on an unbounded side, subnormals allowed.
    """
    return _cached_sampler(dtype, _bounds(**bounds))


@functools.lru_cache(maxsize=512)
def _cached_sampler(dtype: torch.dtype, bounds: Bounds) -> ElementSampler:
    return codec_for(dtype).sampler(bounds)


class UserElements(ElementSampler):
    """Elements from a user strategy of Python scalars, encoded per draw."""

    def __init__(self, codec: Codec, strategy: SearchStrategy[Any]) -> None:
        def regular(data: Any) -> int:
            return codec.encode(data.draw(strategy), strategy)

        super().__init__(codec, regular, None, repr(strategy))


class FromDtypeStrategy(ResolvingStrategy[Any, ElementSampler]):
    def __init__(self, dtype: object, kwargs: dict[str, Any]) -> None:
        super().__init__("from_dtype", (dtype,), kwargs)

    def resolve(self) -> ElementSampler:
        return sampler_for(check_dtype(self.call_args[0]), **self.call_kwargs)

    def do_draw(self, data: Any) -> Any:
        sampler = self.resolved()
        return sampler.codec.decode(sampler.draw(data))


def from_dtype(
    dtype: torch.dtype,
    *,
    min_value: float | int | None = None,
    max_value: float | int | None = None,
    allow_nan: bool | None = None,
    allow_infinity: bool | None = None,
    allow_subnormal: bool | None = None,
) -> SearchStrategy[Any]:
    """Return a strategy for Python scalars that ``dtype`` represents exactly.

    * ``dtype`` is any value dtype (bool, integers, floats including bfloat16 and
      float8, complex including complex32).
    * ``min_value`` / ``max_value`` bound the value (each part of a complex),
      clipped to the dtype's range.
    * ``allow_nan`` defaults to ``True`` without bounds, ``allow_infinity`` to
      ``True`` unless both bounds are given, ``allow_subnormal`` to ``True``.

    Every drawn value round-trips through ``torch.tensor(value, dtype=dtype)``
    unchanged. Special values (NaN, +-inf, -0.0, subnormals, the dtype's extremes,
    integers beyond 2**53) appear often. Examples shrink towards zero.

    .. code-block:: pycon

        >>> from_dtype(torch.bfloat16, min_value=0).example()
        0.0078125
    """
    kwargs = {
        "min_value": min_value,
        "max_value": max_value,
        "allow_nan": allow_nan,
        "allow_infinity": allow_infinity,
        "allow_subnormal": allow_subnormal,
    }
    return FromDtypeStrategy(dtype, kwargs)
