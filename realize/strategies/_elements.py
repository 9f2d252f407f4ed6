"""Element values as exact bit patterns, drawn so that every special value appears.

Each dtype gets a *codec* that maps between Python scalars and the dtype's bit
patterns (unsigned ints of ``8 * itemsize`` bits). Tensors are assembled from bit
patterns (``torch.full`` of an integer view plus ``index_put``), so every value a
dtype can hold, bfloat16, float8, complex32 and NaN payloads included, comes out
exactly as drawn, with no float64 detour.

An *element sampler* draws bit patterns under optional bounds. Each draw is a
choice between:

* a regular value (a Hypothesis float rounded to the nearest permitted value of
  the dtype, or a Hypothesis integer): shrinks towards 0 and simple values;
* a special value of that dtype: NaN (quiet, negative, signalling, payload),
  +-inf, -0.0, the largest and smallest finite values, the smallest normal,
  the smallest and largest subnormal, +-1, integers beyond 2**53, ...;
* (unbounded floats only) a uniformly random bit pattern.

Constraints (``min_value``/``max_value``/``allow_nan``/``allow_infinity``/
``allow_subnormal``) are applied per element by construction, never by filtering,
so no tensor size can make them unsatisfiable.
"""

from __future__ import annotations

import bisect
import functools
import math
import struct
from array import array
from collections.abc import Callable, Mapping
from typing import Any

import torch
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from realize.strategies._draw import draw_boolean, draw_bytes, draw_float, draw_integer
from realize.strategies._dtypes import check_dtype, dtype_from_name, kind_of
from realize.strategies._validation import check_bool, check_number

__all__ = [
    "Codec",
    "ElementSampler",
    "UserElements",
    "codec_for",
    "from_dtype",
    "sampler_for",
    "sentinel",
]

_WORDS = {1: torch.int8, 2: torch.int16, 4: torch.int32, 8: torch.int64}
# ``array`` type codes of unsigned ints by width in bits (sizes are platform-defined).
_UNSIGNED = {8 * array(code).itemsize: code for code in "QLIHB"}
_INF = math.inf


def _signed(bits: int, width: int) -> int:
    return bits - (1 << width) if bits >> (width - 1) else bits


