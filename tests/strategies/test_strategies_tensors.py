"""tensors(): arguments, replay, RNG, requires_grad, from_type, shrinking (points 6, 8-10)."""

from __future__ import annotations

import math
import re

import pytest
import torch
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from strategy_helpers import FIND, SAMPLE, bits, sample

from realize.strategies import Layout, _registration, devices, dtypes, shapes, tensors

# What the entry point does on `import hypothesis` where the package is installed
# (tested in a subprocess in test_strategies_devices.py); idempotent.
_registration.register()


def _fingerprint(t: torch.Tensor) -> tuple:
    """Everything that makes two tensors identical, values as bit patterns."""
    return (
        t.dtype,
        t.device,
        tuple(t.shape),
        t.stride(),
        t.storage_offset(),
        t.is_conj(),
        t.is_neg(),
        t.requires_grad,
        tuple(bits(t).tolist()),
    )


def test_a_replayed_example_is_the_identical_tensor() -> None:
    first = [_fingerprint(t) for t in sample(tensors(device="cpu", requires_grad=None), 60)]
    second = [_fingerprint(t) for t in sample(tensors(device="cpu", requires_grad=None), 60)]
    assert first == second
    assert len(set(first)) == len(first)  # and they are not all the same tensor


def test_strategies_never_touch_the_global_rng() -> None:
    # Hypothesis seeds the registered torch RNG with 0 before each example (the
    # plugin registers it); drawing must leave it exactly there.
    seeded = torch.Generator().manual_seed(0).get_state()
    seen = []

    @settings(SAMPLE, max_examples=40)
    @given(tensors(requires_grad=None))
    def body(t: torch.Tensor) -> None:
        seen.append(torch.equal(torch.random.get_rng_state(), seeded))

    before = torch.random.get_rng_state()
    body()
    assert seen and all(seen)
    assert torch.equal(torch.random.get_rng_state(), before)  # restored afterwards


def test_code_under_test_that_uses_torch_rng_replays() -> None:
    values = []

    @settings(SAMPLE, max_examples=5)
    @given(st.integers(0, 10))
    def body(_: int) -> None:
        values.append(torch.rand(()).item())

    body()
    assert len(set(values)) == 1  # seeded identically for every example


def test_fixed_arguments_are_respected() -> None:
    for t in sample(tensors(torch.bfloat16, (3, 4), device="cpu"), 40):
        assert t.dtype == torch.bfloat16 and t.shape == (3, 4) and t.device.type == "cpu"
    for t in sample(tensors(torch.int8, 7, device=torch.device("cpu")), 10):
        assert t.shape == (7,)


def test_strategy_arguments_are_respected() -> None:
    strategy = tensors(
        dtypes(kinds="complex"), shapes(min_dims=2, max_dims=2, max_side=3), device=devices()
    )
    for t in sample(strategy, 60):
        assert t.is_complex() and t.dim() == 2 and max(t.shape) <= 3


def test_requires_grad() -> None:
    grads = sample(tensors(device="cpu", requires_grad=True), 60)
    assert all(t.requires_grad and t.is_leaf for t in grads)
    assert all(t.dtype.is_floating_point or t.dtype.is_complex for t in grads)
    drawn = sample(tensors(device="cpu", requires_grad=None), 80)
    assert {t.requires_grad for t in drawn} == {True, False}
    assert not any(t.requires_grad for t in drawn if not (t.is_floating_point() or t.is_complex()))
    t = sample(tensors(torch.float32, (2, 3), device="cpu", requires_grad=True), 1)[0]
    t.sum().backward()
    assert t.grad is not None


