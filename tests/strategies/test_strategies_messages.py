"""The messages a new user meets (issue 11, point 7): each one names what to fix."""

from __future__ import annotations

import re

import pytest
import torch
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from strategy_helpers import sample

from realize.strategies import Layout, dtypes, from_dtype, layouts, sentinel, shapes, tensors

NAMES = ["float32", "bfloat16", "torch.int8", "complex64", "bool", "float8_e4m3fn"]


@pytest.mark.parametrize("name", NAMES)
def test_a_dtype_name_works_wherever_a_dtype_does(name: str) -> None:
    dtype = getattr(torch, name.removeprefix("torch."))
    assert {t.dtype for t in sample(tensors(name, (3,), device="cpu"), 5)} == {dtype}
    assert {t.dtype for t in sample(tensors(st.just(name), (3,), device="cpu"), 5)} == {dtype}
    from_dtype(name).validate()
    assert sentinel(name) == sentinel(dtype)
    layouts(dtype=name).validate()
    assert dtype not in set(sample(dtypes(exclude=[name]), 100))


def test_a_wrong_dtype_name_lists_the_right_ones() -> None:
    with pytest.raises(InvalidArgument, match=r"dtype='float33' is not the name.*'float32'"):
        tensors("float33").validate()
    with pytest.raises(InvalidArgument, match=r"drawn dtype='flaot16' is not the name"):
        sample(tensors(st.just("flaot16"), (2,), device="cpu"), 1)


@pytest.mark.parametrize("dtype", [None, torch.float32, torch.int16])
def test_min_above_max_names_both_bounds(dtype: torch.dtype | None) -> None:
    strategy = tensors(dtype, (2,), device="cpu", elements={"min_value": 5, "max_value": 1})
    with pytest.raises(InvalidArgument, match=r"min_value=5 is larger than max_value=1"):
        strategy.validate()
    with pytest.raises(InvalidArgument, match=r"min_value=5 is larger than max_value=1"):
        from_dtype(torch.float32, min_value=5, max_value=1).validate()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dtype": 3}, "Expected dtype but got dtype=3 (type=int)"),
        ({"dtype": "float33"}, "dtype='float33' is not the name of a torch dtype"),
        ({"ndim": "3"}, "Expected int but got ndim='3' (type=str)"),
        ({"ndim": -1}, "ndim=-1 must be at least 0"),
    ],
)
def test_layouts_validates_lazily(kwargs: dict, message: str) -> None:
    strategy = layouts(**kwargs)  # constructing never raises
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        strategy.validate()
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        sample(strategy, 1)


def test_layouts_still_filters_by_dtype_and_rank() -> None:
    assert set(sample(layouts(dtype="float32", ndim=4), 200)) >= {
        Layout.CONTIGUOUS, Layout.CHANNELS_LAST, Layout.NEG,
    }  # fmt: skip
    assert Layout.CONJ not in set(sample(layouts(dtype=torch.float32), 200))
    assert Layout.CHANNELS_LAST not in set(sample(layouts(ndim=2), 200))


@pytest.mark.parametrize("kind", [Layout.SLICED, Layout.PERMUTED, Layout.CHANNELS_LAST])
def test_a_layout_narrows_the_default_shapes(kind: Layout) -> None:
    # Never mid-run: every draw of the default shapes fits the layout.
    for t in sample(tensors(torch.float32, layout=kind, device="cpu"), 60):
        assert t.dim() >= {Layout.SLICED: 1, Layout.PERMUTED: 2, Layout.CHANNELS_LAST: 4}[kind]


def test_a_shapes_strategy_with_ranks_no_layout_fits_fails_at_validation() -> None:
    strategy = tensors(torch.float32, shapes(min_dims=0, max_dims=2), layout=Layout.SLICED)
    message = (
        r"shape=shapes\(min_dims=0.*\) can draw 0-d shapes, but no layout in "
        r"layout=Layout.SLICED applies to 0 dimensions.*Pass shapes\(min_dims=1, max_dims=2"
    )
    with pytest.raises(InvalidArgument, match=message):
        strategy.validate()
    never = tensors(torch.float32, shapes(min_dims=1, max_dims=3), layout=Layout.CHANNELS_LAST)
    with pytest.raises(InvalidArgument, match=r"Layout.CHANNELS_LAST needs 4\)"):
        never.validate()
    # Ranks that all fit some allowed layout are fine.
    ok = tensors(torch.float32, shapes(min_dims=0, max_dims=2), layout=["contiguous", "sliced"])
    assert len(sample(ok, 20)) == 20


@pytest.mark.parametrize(
    ("elements", "message"),
    [
        ({"min_value": "a"}, "min_value='a' must be a real number."),
        ({"max_value": float("nan")}, "Invalid end point max_value=nan"),
        ({"allow_nan": 1}, "Expected bool but got allow_nan=1 (type=int)"),
    ],
)
def test_bad_element_bounds_fail_at_validate(elements: dict, message: str) -> None:
    """Issue 20, point 2: at ``.validate()``, as the README says, not at the first draw."""
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        tensors(elements=elements).validate()


def test_shapes_checks_every_type_before_using_it() -> None:
    """Issue 20, point 3: a bad ``min_dims`` with ``min_numel`` is InvalidArgument, naming it."""
    with pytest.raises(InvalidArgument, match=re.escape("Expected int but got min_dims='2'")):
        shapes(min_dims="2", min_numel=10).validate()
    with pytest.raises(InvalidArgument, match=re.escape("Expected int but got max_side=2.5")):
        shapes(max_side=2.5, min_numel=10).validate()