class Codec:
    """Bit-pattern view of one dtype: decode, encode (round), build tensors."""

    kind: str

    def __init__(self, dtype: torch.dtype) -> None:
        self.dtype = dtype
        self.nbytes = dtype.itemsize
        self.bits = 8 * dtype.itemsize
        self.mask = (1 << self.bits) - 1
        # Integer view used to write bit patterns: one word per element, or two
        # int64 words (real, imaginary) for 16-byte complex128.
        self.words = 1 if self.nbytes in _WORDS else self.nbytes // 8
        self.word = _WORDS[self.nbytes // self.words]
        self.word_bits = self.bits // self.words

    # -- Python scalars ------------------------------------------------------
    def decode(self, bits: int) -> Any:
        raise NotImplementedError

    def encode(self, value: Any, source: object = "elements") -> int:
        """The bit pattern of ``value`` rounded to this dtype, else InvalidArgument."""
        raise NotImplementedError

    def _cannot(self, value: Any, source: object, why: str, fix: str = "") -> InvalidArgument:
        return InvalidArgument(
            f"Generated element {value!r} from {source!r} cannot be represented as "
            f"{self.dtype}: {why}.{' ' + fix if fix else ''}"
        )

    # -- tensors -------------------------------------------------------------
    def _word_values(self, bits: int) -> list[int]:
        if self.words == 1:
            return [_signed(bits, self.word_bits)]
        wmask = (1 << self.word_bits) - 1
        return [
            _signed((bits >> (i * self.word_bits)) & wmask, self.word_bits)
            for i in range(self.words)
        ]

    def full(self, n: int, bits: int, device: torch.device | str = "cpu") -> torch.Tensor:
        """A 1-D tensor of ``n`` elements, all with bit pattern ``bits``."""
        if self.words == 1:  # empty + fill_ is faster than torch.full
            words = torch.empty(n, dtype=self.word, device=device)
            return words.fill_(_signed(bits, self.word_bits)).view(self.dtype)
        words = torch.empty((n, self.words), dtype=self.word, device=device)
        for i, w in enumerate(self._word_values(bits)):
            words[:, i].fill_(w)
        return words.view(self.dtype).view(n)

    def build(
        self,
        n: int,
        fill: int,
        elements: Mapping[int, int],
        device: torch.device | str = "cpu",
    ) -> torch.Tensor:
        """A 1-D tensor: ``fill`` everywhere, ``elements[i]`` at position ``i``.

        Indices and bit patterns go through ``array`` buffers (``torch.tensor`` of
        a Python list is several times slower), then one ``index_put_``.
        """
        out = self.full(n, fill, device)
        if elements:
            k = len(elements)
            index = torch.frombuffer(array("q", elements.keys()), dtype=torch.int64)
            if self.words == 1:
                raw = array(_UNSIGNED[self.word_bits], elements.values())
            else:
                wmask = (1 << self.word_bits) - 1
                raw = array(
                    _UNSIGNED[self.word_bits],
                    [
                        (b >> (i * self.word_bits)) & wmask
                        for b in elements.values()
                        for i in range(self.words)
                    ],
                )
            values = torch.frombuffer(raw, dtype=self.word).view(k, self.words)
            words = out.view(self.word).view(n, self.words)
            words.index_put_((index.to(device),), values.to(device))
        return out

    def to_bits(self, t: torch.Tensor) -> list[int]:
        """The bit patterns of the elements of ``t`` (any layout), in logical order."""
        flat = t.detach().resolve_conj().resolve_neg().reshape(-1)
        # clone: a size-1 view with stride 2 counts as contiguous but cannot change dtype
        words = flat.clone(memory_format=torch.contiguous_format).view(self.word).tolist()
        wmask = (1 << self.word_bits) - 1
        if self.words == 1:
            return [w & wmask for w in words]
        return [
            sum((words[i + j] & wmask) << (j * self.word_bits) for j in range(self.words))
            for i in range(0, len(words), self.words)
        ]


class BoolCodec(Codec):
    kind = "bool"

    def decode(self, bits: int) -> bool:
        return bool(bits)

    def encode(self, value: Any, source: object = "elements") -> int:
        if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
            return int(value)
        raise self._cannot(value, source, "only True/False (or 0/1) are booleans")


class IntCodec(Codec):
    def __init__(self, dtype: torch.dtype) -> None:
        super().__init__(dtype)
        self.signed = bool(dtype.is_signed)
        self.kind = "int" if self.signed else "uint"
        self.min = -(1 << (self.bits - 1)) if self.signed else 0
        self.max = (1 << (self.bits - 1)) - 1 if self.signed else self.mask

    def decode(self, bits: int) -> int:
        return _signed(bits, self.bits) if self.signed else bits

    def encode(self, value: Any, source: object = "elements") -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int):
            raise self._cannot(value, source, "it is not an integer")
        if not self.min <= value <= self.max:
            raise self._cannot(
                value,
                source,
                f"it is outside [{self.min}, {self.max}]",
                f"Consider passing a strategy with min_value={self.min}, max_value={self.max}.",
            )
        return value & self.mask

    @functools.cached_property
    def specials(self) -> tuple[int, ...]:
        cands = {0, 1, -1, 2, self.min, self.max, self.min + 1, self.max - 1}
        for k in (8, 16, 32, 53):  # byte-size boundaries, and float64's exact-int limit
            cands |= {2**k - 1, 2**k, 2**k + 1, -(2**k), -(2**k) - 1}
        return tuple(v & self.mask for v in sorted(cands) if self.min <= v <= self.max)


