"""Deliberately broken implementations of realize, each wrong in one subtle way.

The meta-tests in ``test_catches_bugs.py`` assert that the property suite fails
on every one of them; any of them can also be run by hand:
``pytest --realize-target=tests.harness.broken:returns_input``
must fail. ``CORRECT`` lists clone-alikes that must pass.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from realize._bit_dtypes import word_dtype


def _bits(t: Tensor) -> Tensor:
    """Integer view of a float/complex tensor's components (no conj/neg bit set)."""
    if t.dtype.is_complex:
        t = torch.view_as_real(t) if t.dtype.itemsize == 16 else t
    return t.view(word_dtype(t.dtype.itemsize))


def _floating(t: Tensor) -> bool:
    return t.dtype.is_floating_point or t.dtype.is_complex


# --- forward: aliasing ------------------------------------------------------------------


def returns_input(x: Tensor) -> Tensor:
    return x


def returns_contiguous(x: Tensor) -> Tensor:
    """``contiguous()`` copies only non-contiguous inputs: aliases contiguous ones."""
    return x.contiguous()


def aliases_with_storage_offset(x: Tensor) -> Tensor:
    """Returns a view when the input has a storage offset."""
    return x.view_as(x) if x.storage_offset() > 0 else x.clone()


def aliases_empty(x: Tensor) -> Tensor:
    return x if x.numel() == 0 else x.clone()


def aliases_zero_dim(x: Tensor) -> Tensor:
    return x.view(()) if x.dim() == 0 else x.clone()


def returns_detach(x: Tensor) -> Tensor:
    """``detach()`` shares storage (and the version counter) with its input."""
    return x.detach() if not x.requires_grad else x.clone()


# --- forward: strides -------------------------------------------------------------------


def contiguous_clone(x: Tensor) -> Tensor:
    return x.contiguous().clone()


def drops_channels_last(x: Tensor) -> Tensor:
    if x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last):
        return x.clone(memory_format=torch.contiguous_format)
    return x.clone()


def normalises_size_one_strides(x: Tensor) -> Tensor:
    """``is_contiguous()`` ignores strides of size-1 dims; clone keeps them."""
    if x.is_contiguous():
        return torch.empty(x.shape, dtype=x.dtype, device=x.device).copy_(x)
    return x.clone()


def wrong_storage_size(x: Tensor) -> Tensor:
    """Right view, oversized storage."""
    out = torch.empty(x.numel() + 1, dtype=x.dtype, device=x.device)[: x.numel()]
    return out.view(x.shape).copy_(x) if x.is_contiguous() else x.clone()


# --- forward: values --------------------------------------------------------------------


def flushes_negative_zero(x: Tensor) -> Tensor:
    out = x.clone()
    if _floating(out) and not out.is_conj() and not out.is_neg():
        with torch.no_grad():
            bits = _bits(out)
            bits.masked_fill_(bits == torch.iinfo(bits.dtype).min, 0)
    return out


def int64_through_float64(x: Tensor) -> Tensor:
    return x.double().to(torch.int64) if x.dtype == torch.int64 else x.clone()


def half_through_float32(x: Tensor) -> Tensor:
    """Exact for every value except signalling NaNs, which come back quiet."""
    if x.dtype in (torch.float16, torch.bfloat16):
        return x.float().to(x.dtype)
    return x.clone()


def float64_through_float32(x: Tensor) -> Tensor:
    return x.float().to(x.dtype) if x.dtype == torch.float64 else x.clone()


def canonicalises_nan(x: Tensor) -> Tensor:
    out = x.clone()
    if out.dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        with torch.no_grad():
            out.masked_fill_(out.isnan(), float("nan"))
    return out


def wrong_dtype_bfloat16(x: Tensor) -> Tensor:
    return x.float() if x.dtype == torch.bfloat16 else x.clone()


def keeps_conj_bit(x: Tensor) -> Tensor:
    """Right values, but the conjugate bit stays set (clone resolves it)."""
    return x.conj().clone().conj() if x.is_conj() else x.clone()


