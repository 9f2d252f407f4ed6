"""Codecs: each dtype's values as exact bit patterns, and its special values.

Each value dtype gets a *codec* that maps between Python scalars and the dtype's
bit patterns (unsigned ints of ``8 * itemsize`` bits) and knows the dtype's
special values. Tensors are assembled from bit patterns (``_bit_patterns``), so
every value a dtype can hold, bfloat16, float8, complex32 and NaN payloads
included, comes out exactly as drawn, with no float64 detour. How values are
*drawn* is ``_samplers``'s business: ``codec.sampler(bounds)``.
"""

from __future__ import annotations

import bisect
import functools
import math
import struct
from typing import Any

import torch
from hypothesis.errors import InvalidArgument

from realize.strategies import _samplers
from realize.strategies._bit_patterns import BitPatterns, as_signed
from realize.strategies._dtypes import dtype_from_name, kind_of
from realize.strategies._samplers import Bounds, ElementSampler

__all__ = [
    "BoolCodec",
    "Codec",
    "ComplexCodec",
    "FloatCodec",
    "IntCodec",
    "codec_for",
    "sentinel",
]

_INF = math.inf


class Codec(BitPatterns):
    """One dtype's values as bit patterns: decode, encode (round), special values,
    and (inherited) tensors built from bit patterns."""

    kind: str

    # -- Python scalars ------------------------------------------------------
    def decode(self, bits: int) -> Any:
        raise NotImplementedError

    def encode(self, value: Any, source: object = "elements") -> int:
        """The bit pattern of ``value`` rounded to this dtype, else InvalidArgument."""
        raise NotImplementedError

    def sampler(self, bounds: Bounds) -> ElementSampler:
        """A sampler of this dtype's bit patterns under ``bounds`` (see ``_samplers``)."""
        raise NotImplementedError

    @property
    def sentinel(self) -> int:
        """The bit pattern of memory a view does not cover (see ``sentinel()``)."""
        raise NotImplementedError

    def _cannot(self, value: Any, source: object, why: str, fix: str = "") -> InvalidArgument:
        return InvalidArgument(
            f"Generated element {value!r} from {source!r} cannot be represented as "
            f"{self.dtype}: {why}.{' ' + fix if fix else ''}"
        )


class BoolCodec(Codec):
    kind = "bool"

    def decode(self, bits: int) -> bool:
        return bool(bits)

    def encode(self, value: Any, source: object = "elements") -> int:
        if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
            return int(value)
        raise self._cannot(value, source, "only True/False (or 0/1) are booleans")

    def sampler(self, bounds: Bounds) -> ElementSampler:
        return _samplers.bool_sampler(self, bounds)

    @property
    def sentinel(self) -> int:
        return 1  # True


class IntCodec(Codec):
    def __init__(self, dtype: torch.dtype) -> None:
        super().__init__(dtype)
        self.signed = bool(dtype.is_signed)
        self.kind = "int" if self.signed else "uint"
        self.min = -(1 << (self.bits - 1)) if self.signed else 0
        self.max = (1 << (self.bits - 1)) - 1 if self.signed else self.mask

    def decode(self, bits: int) -> int:
        return as_signed(bits, self.bits) if self.signed else bits

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

    def sampler(self, bounds: Bounds) -> ElementSampler:
        return _samplers.int_sampler(self, bounds)

    @property
    def sentinel(self) -> int:
        return self.max & self.mask  # the largest value

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
        # (float, int) struct formats of float32/64; None: decoded through a table.
        self.struct_formats = {4: ("<f", "<I"), 8: ("<d", "<Q")}.get(self.nbytes)
        if self.struct_formats is None:  # small dtypes: decode every bit pattern once, via torch
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
        if self.struct_formats is None:
            self.smallest = min(v for v in self._table if math.isfinite(v) and v > 0)
        else:
            self.smallest = self.smallest_normal * float(info.eps)

    def _probe(self, value: float) -> int:
        """The bit pattern torch's own conversion from float64 gives ``value``."""
        bits = torch.tensor([value], dtype=torch.float64).to(self.dtype).view(self.word).item()
        return int(bits) & self.mask

    # -- decode / exact encode -------------------------------------------------
    def decode(self, bits: int) -> float:
        if self.struct_formats is None:
            return self._table[bits]
        fmt, ifmt = self.struct_formats
        return struct.unpack(fmt, struct.pack(ifmt, bits))[0]  # type: ignore[no-any-return]

    @functools.cached_property
    def finite_sorted(self) -> tuple[list[float], list[int]]:
        """Finite values in increasing order (+0.0 only) and their bit patterns."""
        assert self.struct_formats is None
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
        if self.struct_formats is not None:
            fmt, ifmt = self.struct_formats
            return struct.unpack(ifmt, struct.pack(fmt, x))[0]  # type: ignore[no-any-return]
        if x == 0 and math.copysign(1.0, x) < 0 and self.negzero is not None:
            return self.negzero
        values, bits = self.finite_sorted
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
        if self.struct_formats is None:
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

    def step(self, bits: int, *, up: bool) -> int:
        """The bit pattern next to ``bits`` towards +inf (``up``) or -inf (float32/64)."""
        sign = 1 << (self.bits - 1)
        if bits & ~sign == 0:  # +0.0 or -0.0
            return 1 if up else sign | 1
        if (bits & sign == 0) == up:
            return bits + 1
        return bits - 1

    def sampler(self, bounds: Bounds) -> ElementSampler:
        return _samplers.float_sampler(self, bounds)

    @functools.cached_property
    def sentinel(self) -> int:
        """The all-ones payload where it is a NaN, else the canonical NaN."""
        ones = self.mask
        return ones if math.isnan(self.decode(ones)) else self.nan  # type: ignore[return-value]


class ComplexCodec(Codec):
    kind = "complex"

    def __init__(self, dtype: torch.dtype) -> None:
        super().__init__(dtype)
        part = codec_for(dtype.to_real())
        assert isinstance(part, FloatCodec)
        self.part: FloatCodec = part
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

    def sampler(self, bounds: Bounds) -> ElementSampler:
        return _samplers.complex_sampler(self, bounds)

    @property
    def sentinel(self) -> int:
        return self.join(self.part.sentinel, self.part.sentinel)  # NaN in both parts


_CODEC_OF_KIND: dict[str, type[Codec]] = {
    "bool": BoolCodec,
    "int": IntCodec,
    "uint": IntCodec,
    "float": FloatCodec,
    "float8": FloatCodec,
    "complex": ComplexCodec,
}


@functools.cache
def codec_for(dtype: torch.dtype) -> Codec:
    """The codec of a value dtype (cached: small-float tables are built once)."""
    codec = _CODEC_OF_KIND.get(kind_of(dtype) or "")
    if codec is None:  # pragma: no cover
        raise InvalidArgument(f"dtype={dtype!r} has no element values")
    return codec(dtype)


@functools.cache
def sentinel(dtype: torch.dtype) -> int:
    """The bit pattern written into memory a view does not cover (gaps, padding).

    A NaN for floating and complex dtypes (the all-ones payload where it is a NaN),
    the largest value for integers, ``True`` for bool: out-of-bounds reads show up
    as values a test rarely expects.
    """
    dtype = dtype_from_name(dtype)  # type: ignore[assignment]  # "float32" works too
    return codec_for(dtype).sentinel