def test_requires_grad_with_an_integer_dtype_is_invalid() -> None:
    with pytest.raises(InvalidArgument, match=r"requires_grad=True needs a floating or complex"):
        tensors(torch.int64, requires_grad=True).validate()
    with pytest.raises(InvalidArgument, match=r"requires_grad=True needs a floating or complex"):
        sample(tensors(st.just(torch.int8), (2,), device="cpu", requires_grad=True), 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dtype": "float33"}, "dtype='float33' is not the name of a torch dtype"),
        ({"dtype": torch.qint8}, "dtype=torch.qint8 is a bit, quantized, sub-byte or packed"),
        ({"dtype": "int4"}, "dtype=torch.int4 is a bit, quantized, sub-byte or packed"),
        ({"dtype": "float4_e2m1fn_x2"}, "dtype=torch.float4_e2m1fn_x2 is a bit, quantized"),
        ({"dtype": dtypes(kinds="nope")}, "kinds contains 'nope'"),
        ({"shape": shapes(min_dims="1")}, "min_dims='1'"),
        ({"device": devices(allow_meta="yes")}, "allow_meta='yes'"),
        ({"elements": st.integers(min_value="a")}, "min_value='a'"),
        ({"fill": st.floats(min_value="a")}, "min_value='a'"),
        ({"shape": (2, -3)}, "shape=(2, -3) has a negative side shape[1]=-3"),
        ({"device": "tpu:0"}, "device='tpu:0' is not a torch device"),
        ({"device": "cuda:42"}, "device='cuda:42' is not available"),
        ({"elements": [1, 2]}, "Expected a SearchStrategy, such as st.sampled_from(...)"),
        ({"fill": 0}, "Expected a SearchStrategy but got fill=0"),
        ({"requires_grad": "yes"}, "Expected bool, None or a strategy but got requires_grad='yes'"),
    ],
)
def test_invalid_arguments_raise_lazily_naming_the_argument(kwargs: dict, message: str) -> None:
    """Nested strategies included: their own bad arguments surface at ``.validate()``."""
    strategy = tensors(**kwargs)  # constructing never raises
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        strategy.validate()


def test_invalid_drawn_values_are_reported() -> None:
    with pytest.raises(InvalidArgument, match=r"Expected int but got drawn shape\[0\]='a'"):
        sample(tensors(torch.float32, st.just(("a",)), device="cpu"), 1)
    with pytest.raises(InvalidArgument, match=r"Expected dtype but got drawn dtype=3"):
        sample(tensors(st.just(3), (2,), device="cpu"), 1)


def test_dense_draw_without_fill() -> None:
    for t in sample(tensors(torch.int16, (3, 3), device="cpu", fill=st.nothing()), 20):
        assert t.shape == (3, 3)


def test_from_type_uses_the_registered_strategies() -> None:
    assert all(isinstance(t, torch.Tensor) for t in sample(st.from_type(torch.Tensor), 10))
    assert all(isinstance(d, torch.dtype) for d in sample(st.from_type(torch.dtype), 10))
    assert all(isinstance(d, torch.device) for d in sample(st.from_type(torch.device), 5))
    assert repr(st.from_type(torch.Tensor)).startswith("tensors(dtype=dtypes(")  # common dtypes


# -- shrinking (issue point 8) ---------------------------------------------------------


def test_numel_at_least_50_shrinks_to_50_contiguous_zeros() -> None:
    t = find(tensors(), lambda t: t.numel() >= 50, settings=FIND)
    assert t.numel() == 50
    assert t.is_contiguous() and t.storage_offset() == 0 and t.device.type == "cpu"
    assert bool((t == 0).all())


def test_non_contiguous_shrinks_to_at_most_4_elements() -> None:
    t = find(tensors(), lambda t: not t.is_contiguous(), settings=FIND)
    assert not t.is_contiguous() and t.numel() <= 4


def _any_greater_than_1(t: torch.Tensor) -> bool:
    if t.dtype == torch.bool or t.is_complex():
        return False  # not ordered
    try:
        return bool((t > 1).any())
    except (RuntimeError, NotImplementedError):  # no comparison kernel (float8, uint16, ...)
        return False


def test_any_greater_than_1_shrinks_to_a_single_element() -> None:
    t = find(tensors(), _any_greater_than_1, settings=FIND)
    assert t.numel() == 1 and _any_greater_than_1(t)
    t = find(tensors(torch.float32), _any_greater_than_1, settings=FIND)
    assert t.numel() == 1 and t.item() == 2.0


def test_values_shrink_towards_zero_for_every_layout() -> None:
    for kind in (Layout.SLICED, Layout.EXPANDED, Layout.OVERLAPPING, Layout.NEG):
        t = find(
            tensors(torch.float32, device="cpu", layout=kind),
            lambda t: t.numel() >= 6,
            settings=FIND,
        )
        assert t.numel() == 6 and bool((t == 0).all()), kind
        assert math.prod(t.shape) == 6