def drops_conjugation(x: Tensor) -> Tensor:
    """Copies the physical memory of a conjugate view: values come out conjugated."""
    return x.conj().clone() if x.is_conj() else x.clone()


def ignores_neg_bit(x: Tensor) -> Tensor:
    return torch._neg_view(x).clone() if x.is_neg() else x.clone()


def wrong_for_large(x: Tensor) -> Tensor:
    """A chunked copy that forgets the last element of big tensors."""
    out = x.clone()
    if out.numel() > 1024 and out.device.type != "meta":
        raw = torch.empty(0, dtype=torch.uint8, device=out.device).set_(out.untyped_storage())
        raw[-out.dtype.itemsize :] = 0
    return out


# --- forward: mutation and autograd metadata --------------------------------------------


def bumps_version(x: Tensor) -> Tensor:
    """An in-place no-op on the input: same values, but the version counter moves."""
    with torch.no_grad():
        x.copy_(x)
    return x.clone()


def mutates_input(x: Tensor) -> Tensor:
    """Flips a bit of the input behind autograd's back (``.data``: no version bump)."""
    out = x.clone()
    if x.numel() and x.device.type != "meta":
        raw = torch.empty(0, dtype=torch.uint8, device=x.device).set_(x.untyped_storage())
        raw[x.storage_offset() * x.dtype.itemsize] ^= 1
    return out


def sets_requires_grad(x: Tensor) -> Tensor:
    out = x.clone()
    return out.requires_grad_() if _floating(out) and not out.requires_grad else out


def detaches(x: Tensor) -> Tensor:
    return x.detach().clone()


def disconnected_leaf(x: Tensor) -> Tensor:
    """requires_grad is right, but the result is a new leaf, not connected to x."""
    return x.detach().clone().requires_grad_(x.requires_grad)


def moves_to_cpu(x: Tensor) -> Tensor:
    """Right everywhere but on accelerators."""
    return x.clone().cpu() if x.device.type != "meta" else x.clone()


# --- backward -----------------------------------------------------------------------------


