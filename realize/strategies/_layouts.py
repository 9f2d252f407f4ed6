"""Memory layouts: how a tensor's elements sit in its storage (sizes, strides, offset, bits).

``Layout`` names the kinds of strided tensor that ops meet in practice. Once
the dtype and shape are drawn, a draw picks one of the kinds that fit them
(shrinking towards ``CONTIGUOUS``, the first; kinds that fit few shapes or dtypes
weigh more), then the kind's details (the permutation, the steps, the offset,
...), and finally builds the tensor from a flat tensor of drawn values.

Memory that the view does not cover (the gaps of a step slice, the padding
around a storage offset, the real parts under a negative view) holds
``sentinel(dtype)``, so an op that reads out of bounds produces values a test
notices.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import torch
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy, sampled_from

from realize._hypothesis_internals import draw_boolean, draw_integer
from realize.strategies._bit_patterns import BitPatterns
from realize.strategies._codecs import codec_for, sentinel
from realize.strategies._dtypes import check_dtype
from realize.strategies._resolving import ResolvingStrategy
from realize.strategies._validation import check_int

__all__ = ["Layout", "LayoutPlan", "draw_plan", "layouts", "normalize_layouts"]


class Layout(str, enum.Enum):
    """The kinds of memory layout ``tensors()`` draws (not ``torch.layout``)."""

    #: ``torch.empty(shape)``'s layout.
    CONTIGUOUS = "contiguous"
    #: Contiguous values after a storage offset, with padding before and after.
    OFFSET = "offset"
    #: A step slice ``base[::s0, ::s1, ...]``: gaps between elements.
    SLICED = "sliced"
    #: Dense but with dimensions permuted (e.g. a transpose).
    PERMUTED = "permuted"
    #: Some dimensions broadcast with stride 0 (``expand``).
    EXPANDED = "expanded"
    #: ``torch.channels_last`` (4-d).
    CHANNELS_LAST = "channels_last"
    #: ``torch.channels_last_3d`` (5-d).
    CHANNELS_LAST_3D = "channels_last_3d"
    #: ``as_strided`` with a stride smaller than the block it steps over: elements alias.
    OVERLAPPING = "overlapping"
    #: A complex tensor with the conjugate bit set (``x.conj()``).
    CONJ = "conj"
    #: A real tensor with the negative bit set (``z.conj().imag``); gaps between elements.
    NEG = "neg"

    def __repr__(self) -> str:
        return f"Layout.{self.name}"


# Number of dimensions a kind needs at all (checked against shapes from the user).
_NDIM: dict[Layout, tuple[int, int]] = {
    Layout.SLICED: (1, 64),
    Layout.PERMUTED: (2, 64),
    Layout.EXPANDED: (1, 64),
    Layout.CHANNELS_LAST: (4, 4),
    Layout.CHANNELS_LAST_3D: (5, 5),
    Layout.OVERLAPPING: (2, 64),
}
# Smallest side for shapes drawn *for* a kind, so that its effect is visible
# (a transpose of size-1 dimensions is still contiguous).
_SIDE: dict[Layout, int] = {
    Layout.PERMUTED: 2,
    Layout.EXPANDED: 2,
    Layout.CHANNELS_LAST: 2,
    Layout.CHANNELS_LAST_3D: 2,
    Layout.OVERLAPPING: 2,
}
# Kinds that fit few shapes or dtypes are drawn this many times more often when
# they fit, so that each has a healthy share of default draws (about 5%).
_WEIGHT: dict[Layout, int] = {
    Layout.CHANNELS_LAST: 12,
    Layout.CHANNELS_LAST_3D: 12,
    Layout.CONJ: 4,
    Layout.NEG: 4,
}
# The complex dtype whose ``.conj().imag`` is a negative view of a real dtype.
_COMPLEX_OF = {
    torch.float16: torch.complex32,
    torch.float32: torch.complex64,
    torch.float64: torch.complex128,
}


def ndim_range(kind: Layout) -> tuple[int, int]:
    return _NDIM.get(kind, (0, 64))


def min_side(kind: Layout) -> int:
    return _SIDE.get(kind, 0)


def weight(kind: Layout) -> int:
    return _WEIGHT.get(kind, 1)


def supports_dtype(
    kind: Layout, dtype: torch.dtype, device_dtypes: Iterable[torch.dtype] | None = None
) -> bool:
    """Whether ``kind`` applies to ``dtype`` on a device holding ``device_dtypes``
    (``None``: on some device)."""
    if kind is Layout.CONJ:
        return dtype.is_complex
    if kind is Layout.NEG:
        complex_dtype = _COMPLEX_OF.get(dtype)
        return complex_dtype is not None and (
            device_dtypes is None or complex_dtype in tuple(device_dtypes)
        )
    return True


def supports_ndim(kind: Layout, ndim: int) -> bool:
    lo, hi = ndim_range(kind)
    return lo <= ndim <= hi


def normalize_layouts(layout: object, contiguous: object) -> tuple[Layout, ...]:
    """``layout=`` (a Layout, its name, or an iterable of them) and ``contiguous=``."""
    if not isinstance(contiguous, bool):
        raise InvalidArgument(
            f"Expected bool but got contiguous={contiguous!r} (type={type(contiguous).__name__})"
        )
    if layout is None:
        kinds = tuple(Layout)
    else:
        items = [layout] if isinstance(layout, (str, Layout)) else layout
        try:
            items = list(items)  # type: ignore[call-overload]
        except TypeError:
            raise InvalidArgument(
                f"Expected a Layout or an iterable of Layouts but got layout={layout!r}"
            ) from None
        kinds_list = []
        for item in items:
            try:
                kinds_list.append(Layout(item))
            except ValueError:
                raise InvalidArgument(
                    f"layout={layout!r} contains {item!r}, which is not one of "
                    f"{', '.join(k.value for k in Layout)}"
                ) from None
        kinds = tuple(dict.fromkeys(kinds_list))
        if not kinds:
            raise InvalidArgument(f"layout={layout!r} is empty")
    if contiguous:
        if Layout.CONTIGUOUS not in kinds:
            raise InvalidArgument(
                f"contiguous=True contradicts layout={layout!r}; pass one or the other"
            )
        kinds = (Layout.CONTIGUOUS,)
    return kinds


class LayoutPlan(NamedTuple):
    """A drawn layout: how many values to draw, and how to lay them out."""

    kind: Layout
    #: How many values to draw: the logical numel, or the storage size of views
    #: whose elements alias (expanded, overlapping).
    numel: int
    make: Callable[[torch.Tensor], torch.Tensor]


def _numel(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


def _write(codec: BitPatterns, dst: torch.Tensor, src: torch.Tensor) -> None:
    """Copy bit patterns (an integer view: no float op may touch a NaN payload)."""
    if codec.words == 1:
        dst.view(codec.word).copy_(src.view(codec.word))
    else:
        dst.copy_(src)


def _flip_sign(codec: BitPatterns, t: torch.Tensor) -> None:
    """Negate floats in place by flipping the sign bit (exact, NaN payloads kept)."""
    if t.device.type != "meta":  # no values there (and its xor kernel imports for seconds)
        t.view(codec.word).bitwise_xor_(-(1 << (codec.word_bits - 1)))


def draw_plan(data: Any, kind: Layout, shape: tuple[int, ...], dtype: torch.dtype) -> LayoutPlan:
    """Draw the details of ``kind`` for ``shape`` (each detail shrinks to the simplest)."""
    n = _numel(shape)
    ndim = len(shape)
    codec = codec_for(dtype)

    if kind is Layout.OFFSET:
        offset = draw_integer(data, 1, 8, 1)
        pad = draw_integer(data, 0, 4)

        def make_offset(v: torch.Tensor) -> torch.Tensor:
            storage = codec.full(offset + n + pad, sentinel(dtype), v.device)
            window = storage[offset : offset + n]
            _write(codec, window, v)
            return window.view(shape)

        return LayoutPlan(kind, n, make_offset)

    if kind is Layout.SLICED:
        steps = [draw_integer(data, 1, 3, 1) for _ in shape]
        if all(s == 1 for s in steps):
            big = [i for i, side in enumerate(shape) if side > 1]
            steps[big[-1] if big else -1] = 2
        base = tuple(side * step for side, step in zip(shape, steps, strict=True))

        def make_sliced(v: torch.Tensor) -> torch.Tensor:
            storage = codec.full(_numel(base), sentinel(dtype), v.device).view(base)
            view = storage[tuple(slice(None, None, s) for s in steps)]
            _write(codec, view, v.view(shape))
            return view

        return LayoutPlan(kind, n, make_sliced)

    if kind in (Layout.PERMUTED, Layout.CHANNELS_LAST, Layout.CHANNELS_LAST_3D):
        if kind is Layout.PERMUTED:
            remaining = list(range(ndim))
            perm = [remaining.pop(draw_integer(data, 0, len(remaining) - 1)) for _ in range(ndim)]
            if perm == sorted(perm) and ndim >= 2:
                perm[-2], perm[-1] = perm[-1], perm[-2]
        else:  # storage order N, (D,) H, W, C
            perm = [0, *range(2, ndim), 1]
        stored = tuple(shape[p] for p in perm)
        inverse = [perm.index(i) for i in range(ndim)]
        return LayoutPlan(kind, n, lambda v: v.view(stored).permute(inverse))

    if kind is Layout.EXPANDED:
        candidates = [i for i, side in enumerate(shape) if side != 1]
        chosen = [i for i in candidates if draw_boolean(data, 0.5)]
        if not chosen and candidates:
            chosen = [candidates[-1]]
        base = tuple(1 if i in chosen else side for i, side in enumerate(shape))
        return LayoutPlan(kind, _numel(base), lambda v: v.view(base).expand(shape))

    if kind is Layout.OVERLAPPING:
        # Dense strides built from the innermost dimension out, except at one
        # dimension d whose stride is smaller than the block it steps over.
        extents = [1] * (ndim + 1)
        for i in range(ndim - 1, -1, -1):
            extents[i] = extents[i + 1] * max(shape[i], 1)
        candidates = [i for i in range(ndim - 1) if shape[i] >= 2 and extents[i + 1] >= 2]
        strides = [0] * ndim
        if candidates and n:
            d = candidates[draw_integer(data, 0, len(candidates) - 1)]
            step = draw_integer(data, 1, extents[d + 1] - 1, 1)
        else:
            d, step = -1, 0
        extent = 1
        for i in range(ndim - 1, -1, -1):
            strides[i] = step if i == d else extent
            extent += (max(shape[i], 1) - 1) * strides[i]
        count = extent if n else 0

        return LayoutPlan(kind, count, lambda v: v.as_strided(shape, strides))

    if kind is Layout.CONJ:

        def make_conj(v: torch.Tensor) -> torch.Tensor:
            # Store the conjugate, so that the conj view shows the drawn values.
            part = codec_for(dtype.to_real())
            _flip_sign(part, v.view(part.dtype)[1::2])
            return v.view(shape).conj()

        return LayoutPlan(kind, n, make_conj)

    if kind is Layout.NEG:
        complex_dtype = _COMPLEX_OF[dtype]

        def make_neg(v: torch.Tensor) -> torch.Tensor:
            storage = codec.full(2 * n, sentinel(dtype), v.device)
            _write(codec, storage[1::2], v)
            _flip_sign(codec, storage[1::2])  # the neg view shows the drawn values
            return storage.view(complex_dtype).view(shape).conj().imag

        return LayoutPlan(kind, n, make_neg)

    return LayoutPlan(Layout.CONTIGUOUS, n, lambda v: v.view(shape))


def layouts(
    *, dtype: torch.dtype | str | None = None, ndim: int | None = None
) -> SearchStrategy[Layout]:
    """Return a strategy for the ``Layout`` kinds possible for a dtype and rank.

    * ``dtype`` (a torch dtype or its name, ``"float32"``) keeps ``CONJ`` only for
      complex dtypes and ``NEG`` only for float16/32/64; ``None`` keeps both.
    * ``ndim`` keeps only kinds possible with that many dimensions
      (``CHANNELS_LAST`` needs 4, ``PERMUTED`` at least 2, ...).

    Arguments are validated lazily (``InvalidArgument`` at the first draw or
    ``.validate()``). ``tensors(layout=...)`` takes the drawn kind:
    ``layouts(ndim=2).flatmap(lambda k: tensors(shape=(3, 4), layout=k))``. Examples
    shrink towards ``Layout.CONTIGUOUS``.

    .. code-block:: pycon

        >>> layouts(ndim=4).example()
        Layout.CHANNELS_LAST
    """
    return _LayoutsStrategy(dtype, ndim)


class _LayoutsStrategy(ResolvingStrategy[Layout, SearchStrategy[Layout]]):
    def __init__(self, dtype: object, ndim: object) -> None:
        super().__init__("layouts", kwargs={"dtype": dtype, "ndim": ndim})

    def resolve(self) -> SearchStrategy[Layout]:
        dtype, ndim = self.call_kwargs["dtype"], self.call_kwargs["ndim"]
        if dtype is not None:
            dtype = check_dtype(dtype)
        if ndim is not None:
            check_int(ndim, "ndim", minimum=0)
        kinds = [
            k
            for k in Layout
            if (ndim is None or supports_ndim(k, ndim))
            and (dtype is None or supports_dtype(k, dtype))
        ]
        return sampled_from(kinds)

    def do_draw(self, data: Any) -> Layout:
        return data.draw(self.resolved())
