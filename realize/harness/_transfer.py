"""Tensors across a process boundary, exactly: bytes, sizes, strides, offset, bits, grad.

``torch.save``/pickle keeps storage, offset and strides but not the conj and
neg bits of a view, nor whether a tensor that requires grad is a leaf (and it
cannot pickle every sparse or jagged tensor). A packed plain tensor is its whole
storage as bytes (on the cpu) plus the metadata; unpacking rebuilds the same view
of a fresh storage on the same device, in the child process of ``--realize-isolate``
(any device: CUDA is initialised there, never inherited through a fork). A sparse,
quantized or nested tensor is packed as its plain pieces plus the expression that
builds it from them (``realize.testing._report.layout_recipe``, the one the failure
snippets use).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from realize.testing._bits import has_data, storage_bytes
from realize.testing._report import layout_recipe
from realize.testing._tensor_layouts import is_plain

__all__ = ["pack", "unpack"]


def pack(t: Tensor | None) -> dict[str, Any] | None:
    """``t`` as plain data (bytes, ints, strings) that :func:`unpack` rebuilds."""
    if t is None:
        return None
    if not is_plain(t):
        recipe, pieces = layout_recipe(t)
        return {
            "recipe": recipe,
            "pieces": {name: pack(piece) for name, piece in pieces.items()},
            "requires_grad": t.requires_grad,
        }
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
    if "recipe" in p:
        names = {f"n_{name}": unpack(piece) for name, piece in p["pieces"].items()}
        built: Tensor = eval(p["recipe"].format(n="n"), {"torch": torch, **names})
        return built.requires_grad_() if p["requires_grad"] else built
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
