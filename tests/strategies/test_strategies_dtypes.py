"""dtypes(): discovered from torch, sorted into kinds, probed per device (issue point 1)."""

from __future__ import annotations

import re

import pytest
import torch
from hypothesis import find
from hypothesis.errors import InvalidArgument
from strategy_helpers import FIND, sample

from realize.strategies import KINDS, dtypes, supported_dtypes

EXPECTED_CPU = [
    "bool",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex32",
    "complex64",
    "complex128",
]


def _torch_version() -> tuple[int, int]:
    major, minor = torch.__version__.split(".")[:2]
    return int(major), int(minor)


def test_every_value_dtype_of_torch_is_supported_on_cpu() -> None:
    found = supported_dtypes("cpu")
    names = {str(d).removeprefix("torch.") for d in found}
    assert set(EXPECTED_CPU) <= names
    # Every float8 the installed torch defines, whatever their number.
    float8 = {
        n
        for n in dir(torch)
        if n.startswith("float8_") and isinstance(getattr(torch, n), torch.dtype)
    }
    assert float8 and float8 <= names
    if _torch_version() >= (2, 13):
        assert len(found) >= 20, found
    assert len(found) == len(set(found))


def test_bit_quantized_and_packed_dtypes_are_excluded() -> None:
    found = set(supported_dtypes("cpu"))
    for name in ("bits8", "bits16", "qint8", "quint8", "int4", "uint4", "float4_e2m1fn_x2"):
        if hasattr(torch, name):
            assert getattr(torch, name) not in found, name


def _kind_oracle(d: torch.dtype) -> str:
    """The kind from torch's own info objects, independent of the implementation."""
    if d == torch.bool:
        return "bool"
    if d.is_complex:
        return "complex"
    if d.is_floating_point:
        return "float8" if torch.finfo(d).bits == 8 else "float"
    return "int" if torch.iinfo(d).min < 0 else "uint"


@pytest.mark.parametrize("kind", KINDS)
def test_kinds_filter_matches_torch_info(kind: str) -> None:
    drawn = set(sample(dtypes(kinds=kind), 60))
    expected = {d for d in supported_dtypes("cpu") if _kind_oracle(d) == kind}
    assert expected, kind
    assert drawn == expected


def test_every_supported_dtype_is_drawn() -> None:
    assert set(sample(dtypes(), 200)) == set(supported_dtypes("cpu"))


def test_draws_shrink_towards_float32() -> None:
    assert find(dtypes(), lambda d: True, settings=FIND) == torch.float32


def test_exclude_and_requires_grad() -> None:
    drawn = set(sample(dtypes(exclude=[torch.float32, torch.bool]), 150))
    assert torch.float32 not in drawn and torch.bool not in drawn and torch.int8 in drawn
    grad = set(sample(dtypes(requires_grad=True), 150))
    assert grad and all(d.is_floating_point or d.is_complex for d in grad)
    assert torch.bfloat16 in grad and torch.complex64 in grad


def test_meta_device_dtypes() -> None:
    assert torch.float32 in supported_dtypes("meta")
    drawn = sample(dtypes(device="meta"), 20)
    assert all(d in supported_dtypes("meta") for d in drawn)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kinds": "floaty"}, "kinds contains 'floaty'"),
        ({"kinds": ()}, "kinds=() is empty"),
        ({"kinds": 3}, "kinds=3"),
        ({"device": "cuda:99"}, "device='cuda:99' is not available"),
        (
            {"exclude": [torch.float32, "int9"]},
            "exclude[1]='int9' is not the name of a torch dtype",
        ),
        ({"kinds": "bool", "requires_grad": True}, "No dtype satisfies"),
    ],
)
def test_invalid_arguments_are_lazy_and_named(kwargs: dict, message: str) -> None:
    strategy = dtypes(**kwargs)  # constructing never raises
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        strategy.validate()