class FloatCodec(Codec):
    """A real floating dtype: float16/32/64, bfloat16, the float8 family."""

    def __init__(self, dtype: torch.dtype) -> None:
        super().__init__(dtype)
        self.kind = kind_of(dtype) or "float"
        info = torch.finfo(dtype)
        self.max = float(info.max)
        self.lowest = float(info.min)
        self.smallest_normal = float(info.smallest_normal)
        self._struct = {4: ("<f", "<I"), 8: ("<d", "<Q")}.get(self.nbytes)
        if self._struct is None:  # small dtypes: decode every bit pattern once, via torch
            patterns = torch.arange(1 << self.bits, dtype=torch.int32).to(self.word)
            self._table: list[float] = patterns.view(dtype).to(torch.float64).tolist()
        self.nan: int | None = self._probe(math.nan)
        self.inf: int | None = self._probe(_INF)
        self.ninf: int | None = self._probe(-_INF)
        if self.inf is not None and not math.isinf(self.decode(self.inf)):
            self.inf = self.ninf = None  # e.g. float8_e4m3fn turns inf into NaN
        self.has_nan = self.nan is not None and math.isnan(self.decode(self.nan))
        self.has_inf = self.inf is not None
        negzero = self._probe(-0.0)
        self.negzero = negzero if negzero != self._probe(0.0) else None
        # The smallest positive value (a subnormal where there are any): float32/64
        # have smallest_normal * eps; small dtypes are read off their table.
        if self._struct is None:
            self.smallest = min(v for v in self._table if math.isfinite(v) and v > 0)
        else:
            self.smallest = self.smallest_normal * float(info.eps)

    def _probe(self, value: float) -> int:
        """The bit pattern torch's own conversion from float64 gives ``value``."""
        bits = torch.tensor([value], dtype=torch.float64).to(self.dtype).view(self.word).item()
        return int(bits) & self.mask

    # -- decode / exact encode -------------------------------------------------
    def decode(self, bits: int) -> float:
        if self._struct is None:
            return self._table[bits]
        fmt, ifmt = self._struct
        return struct.unpack(fmt, struct.pack(ifmt, bits))[0]  # type: ignore[no-any-return]

    @functools.cached_property
    def _sorted(self) -> tuple[list[float], list[int]]:
        """Finite values in increasing order (+0.0 only) and their bit patterns."""
        assert self._struct is None
        pairs = sorted(
            (v, b)
            for b, v in enumerate(self._table)
            if math.isfinite(v) and not (v == 0 and math.copysign(1.0, v) < 0)
        )
        return [v for v, _ in pairs], [b for _, b in pairs]

    def nearest(self, x: float) -> int | None:
        """Round ``x`` to nearest (ties to even); ``None`` if it overflows the dtype."""
        if math.isnan(x):
            return self.nan if self.has_nan else None
        if math.isinf(x):
            if not self.has_inf:
                return None
            return self.inf if x > 0 else self.ninf
        if x > self.max or x < self.lowest:
            return None
        if self._struct is not None:
            fmt, ifmt = self._struct
            return struct.unpack(ifmt, struct.pack(fmt, x))[0]  # type: ignore[no-any-return]
        if x == 0 and math.copysign(1.0, x) < 0 and self.negzero is not None:
            return self.negzero
        values, bits = self._sorted
        i = bisect.bisect_left(values, x)
        if i < len(values) and values[i] == x:
            return bits[i]
        lo, hi = i - 1, i  # values[lo] < x < values[hi]
        if lo < 0:
            return bits[hi]
        if hi >= len(values):
            return bits[lo]
        dlo, dhi = x - values[lo], values[hi] - x
        if dlo == dhi:  # a tie: do what torch does (to even; float8_e8m0fnu rounds up)
            result = self._probe(x)
            assert result is not None
        else:
            result = bits[lo] if dlo < dhi else bits[hi]
        if self.decode(result) == 0 and x < 0 and self.negzero is not None:
            return self.negzero
        return result

    def encode(self, value: Any, source: object = "elements") -> int:
        if isinstance(value, complex) or not isinstance(value, (int, float)):
            raise self._cannot(value, source, "it is not a real number")
        try:
            x = float(value)
        except OverflowError:
            x = math.copysign(_INF, value)
        result = self.nearest(x)
        if result is None:
            if math.isnan(x):
                raise self._cannot(value, source, "the dtype has no NaN")
            raise self._cannot(
                value,
                source,
                f"it is outside the finite range [{self.lowest!r}, {self.max!r}]"
                + (" and the dtype has no infinity" if not self.has_inf else ""),
                f"Consider passing a strategy with min_value={self.lowest!r}, "
                f"max_value={self.max!r}.",
            )
        return result

    # -- special values ----------------------------------------------------------
    @functools.cached_property
    def specials(self) -> tuple[int, ...]:
        """Bit patterns of the values a test should meet at least once."""
        tiny = self.smallest_normal
        sub_max = None
        if self.smallest < tiny:  # there are subnormals: the largest is just below tiny
            sub_max = tiny - self.smallest
        values = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, self.max, self.lowest, tiny, -tiny]
        values += [self.smallest, -self.smallest]
        if sub_max is not None:
            values += [sub_max, -sub_max]
        if self.max > 2.0**53:
            values += [2.0**53, 2.0**53 + 2, -(2.0**53)]
        found: list[int] = []
        for v in values:
            b = self.nearest(v)
            if b is not None and self.decode(b) == v and b not in found:
                if v == 0 and math.copysign(1.0, v) != math.copysign(1.0, self.decode(b)):
                    continue
                found.append(b)
        if self.has_inf:
            found += [self.inf, self.ninf]  # type: ignore[list-item]
        found += [b for b in self.nan_patterns if b not in found]
        return tuple(found)

    @functools.cached_property
    def nan_patterns(self) -> tuple[int, ...]:
        """A few distinct NaN encodings: canonical, signalling, negative all-ones payload."""
        if not self.has_nan:
            return ()
        if self._struct is None:
            nans = [b for b, v in enumerate(self._table) if math.isnan(v)]
        else:
            exp_bits = 8 if self.nbytes == 4 else 11
            man = self.bits - 1 - exp_bits
            exp = ((1 << exp_bits) - 1) << man
            sign = 1 << (self.bits - 1)
            nans = sorted({exp | 1, exp | (1 << (man - 1)), exp | ((1 << man) - 1)})
            nans += [n | sign for n in nans]
        # The canonical NaN, the lowest pattern (a signalling NaN where there is
        # one) and the highest (negative, all-ones payload); random bit patterns
        # supply the others.
        picks = [self.nan, nans[0], nans[-1]]
        out: list[int] = []
        for b in picks:
            if b is not None and b not in out:
                out.append(b)
        return tuple(out)

    def is_subnormal(self, v: float) -> bool:
        return 0 < abs(v) < self.smallest_normal