class _Clone(torch.autograd.Function):
    """Forward ``x.clone()``; backward from ``_backward``."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        return x.clone()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        raise NotImplementedError


def _with_backward(name: str, backward: Any) -> Any:
    cls = type(name, (_Clone,), {"backward": staticmethod(backward)})

    def impl(x: Tensor) -> Tensor:
        return cls.apply(x)  # type: ignore[no-any-return]

    impl.__name__ = impl.__qualname__ = name
    return impl


def _ulp_up(grad: Tensor) -> Tensor:
    out = grad.resolve_conj().resolve_neg().clone()
    bits = _bits(out)
    bits.add_(1)
    return out


def _conj(grad: Tensor) -> Tensor:
    return grad.conj()


def _detached(grad: Tensor) -> Tensor:
    return grad.detach()


def _contiguous_strides(shape: torch.Size) -> list[int]:
    strides, acc = [], 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= max(n, 1)
    return strides[::-1]


def _ignores_grad_strides(grad: Tensor) -> Tensor:
    # Reads grad's memory as if it were contiguous.
    return grad.as_strided(grad.shape, _contiguous_strides(grad.shape), grad.storage_offset())


def _times_one(grad: Tensor) -> Tensor:
    return grad * 1


def _in_place(grad: Tensor) -> Tensor:
    return grad.mul_(2) if grad.numel() else grad


backward_off_by_one_ulp = _with_backward("backward_off_by_one_ulp", lambda ctx, g: _ulp_up(g))
backward_conjugates = _with_backward("backward_conjugates", lambda ctx, g: _conj(g))
backward_detached = _with_backward("backward_detached", lambda ctx, g: _detached(g))
backward_ignores_grad_strides = _with_backward(
    "backward_ignores_grad_strides", lambda ctx, g: _ignores_grad_strides(g)
)
backward_times_one = _with_backward("backward_times_one", lambda ctx, g: _times_one(g))
backward_in_place = _with_backward("backward_in_place", lambda ctx, g: _in_place(g))


# --- wrong only in one size class, under torch.compile, or under a transform ---------------


def wrong_above_grain(x: Tensor) -> Tensor:
    """Right up to 40,000 elements; above (CPU copies go parallel at 32,768) the last is lost.

    The corpus's largest tensors are smaller: only the property's size classes see it.
    """
    out = x.clone()
    if out.numel() > 40_000 and out.device.type != "meta":
        raw = torch.empty(0, dtype=torch.uint8, device=out.device).set_(out.untyped_storage())
        raw[-out.dtype.itemsize :] ^= 0x5A
    return out


def returns_input_when_compiled(x: Tensor) -> Tensor:
    """Right in eager mode; inside torch.compile it returns its input."""
    if torch.compiler.is_compiling():
        return x
    return x.clone()


class _CloneFunction(torch.autograd.Function):
    """Forward clone, exact (identity) backward: the right part of the two below."""

    @staticmethod
    def forward(x: Tensor) -> Tensor:
        return x.clone()

    @staticmethod
    def setup_context(ctx: Any, inputs: Any, output: Any) -> None:
        pass

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad


class _ZeroTangent(_CloneFunction):
    """Forward clone, exact backward, but a forward-mode formula that gives zeros."""

    @staticmethod
    def jvp(ctx: Any, tangent: Tensor) -> Tensor:
        return torch.zeros_like(tangent)

    @staticmethod
    def vmap(info: Any, in_dims: Any, x: Tensor) -> Any:
        return x.clone(), in_dims[0]


def zero_forward_tangent(x: Tensor) -> Tensor:
    """Right in eager mode and in reverse mode; jvp, jacfwd and forward AD give zeros."""
    return _ZeroTangent.apply(x)  # type: ignore[no-any-return]


class _VmapFlips(_CloneFunction):
    """Forward clone; under vmap, the batch comes back in reverse order."""

    generate_vmap_rule = False

    @staticmethod
    def vmap(info: Any, in_dims: Any, x: Tensor) -> Any:
        dim = in_dims[0]
        return (x.flip(dim) if dim is not None else x.clone()), dim


def vmap_flips_batch(x: Tensor) -> Tensor:
    """Right everywhere except under vmap, where batch elements are swapped."""
    return _VmapFlips.apply(x)  # type: ignore[no-any-return]


class _VmapBatchAtZero(_CloneFunction):
    """Forward clone; under vmap it reports the batch dimension at 0, wherever it is."""

    generate_vmap_rule = False

    @staticmethod
    def vmap(info: Any, in_dims: Any, x: Tensor) -> Any:
        return x.clone(), (0 if in_dims[0] is not None else None)


def vmap_assumes_batch_dim_zero(x: Tensor) -> Tensor:
    """Right under vmap(in_dims=0); with any other batch dimension the samples are wrong."""
    return _VmapBatchAtZero.apply(x)  # type: ignore[no-any-return]


def aborts_on_empty(x: Tensor) -> Tensor:
    """Kills the process (SIGABRT) on zero-size input, as a crashing kernel would."""
    if x.numel() == 0:
        import os

        os.abort()
    return x.clone()


# --- correct clone-alikes (controls) -------------------------------------------------------


def empty_like_copy(x: Tensor) -> Tensor:
    """clone's own recipe: ``empty_like`` with preserve_format, then ``copy_``."""
    return torch.empty_like(x).copy_(x)


CORRECT = ["empty_like_copy"]

