"""The strategies' base class: arguments checked once, lazily, as Hypothesis's own are."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hypothesis.errors import InvalidArgument
from strategy_helpers import sample

from realize._hypothesis_internals import draw_integer
from realize.strategies import (
    devices,
    dtypes,
    from_dtype,
    layouts,
    mutually_broadcastable_shapes,
    shapes,
    tensors,
)
from realize.strategies._resolving import ResolvingStrategy


class _Counting(ResolvingStrategy[int, int]):
    """``counting(top)``: integers up to ``top``; counts how often it resolves."""

    def __init__(self, top: object, *, step: object = 1) -> None:
        super().__init__("counting", (top,), {"step": step}, defaults={"step": 1})
        self.resolutions = 0

    def resolve(self) -> int:
        self.resolutions += 1
        top = self.call_args[0]
        if not isinstance(top, int) or top < 0:
            raise InvalidArgument(f"top={top!r} must be an int >= 0")
        return top

    def do_draw(self, data: Any) -> int:
        return draw_integer(data, 0, self.resolved())


def test_arguments_resolve_once_whatever_the_number_of_draws() -> None:
    strategy = _Counting(5)
    assert strategy.resolutions == 0  # constructing checks nothing
    strategy.validate()
    drawn = sample(strategy, 50)
    assert strategy.resolutions == 1
    assert set(drawn) <= set(range(6)) and len(set(drawn)) > 1


def test_bad_arguments_raise_at_validate_and_at_the_first_draw() -> None:
    bad = _Counting(-1)  # constructing never raises
    with pytest.raises(InvalidArgument, match=r"top=-1 must be an int >= 0"):
        bad.validate()
    with pytest.raises(InvalidArgument, match=r"top='3' must be an int >= 0"):
        sample(_Counting("3"), 1)


def test_the_repr_is_the_call_without_defaults() -> None:
    assert repr(_Counting(3)) == "counting(3)"
    assert repr(_Counting(3, step=2)) == "counting(3, step=2)"


@pytest.mark.parametrize(
    ("strategy", "shown"),
    [
        (dtypes(), "dtypes()"),
        (dtypes(kinds="int", exclude=[torch.int8]), "dtypes(kinds='int', exclude=[torch.int8])"),
        (devices(), "devices()"),
        (devices(allow_meta=True), "devices(allow_meta=True)"),
        (layouts(ndim=2), "layouts(ndim=2)"),
        (from_dtype(torch.int8, min_value=0), "from_dtype(torch.int8, min_value=0)"),
        (shapes(max_dims=2), "shapes(min_dims=0, max_dims=2, min_side=0)"),
        (
            mutually_broadcastable_shapes(2),
            "mutually_broadcastable_shapes(num_shapes=2, base_shape=(), min_dims=0, min_side=1)",
        ),
        (tensors(device="cpu", contiguous=True), "tensors(device='cpu', contiguous=True)"),
    ],
    ids=repr,
)
def test_the_package_strategies_share_the_base_class(strategy: Any, shown: str) -> None:
    assert isinstance(strategy, ResolvingStrategy)
    assert repr(strategy) == shown
