"""``sparse_tensors``, ``quantized_tensors``, ``nested_tensors``: coverage, validation, shrinking.

Coverage is measured, as for the dense layouts: over a few hundred default draws,
every option of each strategy shows up (every sparse layout, coalesced and not,
duplicates, empty tensors, hybrid and batch dimensions, blocks; both quantization
schemes, every dtype, non-zero zero points, extreme integers; both nested layouts,
empty components). Every draw is a valid tensor of its kind.
"""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from realize.strategies import nested_tensors, quantized_tensors, sparse_tensors

N = 300


def _draws(strategy: Any, n: int = N) -> list[torch.Tensor]:
    out: list[torch.Tensor] = []

    @settings(
        max_examples=n, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(x=strategy)
    def collect(x: torch.Tensor) -> None:
        out.append(x)

    collect()
    return out


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sparse beta, nested prototype, quantized deprecation
        yield


def _has_duplicates(x: torch.Tensor) -> bool:
    cells = [tuple(c) for c in x._indices().t().tolist()]
    return len(cells) != len(set(cells))


def test_sparse_draws_every_option_and_only_valid_tensors() -> None:
    seen: Counter[str] = Counter()
    for x in _draws(sparse_tensors(requires_grad=None)):
        seen[str(x.layout)] += 1
        seen["nnz 0"] += x._nnz() == 0
        seen["dense dims"] += x.dense_dim() > 0
        seen["requires grad"] += x.requires_grad
        if x.layout == torch.sparse_coo:
            seen[f"coalesced {x.is_coalesced()}"] += 1
            seen["duplicates"] += _has_duplicates(x)
        else:
            seen["batch dims"] += (
                x.crow_indices().dim() > 1
                if x.layout
                in (
                    torch.sparse_csr,
                    torch.sparse_bsr,
                )
                else x.ccol_indices().dim() > 1
            )
            seen["int32 indices"] += x.values().dtype != torch.int32 and (
                (x.crow_indices() if x.layout in (torch.sparse_csr, torch.sparse_bsr)
                 else x.ccol_indices()).dtype == torch.int32
            )  # fmt: skip
        if x.layout in (torch.sparse_bsr, torch.sparse_bsc):
            seen["blocks > 1"] += x.values().shape[-2 - x.dense_dim() :][:2].numel() > 1
        x.clone()  # every draw is usable
    for layout in ("coo", "csr", "csc", "bsr", "bsc"):
        assert seen[f"torch.sparse_{layout}"] >= N // 10, seen
    for option in (
        "nnz 0", "dense dims", "requires grad", "coalesced True", "coalesced False",
        "duplicates", "batch dims", "int32 indices", "blocks > 1",
    ):  # fmt: skip
        assert seen[option] >= 5, (option, seen)


def test_quantized_draws_every_option() -> None:
    seen: Counter[str] = Counter()
    for q in _draws(quantized_tensors()):
        seen[str(q.dtype)] += 1
        seen[str(q.qscheme())] += 1
        ints = q.int_repr()
        info = torch.iinfo(ints.dtype)
        seen["extreme integer"] += bool(((ints == info.min) | (ints == info.max)).any())
        if q.qscheme() == torch.per_tensor_affine:
            seen["zero point != 0"] += q.q_zero_point() != 0
        else:
            seen["axis > 0"] += q.q_per_channel_axis() > 0
            seen["zero points differ"] += len(set(q.q_per_channel_zero_points().tolist())) > 1
        q.clone()
    for option in (
        "torch.qint8", "torch.quint8", "torch.qint32", "torch.per_tensor_affine",
        "torch.per_channel_affine", "extreme integer", "zero point != 0", "axis > 0",
        "zero points differ",
    ):  # fmt: skip
        assert seen[option] >= 5, (option, seen)


def test_nested_draws_every_option() -> None:
    seen: Counter[str] = Counter()
    for x in _draws(nested_tensors(requires_grad=None)):
        seen[str(x.layout)] += 1
        components = x.unbind()
        seen["several components"] += len(components) > 1
        seen["empty component"] += any(c.numel() == 0 for c in components)
        seen["requires grad"] += x.requires_grad
        if x.layout == torch.strided:
            seen["ragged beyond dim 1"] += len({c.shape[1:] for c in components}) > 1
        x.clone()
    for option in (
        "torch.jagged", "torch.strided", "several components", "empty component",
        "requires grad", "ragged beyond dim 1",
    ):  # fmt: skip
        assert seen[option] >= 5, (option, seen)


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        (sparse_tensors("dense"), "layout='dense' is not a sparse layout"),
        (sparse_tensors(nnz=-1), "nnz=-1 must be at least 0"),
        (sparse_tensors(coalesced=1), "Expected bool but got coalesced=1"),
        (sparse_tensors("csr", coalesced=True), "coalesced= applies to layout=sparse_coo only"),
        (sparse_tensors("bsr", blocksize=(0, 2)), "blocksize=(0, 2) must be a pair of ints >= 1"),
        (sparse_tensors("coo", batch_dims=1), "batch_dims= applies to the compressed layouts"),
        (sparse_tensors(device="meta"), "sparse tensors exist on cpu, cuda devices only"),
        (sparse_tensors(dtype=torch.qint8), "dtype=torch.qint8 is not supported by sparse"),
        (quantized_tensors(torch.float32), "dtype=torch.float32 is not supported by quantized"),
        (quantized_tensors(scheme="per_row"), "scheme='per_row' is not torch.per_tensor_affine"),
        (quantized_tensors(shape=(2, 3), axis=2), "axis=2 is not a dimension of shape=(2, 3)"),
        (quantized_tensors(device="meta"), "quantized tensors exist on cpu devices only"),
        (nested_tensors(torch.sparse_coo), "is not torch.jagged or torch.strided"),
        (nested_tensors(components=0), "components=0 must be at least 1"),
    ],
)
def test_bad_arguments_raise_at_validate_naming_the_argument(strategy: Any, message: str) -> None:
    with pytest.raises(InvalidArgument, match=pytest.importorskip("re").escape(message)):
        strategy.validate()


def test_each_shrinks_to_the_simplest_tensor_of_its_kind() -> None:
    coo = find(sparse_tensors(), lambda x: True)
    assert (coo.layout, coo.dtype, coo._nnz(), coo.dense_dim()) == (
        torch.sparse_coo,
        torch.float32,
        0,
        0,
    )
    one = find(sparse_tensors(), lambda x: x._nnz() > 0)
    assert one._nnz() == 1 and one.shape == (1,) and float(one.to_dense()[0]) == 0.0
    q = find(quantized_tensors(), lambda x: True)
    assert (q.dtype, q.qscheme(), q.q_scale(), q.q_zero_point()) == (
        torch.qint8,
        torch.per_tensor_affine,
        1.0,
        0,
    )
    n = find(nested_tensors(), lambda x: True)
    assert (n.layout, n.dtype, [tuple(c.shape) for c in n.unbind()]) == (
        torch.jagged,
        torch.float32,
        [(0,)],
    )


def test_from_type_stays_dense() -> None:
    for x in _draws(st.from_type(torch.Tensor), 200):
        assert x.layout == torch.strided and not x.is_nested and not x.is_quantized