class ComplexCodec(Codec):
    kind = "complex"

    def __init__(self, dtype: torch.dtype) -> None:
        super().__init__(dtype)
        real = {4: torch.float16, 8: torch.float32, 16: torch.float64}[self.nbytes]
        self.part = codec_for(real)
        assert isinstance(self.part, FloatCodec)
        self.half = self.part.bits

    def split(self, bits: int) -> tuple[int, int]:
        return bits & self.part.mask, bits >> self.half

    def join(self, re: int, im: int) -> int:
        return re | (im << self.half)

    def decode(self, bits: int) -> complex:
        re, im = self.split(bits)
        return complex(self.part.decode(re), self.part.decode(im))

    def encode(self, value: Any, source: object = "elements") -> int:
        if not isinstance(value, (int, float, complex)):
            raise self._cannot(value, source, "it is not a number")
        value = complex(value)
        return self.join(self.part.encode(value.real, source), self.part.encode(value.imag, source))


@functools.cache
def codec_for(dtype: torch.dtype) -> Codec:
    """The codec of a value dtype (cached: small-float tables are built once)."""
    kind = kind_of(dtype)
    if kind == "bool":
        return BoolCodec(dtype)
    if kind in ("int", "uint"):
        return IntCodec(dtype)
    if kind in ("float", "float8"):
        return FloatCodec(dtype)
    if kind == "complex":
        return ComplexCodec(dtype)
    raise InvalidArgument(f"dtype={dtype!r} has no element values")  # pragma: no cover


@functools.cache
def sentinel(dtype: torch.dtype) -> int:
    """The bit pattern written into memory a view does not cover (gaps, padding).

    A NaN for floating and complex dtypes (the all-ones payload where it is a NaN),
    the largest value for integers, ``True`` for bool: out-of-bounds reads show up
    as values a test rarely expects.
    """
    dtype = dtype_from_name(dtype)  # type: ignore[assignment]  # "float32" works too
    codec = codec_for(dtype)
    if isinstance(codec, FloatCodec):
        ones = codec.mask
        return ones if math.isnan(codec.decode(ones)) else codec.nan  # type: ignore[return-value]
    if isinstance(codec, ComplexCodec):
        part = sentinel(codec.part.dtype)
        return codec.join(part, part)
    if isinstance(codec, IntCodec):
        return codec.max & codec.mask
    return 1


# ---------------------------------------------------------------------------------
# Samplers


# ``ElementSampler.draw`` picks a special value with probability 4/16.
_REGULAR = 12

_Draw = Callable[[Any], int]


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


def _bool_sampler(codec: Codec) -> tuple[_Draw, _Draw | None]:
    def regular(data: Any) -> int:
        return int(draw_boolean(data))

    return regular, None


