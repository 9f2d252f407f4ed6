"""Tensors beyond plain strided ones, taken apart: sparse, quantized, nested.

A sparse, quantized or nested tensor is made of plain tensors (indices, values,
integer representation, scales, offsets, a buffer) plus metadata (layout,
coalesced flag, quantization scheme and parameters, ragged structure). Clone
semantics compares the metadata and every part bit for bit; independence compares
which parts share memory with the input against what ``clone`` itself shares (a
jagged tensor's clone keeps its ``offsets``, a per-channel quantized clone its
scales and zero points: sharing those is right, sharing anything else is not).
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["is_plain", "metadata", "parts", "shared_parts", "storage_span"]

_ROW_MAJOR = (torch.sparse_csr, torch.sparse_bsr)
_COLUMN_MAJOR = (torch.sparse_csc, torch.sparse_bsc)


def is_plain(t: Tensor) -> bool:
    """A plain strided tensor: not sparse, not quantized, not nested."""
    return t.layout == torch.strided and not t.is_nested and not t.is_quantized


def parts(t: Tensor) -> dict[str, Tensor]:
    """The plain tensors that make up ``t``, by name, in a fixed order (detached: some
    accessors refuse a tensor that requires grad, a complex jagged one's ``values()``)."""
    t = t.detach()
    if t.is_nested:
        if t.layout == torch.jagged:
            found = {"values": t.values(), "offsets": t.offsets()}  # type: ignore[attr-defined]
            lengths = t.lengths()  # type: ignore[attr-defined]
            return found if lengths is None else {**found, "lengths": lengths}
        return {"buffer": t.values()}
    if t.layout == torch.sparse_coo:
        return {"indices": t._indices(), "values": t._values()}
    if t.layout in _ROW_MAJOR:
        return {
            "crow_indices": t.crow_indices(),
            "col_indices": t.col_indices(),
            "values": t.values(),
        }
    if t.layout in _COLUMN_MAJOR:
        return {
            "ccol_indices": t.ccol_indices(),
            "row_indices": t.row_indices(),
            "values": t.values(),
        }
    if t.is_quantized:
        found = {"int_repr": t.int_repr()}
        if t.qscheme() in (torch.per_channel_affine, torch.per_channel_affine_float_qparams):
            found |= {
                "scales": t.q_per_channel_scales(),
                "zero_points": t.q_per_channel_zero_points(),
            }
        return found
    return {"self": t}


def metadata(t: Tensor) -> dict[str, object]:
    """What a clone must reproduce besides the parts' values."""
    meta: dict[str, object] = {
        "type": type(t).__name__,
        "layout": t.layout,
        "dtype": t.dtype,
        "device": t.device,
        "is_nested": t.is_nested,
        "requires_grad": t.requires_grad,
    }
    if t.is_nested:
        if t.layout == torch.jagged:
            meta["shape"] = tuple(t.shape)  # includes the ragged dimension's nested int
            meta["ragged_dim"] = t._ragged_idx  # type: ignore[attr-defined]
        components = t.detach().unbind()
        meta["component shapes"] = [tuple(c.shape) for c in components]
        if t.layout == torch.strided:
            meta["component strides"] = [c.stride() for c in components]
        return meta
    meta["shape"] = tuple(t.shape)
    if t.layout == torch.sparse_coo:
        meta |= {
            "is_coalesced": t.is_coalesced(),
            "sparse_dim": t.sparse_dim(),
            "dense_dim": t.dense_dim(),
        }
    elif t.layout in _ROW_MAJOR + _COLUMN_MAJOR:
        meta |= {"sparse_dim": t.sparse_dim(), "dense_dim": t.dense_dim()}
    if t.is_quantized:
        scheme = t.qscheme()
        meta["qscheme"] = scheme
        if scheme in (torch.per_tensor_affine, torch.per_tensor_symmetric):
            meta |= {"q_scale": t.q_scale(), "q_zero_point": t.q_zero_point()}
        else:
            meta["q_per_channel_axis"] = t.q_per_channel_axis()
        meta |= {"stride": t.stride(), "storage_offset": t.storage_offset()}
    return meta


def storage_span(t: Tensor) -> tuple[int, int]:
    """``(first, end)`` byte addresses of the storage holding ``t``'s data."""
    storage = t.untyped_storage()
    return storage.data_ptr(), storage.data_ptr() + storage.nbytes()


def _memory(t: Tensor) -> dict[str, Tensor]:
    """The parts that hold memory of their own (a quantized tensor's integers are its own
    storage; ``int_repr()`` is a copy)."""
    found = parts(t)
    if t.is_quantized:
        found["int_repr"] = t  # the quantized tensor's storage itself
    return found


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[0] != a[1] and b[0] != b[1]


def shared_parts(result: Tensor, source: Tensor) -> set[tuple[str, str]]:
    """``(result part, source part)`` pairs whose storages overlap."""
    ours, theirs = _memory(result), _memory(source)
    return {
        (a, b)
        for a, ta in ours.items()
        for b, tb in theirs.items()
        if ta.device == tb.device and _overlap(storage_span(ta), storage_span(tb))
    }