# name -> the property (test function stem) that must catch it
BROKEN = {
    "returns_input": "independence",
    "returns_contiguous": "independence",
    "aliases_with_storage_offset": "independence",
    "aliases_empty": "independence",
    "aliases_zero_dim": "independence",
    "returns_detach": "independence",
    "bumps_version": "independence",
    "mutates_input": "independence",
    "contiguous_clone": "clone_semantics",
    "drops_channels_last": "clone_semantics",
    "normalises_size_one_strides": "clone_semantics",
    "wrong_storage_size": "clone_semantics",
    "flushes_negative_zero": "clone_semantics",
    "int64_through_float64": "clone_semantics",
    "half_through_float32": "clone_semantics",
    "float64_through_float32": "clone_semantics",
    "canonicalises_nan": "clone_semantics",
    "wrong_dtype_bfloat16": "clone_semantics",
    "keeps_conj_bit": "clone_semantics",
    "drops_conjugation": "clone_semantics",
    "ignores_neg_bit": "clone_semantics",
    "wrong_for_large": "clone_semantics",
    "sets_requires_grad": "clone_semantics",
    "detaches": "clone_semantics",
    "disconnected_leaf": "clone_semantics",
    "backward_off_by_one_ulp": "identity_backward",
    "backward_conjugates": "identity_backward",
    "backward_detached": "identity_backward",
    "backward_ignores_grad_strides": "identity_backward",
    "backward_times_one": "identity_backward",
    "backward_in_place": "identity_backward",
}

# only observable on an accelerator
BROKEN_ON_ACCELERATORS = {"moves_to_cpu": "clone_semantics"}

# name -> (where it is wrong, the property or transform that must catch it)
BROKEN_ELSEWHERE = {
    "wrong_above_grain": ("size class", "clone_semantics"),
    "returns_input_when_compiled": ("torch.compile", "independence"),
    "zero_forward_tangent": ("torch.func", "jvp"),
    "vmap_flips_batch": ("torch.func", "vmap"),
    "vmap_assumes_batch_dim_zero": ("torch.func, batch dimension other than 0", "vmap"),
}


# --- wrong only on one tensor layout (sparse, quantized, nested) ---------------------------


def coalesces_coo(x: Tensor) -> Tensor:
    """Sums the duplicates of an uncoalesced COO tensor: the values are right, the
    structure (is_coalesced, nnz, the duplicate entries) is not clone's."""
    return x.clone().coalesce() if x.layout == torch.sparse_coo else x.clone()


def drops_per_channel_zero_points(x: Tensor) -> Tensor:
    """A per-channel quantized clone whose zero points are all 0."""
    if x.is_quantized and x.qscheme() == torch.per_channel_affine:
        zero = torch.zeros_like(x.q_per_channel_zero_points())
        return torch._make_per_channel_quantized_tensor(
            x.int_repr(), x.q_per_channel_scales(), zero, x.q_per_channel_axis()
        )
    return x.clone()


def shares_jagged_values(x: Tensor) -> Tensor:
    """A jagged tensor over the input's own values (clone keeps only the offsets)."""
    if x.is_nested and x.layout == torch.jagged:
        return torch.nested.nested_tensor_from_jagged(x.values(), x.offsets())
    return x.clone()


def copies_jagged_offsets(x: Tensor) -> Tensor:
    """New offsets: another ragged structure, which cannot be combined with the input's.
    (Sharing the offsets is what clone does, and right.)"""
    if x.is_nested and x.layout == torch.jagged:
        return torch.nested.nested_tensor_from_jagged(x.values().clone(), x.offsets().clone())
    return x.clone()


def loses_csr_batch(x: Tensor) -> Tensor:
    """A batched CSR tensor comes back as its first batch."""
    if x.layout == torch.sparse_csr and x.crow_indices().dim() > 1:
        first = (0,) * (x.crow_indices().dim() - 1)
        return torch.sparse_csr_tensor(
            x.crow_indices()[first], x.col_indices()[first], x.values()[first], x.shape[-2:]
        )
    return x.clone()


# name -> (the layout family, the property that must catch it)
BROKEN_LAYOUTS = {
    "coalesces_coo": ("sparse", "clone_semantics"),
    "drops_per_channel_zero_points": ("quantized", "clone_semantics"),
    "shares_jagged_values": ("nested_jagged", "independence"),
    "copies_jagged_offsets": ("nested_jagged", "clone_semantics"),
    "loses_csr_batch": ("sparse", "clone_semantics"),
}
