"""Tensors across a process boundary, exactly: bytes, sizes, strides, offset, bits, grad.

``torch.save``/pickle keeps storage, offset and strides but not the conj and
neg bits of a view, nor whether a tensor that requires grad is a leaf. A packed
tensor is its whole storage as bytes (on the cpu) plus the metadata; unpacking
rebuilds the same view of a fresh storage on the same device, in the child
process of ``--realize-isolate`` (any device: CUDA is initialised there, never
inherited through a fork). Layouts other than strided go through torch's own
pickling.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from realize.testing._bits import has_data, storage_bytes

__all__ = ["pack", "unpack"]


def pack(t: Tensor | None) -> dict[str, Any] | None:
    """``t`` as plain data (bytes, ints, strings) that :func:`unpack` rebuilds."""
    if t is None:
        return None
    if t.layout != torch.strided:
        return {"pickled": t.detach().cpu(), "device": str(t.device)}
    raw = storage_bytes(t).cpu().clone() if has_data(t) else None  # a uint8 copy
    return {
        "dtype": str(t.dtype).removeprefix("torch."),
        "device": str(t.device),
        "nbytes": t.untyped_storage().nbytes(),
        "storage": raw,
        "size": tuple(t.shape),
        "stride": tuple(t.stride()),
        "offset": t.storage_offset(),
        "conj": t.is_conj(),
        "neg": t.is_neg(),
        "requires_grad": t.requires_grad,
        "leaf": t.is_leaf,
    }


def unpack(p: dict[str, Any] | None) -> Tensor | None:
    """The tensor :func:`pack` described, on its device, in a fresh storage."""
    if p is None:
        return None
    if "pickled" in p:
        t: Tensor = p["pickled"]
        return t.to(p["device"])
    dtype = getattr(torch, p["dtype"])
    base = torch.empty(p["nbytes"] // dtype.itemsize, dtype=dtype, device=p["device"])
    if p["storage"] is not None and p["nbytes"]:
        base.view(torch.uint8).copy_(p["storage"])
    if p["requires_grad"] and not p["leaf"]:
        base.requires_grad_()  # a view of a leaf that requires grad, as drawn
    x = base.as_strided(p["size"], p["stride"], p["offset"])
    if p["conj"]:
        x = x.conj()
    if p["neg"]:
        x = torch._neg_view(x)
    if p["requires_grad"] and p["leaf"]:
        x = x.detach().requires_grad_()
    return x
