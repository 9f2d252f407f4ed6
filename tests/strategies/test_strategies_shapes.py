"""shapes() and the broadcasting helpers (issue point 2)."""

from __future__ import annotations

import math
import re

import pytest
import torch
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from strategy_helpers import FIND, SAMPLE, sample

from realize.strategies import broadcastable_shapes, mutually_broadcastable_shapes, shapes, tensors


@settings(SAMPLE, max_examples=100)
@given(
    st.integers(0, 4),
    st.integers(0, 4),
    st.integers(0, 3),
    st.integers(0, 6),
    st.none() | st.integers(1, 300),
    st.data(),
)
def test_shapes_respect_every_bound(
    min_dims: int, extra_dims: int, min_side: int, extra_side: int, max_numel, data
) -> None:
    max_dims, max_side = min_dims + extra_dims, min_side + extra_side
    if max_numel is not None and min_side**min_dims > max_numel:
        max_numel = min_side**min_dims
    shape = data.draw(
        shapes(
            min_dims=min_dims,
            max_dims=max_dims,
            min_side=min_side,
            max_side=max_side,
            max_numel=max_numel,
        )
    )
    assert isinstance(shape, tuple)
    assert min_dims <= len(shape) <= max_dims
    assert all(min_side <= s <= max_side for s in shape)
    if max_numel is not None:
        assert math.prod(shape) <= max_numel


def test_default_shapes_cover_0d_zero_size_and_six_dims() -> None:
    drawn = sample(shapes(), 300)
    assert all(len(s) <= 6 and math.prod(s) <= 256 for s in drawn)
    assert () in drawn  # a distinct example, so it appears once: its share is in tensors()
    share = {
        "zero-size": sum(0 in s for s in drawn) / len(drawn),
        "6 dims": sum(len(s) == 6 for s in drawn) / len(drawn),
        "a side >= 50": sum(any(x >= 50 for x in s) for s in drawn) / len(drawn),
    }
    assert all(v >= 0.03 for v in share.values()), share


def test_many_dimensions_are_possible() -> None:
    assert len(find(shapes(min_dims=10, max_dims=12), lambda s: True, settings=FIND)) == 10
    assert len(find(shapes(max_dims=8), lambda s: len(s) >= 8, settings=FIND)) == 8


def test_shapes_shrink_towards_fewer_and_smaller_dimensions() -> None:
    assert find(shapes(), lambda s: math.prod(s) >= 50, settings=FIND) == (50,)
    assert find(shapes(), lambda s: len(s) >= 2, settings=FIND) == (1, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_side": 5, "max_side": 2}, "min_side=5 is larger than max_side=2"),
        ({"min_dims": 3, "max_dims": 1}, "min_dims=3 is larger than max_dims=1"),
        ({"min_side": -1}, "min_side must be at least 0 but was -1"),
        ({"max_dims": "3"}, "Expected int but got max_dims='3' (type=str)"),
        ({"max_dims": 40}, "max_dims=40"),
        ({"min_dims": 4, "min_side": 5, "max_numel": 100}, "need 625 elements"),
        ({"max_numel": -1}, "max_numel=-1 must be at least 0"),
    ],
)
def test_invalid_shape_arguments(kwargs: dict, message: str) -> None:
    strategy = shapes(**kwargs)
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        strategy.validate()


@settings(SAMPLE, max_examples=100)
@given(st.integers(1, 4), st.lists(st.integers(0, 5), max_size=4).map(tuple), st.data())
def test_mutually_broadcastable_shapes_broadcast_like_torch(num_shapes, base, data) -> None:
    result = data.draw(mutually_broadcastable_shapes(num_shapes, base_shape=base))
    assert len(result.input_shapes) == num_shapes
    # Oracle: torch's own broadcasting rule.
    assert result.result_shape == tuple(torch.broadcast_shapes(*result.input_shapes, base))


@settings(SAMPLE, max_examples=60)
@given(st.lists(st.integers(1, 6), max_size=4).map(tuple), st.data())
def test_broadcastable_shapes_broadcast_with_the_shape(shape, data) -> None:
    other = data.draw(broadcastable_shapes(shape, min_side=1, max_side=6))
    assert all(1 <= s <= 6 for s in other)
    # Oracle: torch raises when the shapes do not broadcast.
    result = torch.broadcast_shapes(other, shape)
    assert torch.zeros(other).expand(result).shape == result


def test_broadcast_shapes_shrink_towards_aligned_ones() -> None:
    found = find(
        mutually_broadcastable_shapes(2, base_shape=(3, 4)),
        lambda r: len(r.input_shapes[0]) >= 2,
        settings=FIND,
    )
    assert found.input_shapes[0] == (1, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_shapes": 0}, "num_shapes=0 must be at least 1"),
        ({"num_shapes": 2, "base_shape": [2]}, "Expected tuple but got base_shape=[2]"),
        ({"num_shapes": 2, "min_side": 3, "max_side": 1}, "min_side=3 is larger than max_side=1"),
        (
            {"num_shapes": 1, "base_shape": (9,), "min_side": 2, "max_side": 4, "max_dims": 1},
            "no broadcast-compatible shapes",
        ),
    ],
)
def test_invalid_broadcast_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        mutually_broadcastable_shapes(**kwargs).validate()


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((2, -1), "has a negative side shape[1]=-1"),
        ((2, 1.5), "Expected int but got shape[1]=1.5"),
        ("3", "Expected a tuple of ints but got shape='3'"),
    ],
)
def test_invalid_fixed_shape_for_tensors(shape, message: str) -> None:
    strategy = tensors(torch.float32, shape)
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        strategy.validate()
