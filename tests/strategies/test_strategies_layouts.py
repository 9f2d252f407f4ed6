"""Layouts: every kind appears, gaps hold the sentinel, shrinking goes to contiguous (point 4)."""

from __future__ import annotations

import collections
import math
import re
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from strategy_helpers import (
    SAMPLE,
    classify,
    covered_positions,
    sample,
    storage_elements,
    word_dtype,
)

from realize.strategies import Layout, layouts, sentinel, tensors

OBSERVED = [
    "contiguous",
    "permuted",
    "gaps",
    "offset",
    "expanded",
    "channels_last",
    "channels_last_3d",
    "overlapping",
    "conj",
    "neg",
    "zero-size",
    "0-d",
]


@pytest.fixture(scope="module")
def default_draws() -> list[torch.Tensor]:
    return sample(tensors(device="cpu"), 400)


def test_every_layout_kind_has_a_healthy_share_of_default_draws(default_draws) -> None:
    counts: collections.Counter[str] = collections.Counter()
    for t in default_draws:
        counts.update(classify(t))
    shares = {k: counts[k] / len(default_draws) for k in OBSERVED}
    low = {k: v for k, v in shares.items() if v < 0.03}
    assert not low, f"kinds below 3% of default draws: {low}; all shares: {shares}"


def test_every_dtype_appears_in_default_draws(default_draws) -> None:
    from realize.strategies import supported_dtypes

    assert {t.dtype for t in default_draws} == set(supported_dtypes("cpu"))


# What each requested layout must show, checked on the tensor itself.
PROPERTY = {
    Layout.CONTIGUOUS: lambda t: t.is_contiguous() and t.storage_offset() == 0,
    Layout.OFFSET: lambda t: t.is_contiguous() and t.storage_offset() > 0,
    Layout.SLICED: lambda t: "gaps" in classify(t),
    Layout.PERMUTED: lambda t: "permuted" in classify(t),
    Layout.EXPANDED: lambda t: "expanded" in classify(t),
    Layout.CHANNELS_LAST: lambda t: "channels_last" in classify(t),
    Layout.CHANNELS_LAST_3D: lambda t: "channels_last_3d" in classify(t),
    Layout.OVERLAPPING: lambda t: "overlapping" in classify(t),
    Layout.CONJ: lambda t: t.is_conj(),
    Layout.NEG: lambda t: t.is_neg(),
}


@pytest.mark.parametrize("kind", list(Layout), ids=lambda k: k.value)
def test_requested_layout_is_what_is_drawn(kind: Layout) -> None:
    drawn = sample(tensors(device="cpu", layout=kind), 40)
    # Every draw has the kind's property, except where the shape makes it moot.
    visible = [t for t in drawn if t.numel() > 1]
    assert len(visible) >= 20
    assert all(PROPERTY[kind](t) for t in visible), kind


def test_contiguous_true_draws_only_contiguous_tensors() -> None:
    drawn = sample(tensors(device="cpu", contiguous=True), 100)
    assert all(t.is_contiguous() and t.storage_offset() == 0 for t in drawn)
    assert not any(t.is_conj() or t.is_neg() for t in drawn)


