"""Element samplers: how a draw picks the bit pattern of one element under bounds.

Each draw is a choice between:

* a regular value (a Hypothesis float rounded to the nearest permitted value of
  the dtype, or a Hypothesis integer): shrinks towards 0 and simple values;
* a special value of that dtype: NaN (quiet, negative, signalling, payload),
  +-inf, -0.0, the largest and smallest finite values, the smallest normal,
  the smallest and largest subnormal, +-1, integers beyond 2**53, ...;
* (unbounded floats only) a uniformly random bit pattern.

Constraints (``Bounds``) are applied per element by construction, never by
filtering, so no tensor size can make them unsatisfiable.

Each codec builds its sampler (``Codec.sampler(bounds)``) from the builders here;
what a value *is* (its bit pattern, rounding, the special values of a dtype) is the
codecs' business, how one is *drawn* is this module's.
"""

from __future__ import annotations

import bisect
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hypothesis.errors import InvalidArgument

from realize._hypothesis_internals import draw_boolean, draw_bytes, draw_float, draw_integer

if TYPE_CHECKING:
    import torch

    from realize.strategies._codecs import BoolCodec, Codec, ComplexCodec, FloatCodec, IntCodec

__all__ = [
    "Bounds",
    "ElementSampler",
    "bool_sampler",
    "complex_sampler",
    "float_sampler",
    "int_sampler",
]

# ``ElementSampler.draw`` picks a special value with probability 4/16.
_REGULAR = 12

_Draw = Callable[[Any], int]


@dataclass(frozen=True)
class Bounds:
    """Validated bounds of the elements (``from_dtype``'s keyword arguments, defaults
    resolved); ``min_value``/``max_value`` are ``None`` on an unbounded side."""

    min_value: float | int | None
    max_value: float | int | None
    allow_nan: bool
    allow_infinity: bool
    allow_subnormal: bool

    @property
    def unbounded(self) -> bool:
        return self.min_value is None and self.max_value is None

    @property
    def any_bits(self) -> bool:
        """Whether every bit pattern of a floating dtype is a permitted value."""
        return self.unbounded and self.allow_nan and self.allow_infinity and self.allow_subnormal

    def describe(self, dtype: torch.dtype) -> str:
        """The ``from_dtype(...)`` call these bounds stand for."""
        shown = "".join(
            f", {k}={v!r}" for k, v in vars(self).items() if v is not None
        )  # dataclass fields, in order
        return f"from_dtype({dtype}{shown})"

    def permits_special(self, v: float, lo: float, hi: float, smallest_normal: float) -> bool:
        """May the special value ``v`` be drawn? ``lo``/``hi``: the finite range in use."""
        if math.isnan(v):
            return self.allow_nan
        if math.isinf(v):
            unbounded_side = self.max_value is None if v > 0 else self.min_value is None
            return self.allow_infinity and unbounded_side
        if not self.allow_subnormal and 0 < abs(v) < smallest_normal:
            return False
        return lo <= v <= hi


class ElementSampler:
    """Draws bit patterns of one dtype under bounds; see the module docstring.

    * ``regular(data)``: one regular value, one choice (two for complex);
    * ``special(data)``: one of the dtype's special values under the bounds
      (``None`` if there are none);
    * ``draw(data)``: one choice between the two, then the value;
    * ``raw``: when every bit pattern is permitted (no bounds), the function that
      turns ``nbytes`` random bytes into a value (``None`` otherwise), so that
      ``tensors()`` can draw many values with one ``draw_bytes`` choice.
    """

    def __init__(
        self,
        codec: Codec,
        regular: _Draw,
        special: _Draw | None,
        description: str,
        raw: Callable[[int], int] | None = None,
    ) -> None:
        self.codec = codec
        self.regular = regular
        self.special = special
        self.description = description
        self.raw = raw

    def __repr__(self) -> str:
        return self.description

    def draw(self, data: Any) -> int:
        if self.special is not None and draw_integer(data, 0, 15) >= _REGULAR:
            return self.special(data)
        return self.regular(data)


def _identity(bits: int) -> int:
    return bits


def _low_bit(bits: int) -> int:
    return bits & 1


def _draw_bool(data: Any) -> int:
    return int(draw_boolean(data))


def bool_sampler(codec: BoolCodec, bounds: Bounds) -> ElementSampler:
    return ElementSampler(codec, _draw_bool, None, bounds.describe(codec.dtype), raw=_low_bit)


def int_sampler(codec: IntCodec, bounds: Bounds) -> ElementSampler:
    min_value, max_value = bounds.min_value, bounds.max_value
    lo = codec.min if min_value is None else max(codec.min, math.ceil(min_value))
    hi = codec.max if max_value is None else min(codec.max, math.floor(max_value))
    if lo > hi:
        raise InvalidArgument(
            f"No {codec.dtype} value lies in [min_value={min_value!r}, max_value={max_value!r}]"
            f"; {codec.dtype} holds [{codec.min}, {codec.max}]"
        )
    mask = codec.mask
    towards = min(max(0, lo), hi)
    specials = tuple(b for b in codec.specials if lo <= codec.decode(b) <= hi)
    specials += tuple(b for b in (lo & mask, hi & mask) if b not in specials)

    def regular(data: Any) -> int:
        return draw_integer(data, lo, hi, towards) & mask

    def special(data: Any) -> int:
        return specials[draw_integer(data, 0, len(specials) - 1)]

    raw = _identity if bounds.unbounded else None
    description = bounds.describe(codec.dtype)
    return ElementSampler(codec, regular, special if specials else None, description, raw=raw)


