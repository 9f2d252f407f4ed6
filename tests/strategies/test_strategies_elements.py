"""Element values: exact for every dtype, special values appear, bounds hold (point 5)."""

from __future__ import annotations

import math
import re
import struct

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from strategy_helpers import SAMPLE, bits, is_subnormal, sample, word_dtype

from realize.strategies import from_dtype, shapes, supported_dtypes, tensors
from realize.strategies._codecs import FloatCodec, codec_for

ALL = supported_dtypes("cpu")
FLOATS = [d for d in ALL if d.is_floating_point]
INTS = [d for d in ALL if not d.is_floating_point and not d.is_complex and d != torch.bool]
COMPLEX = [d for d in ALL if d.is_complex]
SMALL = shapes(max_numel=32)


def _name(d: torch.dtype) -> str:
    return str(d).removeprefix("torch.")


def _values(dtype: torch.dtype, n: int = 100, **kwargs) -> list:
    """The logical values of ``n`` derandomized cpu tensors, flattened."""
    out: list = []
    for t in sample(tensors(dtype, SMALL, device="cpu", **kwargs), n):
        out += t.detach().resolve_conj().resolve_neg().reshape(-1).tolist()
    return out


def _same(a: float | complex, b: float | complex) -> bool:
    """Equal, NaN equal to NaN, -0.0 distinct from 0.0."""
    if isinstance(a, complex) or isinstance(b, complex):
        a, b = complex(a), complex(b)
        return _same(a.real, b.real) and _same(a.imag, b.imag)
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b and math.copysign(1, a) == math.copysign(1, b)


@settings(SAMPLE, max_examples=400)
@given(st.data())
def test_from_dtype_values_round_trip_through_torch(data: st.DataObject) -> None:
    # Oracle: torch itself stores the drawn Python scalar unchanged.
    dtype = data.draw(st.sampled_from(ALL))
    v = data.draw(from_dtype(dtype))
    stored = torch.tensor([v], dtype=dtype)
    assert _same(stored.item(), v), (dtype, v, stored)


@pytest.mark.parametrize("dtype", [d for d in FLOATS if d.itemsize < 4], ids=_name)
def test_rounding_matches_torch_conversion(dtype: torch.dtype) -> None:
    codec = codec_for(dtype)
    assert isinstance(codec, FloatCodec)

    @settings(SAMPLE, max_examples=150)
    @given(st.floats(codec.lowest, codec.max, width=32))
    def check(x: float) -> None:
        if dtype == torch.float8_e8m0fnu and x < 2 * codec.smallest_normal:
            return  # torch rounds below 2**-126 in float32's subnormal encoding
        oracle = torch.tensor([x], dtype=torch.float32).to(dtype).view(word_dtype(dtype))
        assert codec.nearest(x) == oracle.item() & codec.mask

    check()


def _expected_specials(codec: FloatCodec) -> dict[str, float]:
    info = torch.finfo(codec.dtype)
    out = {"max": float(info.max), "lowest": float(info.min), "tiny": float(info.smallest_normal)}
    if codec.has_nan:
        out["nan"] = math.nan
    if codec.has_inf:
        out["inf"], out["-inf"] = math.inf, -math.inf
    if codec.negzero is not None:
        out["-0.0"] = -0.0
    subnormal = [v for v in (codec.smallest,) if v < info.smallest_normal]
    if subnormal:
        out["smallest subnormal"] = subnormal[0]
    return out


@pytest.mark.parametrize("dtype", FLOATS, ids=_name)
def test_special_float_values_appear(dtype: torch.dtype) -> None:
    codec = codec_for(dtype)
    assert isinstance(codec, FloatCodec)
    values = _values(dtype)
    for name, special in _expected_specials(codec).items():
        assert any(_same(v, special) for v in values), (name, special)
    if codec.smallest < codec.smallest_normal:
        assert any(is_subnormal(v, dtype) for v in values), "no subnormal"


@pytest.mark.parametrize("dtype", COMPLEX, ids=_name)
def test_special_complex_values_appear(dtype: torch.dtype) -> None:
    values = _values(dtype)
    parts = [p for v in values for p in (v.real, v.imag)]
    assert any(math.isnan(p) for p in parts)
    assert any(math.isinf(p) and p > 0 for p in parts) and any(
        math.isinf(p) and p < 0 for p in parts
    )
    assert any(p == 0 and math.copysign(1, p) < 0 for p in parts)
    assert any(v.real != 0 and v.imag != 0 and math.isfinite(abs(v)) for v in values)


@pytest.mark.parametrize("dtype", INTS, ids=_name)
def test_integer_extremes_appear(dtype: torch.dtype) -> None:
    values = set(_values(dtype))
    info = torch.iinfo(dtype)
    assert {info.min, info.max, 0} <= values
    if info.max > 2**53:
        assert any(abs(v) > 2**53 for v in values)
    assert any(0 < abs(v) < 100 for v in values)  # small values too


def test_booleans_appear() -> None:
    assert set(_values(torch.bool, 30)) == {False, True}