def _int_sampler(codec: IntCodec, lo: int, hi: int) -> tuple[_Draw, _Draw | None]:
    mask = codec.mask
    towards = min(max(0, lo), hi)
    specials = tuple(b for b in codec.specials if lo <= codec.decode(b) <= hi)
    specials += tuple(b for b in (lo & mask, hi & mask) if b not in specials)

    def regular(data: Any) -> int:
        return draw_integer(data, lo, hi, towards) & mask

    def special(data: Any) -> int:
        return specials[draw_integer(data, 0, len(specials) - 1)]

    return regular, special if specials else None


def _float_sampler(
    codec: FloatCodec,
    min_value: float | None,
    max_value: float | None,
    allow_nan: bool,
    allow_infinity: bool,
    allow_subnormal: bool,
) -> tuple[_Draw, _Draw | None]:
    lo = codec.lowest if min_value is None else max(float(min_value), codec.lowest)
    hi = codec.max if max_value is None else min(float(max_value), codec.max)
    # Values drawn below are rounded to the nearest *permitted* value, so they
    # always satisfy the bounds: no filtering, whatever the tensor size.
    if codec._struct is None:
        values, bits = codec._sorted
        keep = [
            (v, b)
            for v, b in zip(values, bits, strict=True)
            if lo <= v <= hi and (allow_subnormal or not codec.is_subnormal(v))
        ]
        if not keep:
            raise InvalidArgument(
                f"No finite {codec.dtype} value lies in [min_value={min_value!r}, "
                f"max_value={max_value!r}] with allow_subnormal={allow_subnormal!r}"
            )
        kv = [v for v, _ in keep]
        kb = [b for _, b in keep]
        lo, hi = kv[0], kv[-1]

        def regular_bits(x: float) -> int:
            i = bisect.bisect_left(kv, x)
            if i >= len(kv):
                return kb[-1]
            if i > 0 and x - kv[i - 1] <= kv[i] - x:
                return kb[i - 1]
            return kb[i]

    else:
        fmt, ifmt = codec._struct
        # Round the bounds inwards to the dtype so rounding a value in range stays in range.
        lo_b, hi_b = codec.nearest(lo), codec.nearest(hi)
        assert lo_b is not None and hi_b is not None
        lo_r, hi_r = codec.decode(lo_b), codec.decode(hi_b)
        if lo_r < lo:
            lo_r = codec.decode(_step(lo_b, codec.bits, up=True))
        if hi_r > hi:
            hi_r = codec.decode(_step(hi_b, codec.bits, up=False))
        lo, hi = lo_r, hi_r
        if lo > hi:
            raise InvalidArgument(
                f"No {codec.dtype} value lies in [min_value={min_value!r}, max_value={max_value!r}]"
            )
        pack, unpack = struct.Struct(fmt).pack, struct.Struct(ifmt).unpack

        def regular_bits(x: float) -> int:
            return unpack(pack(x))[0]  # type: ignore[no-any-return]

    smallest = codec.smallest_normal if not allow_subnormal else codec.smallest
    smallest = max(smallest, 2.0**-1074)
    specials = tuple(
        b
        for b in codec.specials
        if _permitted(
            codec.decode(b),
            lo,
            hi,
            min_value,
            max_value,
            allow_nan,
            allow_infinity,
            allow_subnormal,
            codec.smallest_normal,
        )
    )
    # The bounds themselves (rounded inwards) are special values too.
    for bound in (lo, hi):
        b = codec.nearest(bound)
        if (
            b is not None
            and b not in specials
            and (allow_subnormal or not codec.is_subnormal(bound))
        ):
            specials += (b,)
    raw = min_value is None and max_value is None and allow_nan and allow_infinity
    raw = raw and allow_subnormal
    nbytes = codec.nbytes

    def regular(data: Any) -> int:
        x = draw_float(data, lo, hi, allow_nan=False, smallest_nonzero_magnitude=smallest)
        return regular_bits(x)

    # The last index of the special draw stands for a random bit pattern.
    n_special = len(specials) + (1 if raw else 0)

    def special(data: Any) -> int:
        i = draw_integer(data, 0, n_special - 1)
        if i == len(specials):
            return int.from_bytes(draw_bytes(data, nbytes), "little")
        return specials[i]

    return regular, special if n_special else None


def _step(bits: int, width: int, *, up: bool) -> int:
    """The IEEE bit pattern next to ``bits`` towards +inf (``up``) or -inf."""
    sign = 1 << (width - 1)
    if bits & ~sign == 0:  # +0.0 or -0.0
        return 1 if up else sign | 1
    if (bits & sign == 0) == up:
        return bits + 1
    return bits - 1