def _float_range(codec: FloatCodec, bounds: Bounds) -> tuple[float, float, Callable[[float], int]]:
    """The finite range ``[lo, hi]`` drawn from, and a function rounding a float in it
    to the nearest *permitted* bit pattern: rounded values always satisfy the bounds,
    so there is no filtering, whatever the tensor size."""
    min_value, max_value = bounds.min_value, bounds.max_value
    lo = codec.lowest if min_value is None else max(float(min_value), codec.lowest)
    hi = codec.max if max_value is None else min(float(max_value), codec.max)
    if codec.struct_formats is None:
        values, bits = codec.finite_sorted
        keep = [
            (v, b)
            for v, b in zip(values, bits, strict=True)
            if lo <= v <= hi and (bounds.allow_subnormal or not codec.is_subnormal(v))
        ]
        if not keep:
            raise InvalidArgument(
                f"No finite {codec.dtype} value lies in [min_value={min_value!r}, "
                f"max_value={max_value!r}] with allow_subnormal={bounds.allow_subnormal!r}"
            )
        kv = [v for v, _ in keep]
        kb = [b for _, b in keep]

        def nearest_kept(x: float) -> int:
            i = bisect.bisect_left(kv, x)
            if i >= len(kv):
                return kb[-1]
            if i > 0 and x - kv[i - 1] <= kv[i] - x:
                return kb[i - 1]
            return kb[i]

        return kv[0], kv[-1], nearest_kept

    fmt, ifmt = codec.struct_formats
    # Round the bounds inwards to the dtype so rounding a value in range stays in range.
    lo_b, hi_b = codec.nearest(lo), codec.nearest(hi)
    assert lo_b is not None and hi_b is not None
    lo_r, hi_r = codec.decode(lo_b), codec.decode(hi_b)
    if lo_r < lo:
        lo_r = codec.decode(codec.step(lo_b, up=True))
    if hi_r > hi:
        hi_r = codec.decode(codec.step(hi_b, up=False))
    if lo_r > hi_r:
        raise InvalidArgument(
            f"No {codec.dtype} value lies in [min_value={min_value!r}, max_value={max_value!r}]"
        )
    pack, unpack = struct.Struct(fmt).pack, struct.Struct(ifmt).unpack

    def nearest_struct(x: float) -> int:
        return unpack(pack(x))[0]  # type: ignore[no-any-return]

    return lo_r, hi_r, nearest_struct


def _float_draws(codec: FloatCodec, bounds: Bounds) -> tuple[_Draw, _Draw | None]:
    """The regular and special draws of a real floating dtype (a complex dtype's parts)."""
    lo, hi, nearest = _float_range(codec, bounds)
    smallest = codec.smallest_normal if not bounds.allow_subnormal else codec.smallest
    smallest = max(smallest, 2.0**-1074)
    specials = tuple(
        b
        for b in codec.specials
        if bounds.permits_special(codec.decode(b), lo, hi, codec.smallest_normal)
    )
    # The bounds themselves (rounded inwards) are special values too.
    for bound in (lo, hi):
        b = codec.nearest(bound)
        if (
            b is not None
            and b not in specials
            and (bounds.allow_subnormal or not codec.is_subnormal(bound))
        ):
            specials += (b,)
    nbytes = codec.nbytes

    def regular(data: Any) -> int:
        x = draw_float(data, lo, hi, allow_nan=False, smallest_nonzero_magnitude=smallest)
        return nearest(x)

    # The last index of the special draw stands for a random bit pattern.
    n_special = len(specials) + (1 if bounds.any_bits else 0)

    def special(data: Any) -> int:
        i = draw_integer(data, 0, n_special - 1)
        if i == len(specials):
            return int.from_bytes(draw_bytes(data, nbytes), "little")
        return specials[i]

    return regular, special if n_special else None


def float_sampler(codec: FloatCodec, bounds: Bounds) -> ElementSampler:
    raw = _identity if bounds.any_bits else None
    description = bounds.describe(codec.dtype)
    return ElementSampler(codec, *_float_draws(codec, bounds), description, raw=raw)


def complex_sampler(codec: ComplexCodec, bounds: Bounds) -> ElementSampler:
    """Both parts drawn like the real dtype's values, under the same bounds."""
    part_regular, part_special = _float_draws(codec.part, bounds)
    half = codec.half

    def regular(data: Any) -> int:
        re = part_regular(data)
        return re | (part_regular(data) << half)

    def special(data: Any) -> int:
        # One part special, the other regular or special: NaN+1j, 0-infj, ...
        assert part_special is not None
        re = part_special(data)
        im = part_special(data) if draw_boolean(data) else part_regular(data)
        return re | (im << half) if draw_boolean(data) else im | (re << half)

    raw = _identity if bounds.any_bits else None
    description = bounds.describe(codec.dtype)
    return ElementSampler(codec, regular, special if part_special else None, description, raw=raw)
