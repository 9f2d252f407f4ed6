"""Raw-bit views of tensors: compare values bit for bit, read and write whole storages.

Comparing ``a == b`` says ``-0.0 == 0.0`` and ``nan != nan`` and cannot see a NaN
payload; comparing the bits through an integer view of the same itemsize says
exactly whether two tensors hold the same values, for every dtype torch can
clone (float8, complex32 and bool included).
"""

from __future__ import annotations

import torch
from torch import Tensor

from realize._bit_dtypes import word_dtype

__all__ = [
    "bit_view",
    "differences",
    "first_difference",
    "format_bits",
    "has_data",
    "logical_values",
    "storage_bytes",
]


def has_data(t: Tensor) -> bool:
    """False for tensors that carry no values (the meta device)."""
    return t.device.type != "meta"


def logical_values(t: Tensor) -> Tensor:
    """``t`` with its conjugate and negative bits applied (a copy only when one is set)."""
    if t.is_conj():
        t = t.resolve_conj()
    if t.is_neg():
        t = t.resolve_neg()
    return t


def bit_view(t: Tensor) -> Tensor:
    """The logical values of ``t`` as a signed-integer tensor of the same itemsize.

    Same shape and strides as ``t`` (overlapping and expanded tensors included);
    16-byte dtypes (complex128) gain a trailing dimension of size 2.
    """
    t = logical_values(t.detach())
    if t.dtype.itemsize == 16:
        t = torch.view_as_real(t)
    return t.view(word_dtype(t.dtype.itemsize))


def differences(a: Tensor, b: Tensor, limit: int = 5) -> tuple[int, list[tuple[int, ...]]]:
    """How many elements of ``a`` and ``b`` differ in their bits, and the first ``limit`` indices.

    Indices are row-major. ``a`` and ``b`` must have the same shape and dtype;
    they may live on different devices and have any strides.
    """
    if a.numel() == 0:
        return 0, []
    if a.device != b.device:
        a, b = a.cpu(), b.cpu()
    ne = bit_view(a) != bit_view(b)
    if a.dtype.itemsize == 16:
        ne = ne.any(dim=-1)
    count = int(ne.sum())
    if not count:
        return 0, []
    if ne.dim() == 0:
        return 1, [()]
    flat = ne.reshape(-1).nonzero()[:limit, 0].tolist()
    return count, [
        tuple(int(i) for i in torch.unravel_index(torch.tensor(f), ne.shape)) for f in flat
    ]


def first_difference(a: Tensor, b: Tensor) -> tuple[int, ...] | None:
    """The first index (row-major) at which ``a`` and ``b`` differ in their bits, or None.

    ``a`` and ``b`` must have the same shape and dtype; they may live on
    different devices and have any strides.
    """
    if a.numel() == 0:
        return None
    if a.device != b.device:
        a, b = a.cpu(), b.cpu()
    ne = bit_view(a) != bit_view(b)
    if a.dtype.itemsize == 16:
        ne = ne.any(dim=-1)
    if not bool(ne.any()):
        return None
    if ne.dim() == 0:
        return ()
    return tuple(int(i) for i in ne.nonzero()[0].tolist())


def storage_bytes(t: Tensor) -> Tensor:
    """A ``uint8`` tensor aliasing every byte of ``t``'s storage (not only its view)."""
    return torch.empty(0, dtype=torch.uint8, device=t.device).set_(t.untyped_storage())


def format_bits(t: Tensor, index: tuple[int, ...]) -> str:
    """``value (bits 0x...)`` for the element of ``t`` at ``index``."""
    element = logical_values(t[index] if index else t).detach().cpu()
    bits = bit_view(element).reshape(-1).tolist()
    width = 2 * min(element.dtype.itemsize, 8)
    hex_bits = "/".join(f"0x{b & ((1 << (4 * width)) - 1):0{width}x}" for b in bits)
    return f"{_format_value(element)} (bits {hex_bits})"


def _format_value(element: Tensor) -> str:
    try:
        value = element.item()
    except (RuntimeError, TypeError):
        # bits*, float4 and other storage-only dtypes have no scalar conversion.
        return f"<{str(element.dtype).removeprefix('torch.')}>"
    return repr(value)