def _permitted(
    v: float,
    lo: float,
    hi: float,
    min_value: float | None,
    max_value: float | None,
    allow_nan: bool,
    allow_infinity: bool,
    allow_subnormal: bool,
    smallest_normal: float,
) -> bool:
    """May the special value ``v`` be drawn? ``lo``/``hi``: the finite range in use."""
    if math.isnan(v):
        return allow_nan
    if math.isinf(v):
        unbounded_side = max_value is None if v > 0 else min_value is None
        return allow_infinity and unbounded_side
    if not allow_subnormal and 0 < abs(v) < smallest_normal:
        return False
    return lo <= v <= hi


def sampler_for(
    dtype: torch.dtype,
    *,
    min_value: float | int | None = None,
    max_value: float | int | None = None,
    allow_nan: bool | None = None,
    allow_infinity: bool | None = None,
    allow_subnormal: bool | None = None,
) -> ElementSampler:
    """Validate the bounds for ``dtype`` and return a sampler of its bit patterns.

    Bounds are clipped to the dtype's range (so a drawn dtype with a fixed
    ``min_value=-1`` works for uint8 too); only an empty intersection is an error.
    Defaults follow ``st.floats``: NaN only without bounds, infinity only on an
    unbounded side, subnormals allowed.
    """
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
    args = (min_value, max_value, allow_nan, allow_infinity, allow_subnormal)
    return _cached_sampler(dtype, args)


@functools.lru_cache(maxsize=512)
def _cached_sampler(dtype: torch.dtype, args: tuple[Any, ...]) -> ElementSampler:
    min_value, max_value = args[:2]
    codec = codec_for(dtype)
    desc = f"from_dtype({dtype}" + "".join(
        f", {k}={v!r}"
        for k, v in zip(
            ("min_value", "max_value", "allow_nan", "allow_infinity", "allow_subnormal"),
            args,
            strict=True,
        )
        if v is not None
    )
    desc += ")"
    unbounded = min_value is None and max_value is None
    raw_ok = unbounded and all(a is not False for a in args[2:])
    if isinstance(codec, BoolCodec):
        return ElementSampler(codec, *_bool_sampler(codec), desc, raw=_low_bit)
    if isinstance(codec, IntCodec):
        lo = codec.min if min_value is None else max(codec.min, math.ceil(min_value))
        hi = codec.max if max_value is None else min(codec.max, math.floor(max_value))
        if lo > hi:
            raise InvalidArgument(
                f"No {dtype} value lies in [min_value={min_value!r}, max_value={max_value!r}]"
                f"; {dtype} holds [{codec.min}, {codec.max}]"
            )
        raw = _identity if unbounded else None
        return ElementSampler(codec, *_int_sampler(codec, lo, hi), desc, raw=raw)
    if isinstance(codec, FloatCodec):
        raw = _identity if raw_ok else None
        return ElementSampler(codec, *_float_sampler(codec, *args), desc, raw=raw)
    assert isinstance(codec, ComplexCodec)
    assert isinstance(codec.part, FloatCodec)
    part_regular, part_special = _float_sampler(codec.part, *args)
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

    raw = _identity if raw_ok else None
    return ElementSampler(codec, regular, special if part_special else None, desc, raw=raw)


class UserElements(ElementSampler):
    """Elements from a user strategy of Python scalars, encoded per draw."""

    def __init__(self, codec: Codec, strategy: SearchStrategy[Any]) -> None:
        def regular(data: Any) -> int:
            return codec.encode(data.draw(strategy), strategy)

        super().__init__(codec, regular, None, repr(strategy))


class FromDtypeStrategy(SearchStrategy[Any]):
    def __init__(self, dtype: object, kwargs: dict[str, Any]) -> None:
        super().__init__()
        self._dtype = dtype
        self._kwargs = kwargs
        self._sampler: ElementSampler | None = None

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self._kwargs.items() if v is not None)
        return f"from_dtype({self._dtype!r}{args})"

    def do_validate(self) -> None:
        self.sampler()

    def sampler(self) -> ElementSampler:
        if self._sampler is None:
            self._sampler = sampler_for(check_dtype(self._dtype), **self._kwargs)
        return self._sampler

    def do_draw(self, data: Any) -> Any:
        sampler = self.sampler()
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