def test_nan_payloads_are_kept_bit_for_bit() -> None:
    canonical = struct.unpack("<I", struct.pack("<f", math.nan))[0]
    payloads = set()
    for t in sample(tensors(torch.float32, SMALL, device="cpu"), 500):
        b = bits(t) & 0xFFFFFFFF
        payloads |= set(b[t.detach().resolve_neg().reshape(-1).isnan()].tolist())
    # Several payloads besides the canonical one (the exact set depends on draw order).
    assert len(payloads - {canonical}) >= 2, payloads


@pytest.mark.parametrize("dtype", ALL, ids=_name)
def test_user_values_are_stored_exactly(dtype: torch.dtype) -> None:
    # Oracle: torch.tensor(value, dtype) for each special value of the dtype.
    codec = codec_for(dtype)
    patterns = getattr(codec, "specials", None) or (0, 1)
    values = [codec.decode(b) for b in patterns]
    values = [v for v in values if not (isinstance(v, float) and math.isnan(v))]
    expected = {tuple(bits(torch.tensor([v], dtype=dtype)).tolist()) for v in values}
    strategy = tensors(dtype, (1,), device="cpu", elements=st.sampled_from(values))
    seen = {tuple(bits(t).tolist()) for t in sample(strategy, 3 * len(values))}
    assert seen <= expected, dtype
    assert len(seen) >= len(expected) // 2


BOUNDED = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.float8_e4m3fn]


@pytest.mark.parametrize("dtype", BOUNDED, ids=_name)
def test_bounds_hold_for_every_element(dtype: torch.dtype) -> None:
    values = _values(dtype, 80, elements={"min_value": -1.5, "max_value": 0.25})
    assert all(-1.5 <= v <= 0.25 for v in values)
    assert min(values) == -1.5 and max(values) == 0.25  # the bounds themselves appear


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.complex64], ids=_name)
def test_allow_flags_hold(dtype: torch.dtype) -> None:
    real = torch.float32 if dtype.is_complex else dtype
    kwargs = {"allow_nan": False, "allow_infinity": False, "allow_subnormal": False}
    values = _values(dtype, 100, elements=kwargs)
    parts = [p for v in values for p in ((v.real, v.imag) if isinstance(v, complex) else (v,))]
    assert all(math.isfinite(p) for p in parts)
    assert not any(is_subnormal(p, real) for p in parts)


def test_unsigned_bounds_are_clipped_to_the_dtype() -> None:
    values = _values(torch.uint8, 50, elements={"min_value": -10, "max_value": 3})
    assert set(values) <= {0, 1, 2, 3}


def test_large_tensor_with_user_elements_is_fast_and_valid() -> None:
    strategy = tensors(
        torch.float32, (1000, 1000), device="cpu", elements=st.floats(-1, 1, width=32)
    )
    for t in sample(strategy, 3):
        assert t.shape == (1000, 1000)
        assert bool(((t >= -1) & (t <= 1)).all())


def test_large_tensor_with_bounds_is_valid() -> None:
    strategy = tensors(
        torch.bfloat16, (1000, 1000), device="cpu", elements={"min_value": 0, "max_value": 1}
    )
    for t in sample(strategy, 3):
        assert bool(((t >= 0) & (t <= 1)).all())


@pytest.mark.parametrize(
    ("dtype", "elements", "message"),
    [
        (torch.int8, st.just(300), "300 from just(300) cannot be represented as torch.int8"),
        (torch.uint8, st.just(-1), "outside [0, 255]"),
        (torch.int32, st.just(1.5), "it is not an integer"),
        (torch.float16, st.just(1e6), "outside the finite range"),
        (torch.float8_e4m3fn, st.just(math.inf), "has no infinity"),
        (torch.float32, st.just(1j), "it is not a real number"),
        (torch.bool, st.just(2), "only True/False"),
        (torch.int64, st.just(math.nan), "it is not an integer"),
    ],
)
def test_unrepresentable_user_elements_are_invalid(dtype, elements, message) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        sample(tensors(dtype, (4,), device="cpu", elements=elements), 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_value": 2, "max_value": 1}, "min_value=2 is larger than max_value=1"),
        ({"min_value": math.nan}, "Invalid end point min_value=nan"),
        ({"min_value": "0"}, "min_value='0' must be a real number"),
        ({"allow_nan": 1}, "Expected bool but got allow_nan=1"),
        ({"min_value": 0, "allow_nan": True}, "Cannot have allow_nan=True"),
        ({"min_value": 300}, "No torch.int8 value lies in"),
    ],
)
def test_invalid_bounds(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        from_dtype(
            torch.int8 if "300" in message or "int8" in message else torch.float32, **kwargs
        ).validate()
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        dtype = torch.int8 if "int8" in message else torch.float32
        tensors(dtype, (2,), device="cpu", elements=kwargs).validate()


def test_unknown_element_keys_are_invalid() -> None:
    with pytest.raises(InvalidArgument, match=r"unknown keys \['min'\]"):
        tensors(torch.float32, elements={"min": 0}).validate()