def _sentinel_words(dtype: torch.dtype) -> set[int]:
    """The storage words (as ``storage_elements`` reads them) of ``sentinel(dtype)``."""
    word = word_dtype(dtype)
    width = 8 * word.itemsize
    pattern = sentinel(dtype)
    n_words = max(dtype.itemsize // 8, 1)
    parts = [(pattern >> (i * width)) & ((1 << width) - 1) for i in range(n_words)]
    signed = [p - (1 << width) if p >> (width - 1) else p for p in parts]
    return set(torch.tensor(signed, dtype=word).tolist())


@pytest.mark.parametrize("kind", [Layout.SLICED, Layout.OFFSET, Layout.NEG], ids=str)
def test_memory_outside_the_view_holds_the_sentinel(kind: Layout) -> None:
    checked = 0
    for t in sample(tensors(device="cpu", layout=kind), 40):
        storage = storage_elements(t)
        outside = sorted(set(range(storage.numel())) - covered_positions(t))
        if outside:
            assert set(storage[outside].tolist()) <= _sentinel_words(t.dtype), (t.dtype, kind)
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    ("dtype", "is_sentinel"),
    [
        (torch.float32, math.isnan),
        (torch.bfloat16, math.isnan),
        (torch.float8_e4m3fnuz, math.isnan),
        (torch.complex64, lambda v: math.isnan(v.real) and math.isnan(v.imag)),
        (torch.int16, lambda v: v == 2**15 - 1),
        (torch.uint8, lambda v: v == 255),
        (torch.bool, lambda v: v is True),
    ],
    # Ids from the dtype alone: a lambda's repr holds its address, which differs
    # between pytest-xdist workers and breaks their collection.
    ids=lambda p: str(p).removeprefix("torch.") if isinstance(p, torch.dtype) else "",
)
def test_sentinel_is_a_nan_or_the_largest_integer(dtype: torch.dtype, is_sentinel) -> None:
    # Oracle: torch's reading of the bit pattern.
    (word,) = _sentinel_words(dtype)
    n_words = max(dtype.itemsize // 8, 1)
    value = torch.tensor([word] * n_words, dtype=word_dtype(dtype)).view(dtype).item()
    assert is_sentinel(value), (dtype, value)


@pytest.mark.parametrize(
    "kind", [Layout.SLICED, Layout.OFFSET, Layout.PERMUTED, Layout.CONJ, Layout.NEG], ids=str
)
def test_layouts_keep_the_drawn_values(kind: Layout) -> None:
    # Oracle: the values the elements strategy returned, in the order it returned them
    # (fill=st.nothing() draws every element, one after the other, into storage order).
    # The tensor, read by torch with its conj/neg bits applied, must show exactly those.
    dtype = torch.complex64 if kind is Layout.CONJ else torch.float32
    shape = (3, 4) if kind is Layout.CONJ else (3, 4, 5)
    part = st.integers(-3, 7).map(float)
    values = st.builds(complex, part, part) if dtype.is_complex else part

    @settings(SAMPLE, max_examples=20)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        drawn: list[Any] = []
        recorded = values.map(lambda v: drawn.append(v) or v)
        t = data.draw(
            tensors(dtype, shape, device="cpu", layout=kind, elements=recorded, fill=st.nothing())
        )
        in_storage_order = sorted(range(t.dim()), key=lambda d: -t.stride(d))
        shown = t.resolve_conj().resolve_neg().permute(in_storage_order).reshape(-1)
        expected = torch.tensor(drawn, dtype=dtype)
        torch.testing.assert_close(shown, expected, rtol=0, atol=0, equal_nan=False)

    check()


def test_layout_draws_shrink_to_contiguous() -> None:
    from hypothesis import find
    from strategy_helpers import FIND

    t = find(tensors(device="cpu"), lambda t: t.numel() >= 4, settings=FIND)
    assert t.is_contiguous() and t.storage_offset() == 0


def test_layouts_strategy_respects_dtype_and_ndim() -> None:
    assert set(sample(layouts(ndim=4), 30)) == set(Layout) - {Layout.CHANNELS_LAST_3D}
    real = set(sample(layouts(dtype=torch.float32, ndim=1), 30))
    assert Layout.CONJ not in real and Layout.PERMUTED not in real and Layout.NEG in real


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"layout": "diagonal"}, "contains 'diagonal', which is not one of"),
        ({"layout": [], "dtype": torch.float32}, "layout=[] is empty"),
        ({"layout": Layout.SLICED, "contiguous": True}, "contiguous=True contradicts"),
        ({"contiguous": "yes"}, "Expected bool but got contiguous='yes'"),
        ({"layout": Layout.CONJ, "dtype": torch.float32}, "CONJ needs a complex dtype"),
        ({"layout": Layout.CHANNELS_LAST, "shape": (2, 3)}, "applies to a 2-d shape=(2, 3)"),
    ],
)
def test_invalid_layout_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        tensors(device="cpu", **kwargs).validate()
