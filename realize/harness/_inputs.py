"""What the harness draws for each property: Hypothesis strategies of :class:`Case`.

Every dtype, every layout (permuted, step-sliced, storage offset, expanded,
channels_last, overlapping, conj/neg views, zero-size, 0-d), special values and
``requires_grad``, with one example in ten from a larger size class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from torch import Tensor

from realize.strategies import (
    dtypes,
    nested_tensors,
    quantized_tensors,
    shapes,
    sized_shapes,
    sparse_tensors,
    tensors,
)
from realize.strategies._layout_support import FAMILY_DEVICE_TYPES
from realize.testing._transforms import BATCHED, REAL_ONLY

__all__ = [
    "LAYOUT_FAMILIES",
    "TRANSFORM_DTYPES",
    "Case",
    "backward_inputs",
    "gradcheck_inputs",
    "layout_inputs",
    "opcheck_inputs",
    "size_classes",
    "tensor_inputs",
    "transform_inputs",
]


@dataclass(frozen=True)
class Case:
    """One example of a property: the tensors it is called with and its keyword parameters."""

    args: tuple[Tensor | None, ...]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def x(self) -> Tensor:
        """The input of the target (the first tensor)."""
        assert self.args[0] is not None
        return self.args[0]


def size_classes(device: str) -> SearchStrategy[tuple[int, ...]]:
    """Mostly small shapes; one example in ten from a class where kernels change path.

    Up to 2**17 elements (around and above the CPU parallel grain of 32768);
    on CUDA also above one full grid wave (1e6 to 2e6 elements).
    """
    classes: tuple[str, ...] = ("medium", "grain", "parallel")
    if device.startswith("cuda"):
        classes += ("wave",)
    return sized_shapes(classes, large_share=0.1)


def tensor_inputs(device: str, *, sized: bool = True) -> SearchStrategy[Case]:
    """``Case((x,))``: any dtype, layout, values and ``requires_grad`` on ``device``."""
    shape = size_classes(device) if sized else None
    return tensors(device=device, shape=shape, requires_grad=None).map(lambda x: Case((x,)))


def backward_inputs(device: str) -> SearchStrategy[Case]:
    """``Case((x, grad_output))``: ``x`` of a dtype that carries grad; ``grad_output``
    ``None`` (the default bit pattern) or a tensor of ``x``'s dtype and shape in any
    layout: non-contiguous, expanded, conj/neg views."""
    xs = tensors(
        dtype=dtypes(device=device, requires_grad=True),
        shape=size_classes(device),
        device=device,
        requires_grad=None,
    )
    return xs.flatmap(
        lambda x: st.builds(
            lambda g: Case((x, g)),
            st.none() | tensors(dtype=x.dtype, shape=tuple(x.shape), device=device),
        )
    )


# gradcheck evaluates the function twice per element: few, finite, moderate inputs.
_MODERATE = {"min_value": -100.0, "max_value": 100.0, "allow_nan": False, "allow_infinity": False}


def gradcheck_inputs(device: str) -> SearchStrategy[Case]:
    """``Case((x,))``: float64 or complex128, at most 3 dimensions of at most 3."""
    dtype = st.sampled_from([torch.float64, torch.complex128])
    shape = st.lists(st.integers(0, 3), max_size=3).map(tuple)
    return tensors(dtype, shape, device=device, elements=_MODERATE).map(lambda x: Case((x,)))


def opcheck_inputs(device: str) -> SearchStrategy[Case]:
    """``Case((x,))`` in four representative dtypes, requiring grad where it can."""
    dtype = st.sampled_from([torch.float32, torch.float16, torch.int64, torch.complex64])
    return dtype.flatmap(
        lambda d: tensors(d, device=device, requires_grad=d.is_floating_point or None)
    ).map(lambda x: Case((x,)))


#: dtypes with arithmetic for the losses the transforms use (grad multiplies by v)
TRANSFORM_DTYPES = (
    torch.float32,
    torch.float64,
    torch.float16,
    torch.bfloat16,
    torch.complex64,
    torch.complex128,
)
_FINITE = {"allow_nan": False, "allow_infinity": False, "min_value": -1e3, "max_value": 1e3}


def transform_inputs(transform: str, device: str) -> SearchStrategy[Case]:
    """``Case((x, v), dims)``: x in any layout, v a finite tangent/cotangent of its shape
    and dtype in any layout; for ``vmap`` and ``vmap_grad`` also ``in_dims`` and
    ``out_dims``, any dimension, negative ones included.

    Real dtypes only for the transforms that need a real loss or Jacobian;
    Jacobians get at most 64 elements (they have numel**2), vmaps >= 1 dimension.
    """
    real = tuple(d for d in TRANSFORM_DTYPES if d.is_floating_point)
    dtype = st.sampled_from(real if transform in REAL_ONLY else TRANSFORM_DTYPES)
    batched = transform in BATCHED
    if transform in ("jacrev", "jacfwd"):
        shape: SearchStrategy[tuple[int, ...]] | None = shapes(max_numel=64)
    else:
        shape = shapes(min_dims=1) if batched else None
    xs = tensors(dtype=dtype, shape=shape, device=device, elements=_FINITE)

    def with_tangent(x: Tensor) -> SearchStrategy[Case]:
        vs = tensors(dtype=x.dtype, shape=tuple(x.shape), device=device, elements=_FINITE)
        if not batched:
            return vs.map(lambda v: Case((x, v)))
        n = x.dim()
        dim = st.integers(-n, n - 1)
        return st.builds(lambda v, i, o: Case((x, v), {"in_dims": i, "out_dims": o}), vs, dim, dim)

    return xs.flatmap(with_tangent)


#: The tensor layouts beyond strided, by family (``realize.strategies``' strategies); the two
#: nested layouts apart, since torch.compile takes jagged ones and refuses strided ones.
LAYOUT_FAMILIES = ("sparse", "quantized", "nested_jagged", "nested_strided")


def family_device_types(family: str) -> tuple[str, ...]:
    """The device types where tensors of ``family`` exist."""
    return FAMILY_DEVICE_TYPES[family.split("_")[0]]


def layout_inputs(family: str, device: str) -> SearchStrategy[Case]:
    """``Case((x,))`` with ``x`` a sparse (COO, CSR, CSC, BSR, BSC), quantized (per tensor,
    per channel) or nested (jagged, or strided) tensor on ``device``, any dtype the layout
    supports there, requiring grad sometimes (where the dtype can)."""
    if torch.device(device).type not in family_device_types(family):
        raise ValueError(f"{family} tensors do not exist on {device}")
    strategy: SearchStrategy[Tensor]
    if family == "sparse":
        strategy = sparse_tensors(device=device, requires_grad=None)
    elif family == "quantized":
        strategy = quantized_tensors(device=device)
    else:
        layout = torch.jagged if family == "nested_jagged" else torch.strided
        strategy = nested_tensors(layout, device=device, requires_grad=None)
    return strategy.map(lambda x: Case((x,)))
