"""``tensors()``: device, dtype, shape, layout, values, ``requires_grad``, in that order.

One ``SearchStrategy`` draws everything with primitive choices (no ``flatmap``,
``map`` or ``filter`` in the hot path), and pays for flexibility only when it is
used: a fixed dtype, shape or device costs no choice at all. Values are drawn the
way ``hypothesis.extra.numpy.arrays`` does it, as one fill value plus a few
elements at drawn positions, and assembled with a handful of torch calls, so a
tensor of a million elements costs about as much to draw as one of a hundred.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import torch
from hypothesis.strategies import SearchStrategy

from realize._hypothesis_internals import draw_bytes, draw_choice, draw_integer
from realize.strategies import _dtypes
from realize.strategies._layouts import Layout, draw_plan
from realize.strategies._resolving import ResolvingStrategy
from realize.strategies._shapes import Shape, check_shape, draw_shape
from realize.strategies._tensor_args import TensorArgs

__all__ = ["TensorStrategy", "tensors"]

#: At most this many elements get their own draw; the rest share the fill value.
MAX_DRAWN_ELEMENTS = 128
#: At most this many elements get a special value (besides the fill value).
SPECIAL_SLOTS = 3
#: Of the elements drawn individually, this many get regular ("nice") values.
NICE_VALUES = 3


def _elements_count_bound(n: int) -> int:
    """Upper bound of the (uniform) number of elements that get a value of their own.

    Up to every element of a tensor of at most 8; up to ``isqrt(n)`` (at most
    ``MAX_DRAWN_ELEMENTS``) of larger ones, so about ``sqrt(n) / 2`` on average
    over the shared fill value.
    """
    if n <= 8:
        return n
    return min(n, MAX_DRAWN_ELEMENTS, max(8, math.isqrt(n)))


class TensorStrategy(ResolvingStrategy[torch.Tensor, TensorArgs]):
    def __init__(self, **args: Any) -> None:
        defaults = {"contiguous": False, "requires_grad": False}
        super().__init__("tensors", kwargs=args, defaults=defaults)

    def resolve(self) -> TensorArgs:
        return TensorArgs(self.call_kwargs)

    # -- the draw ------------------------------------------------------------------
    def do_draw(self, data: Any) -> torch.Tensor:
        r = self.resolved()
        device = r.device
        if device is None:
            assert r.device_strategy is not None
            device = r.check_drawn_device(data.draw(r.device_strategy))
        dtype = r.dtype
        if r.dtype_strategy is not None:
            dtype = r.check_drawn_dtype(data.draw(r.dtype_strategy), device)
        elif dtype is None:
            dtype = draw_choice(data, r.dtypes_for(device))
        shape = r.shape
        if r.shape_strategy is not None:
            shape = check_shape(data.draw(r.shape_strategy), "drawn shape")
        elif shape is None:
            assert r.shape_spec is not None
            shape = draw_shape(data, r.shape_spec)
        # The layout comes after the shape, so that shrinking it to CONTIGUOUS
        # leaves the shape (and the dtype) alone.
        kind = draw_choice(data, r.view_layouts_for(device, dtype, len(shape)))

        plan = draw_plan(data, kind, shape, dtype)
        values = self._draw_values(data, r, plan.numel, dtype, device)
        with torch.no_grad():
            tensor = plan.make(values)
        requires_grad = r.requires_grad
        if r.requires_grad_strategy is not None:
            requires_grad = bool(data.draw(r.requires_grad_strategy))
        if requires_grad and _dtypes.can_require_grad(dtype):
            tensor.requires_grad_(True)
        return tensor

    def _draw_values(
        self, data: Any, r: TensorArgs, n: int, dtype: torch.dtype, device: torch.device
    ) -> torch.Tensor:
        """A fresh contiguous 1-D tensor of ``n`` drawn values on ``device``.

        Choices are what an example costs, so a tensor takes about ten of them:

        * the fill value (a regular or a special value);
        * one integer: how many elements get a value of their own (at most
          ``_elements_count_bound(n)``) and how many of those a special value
          (NaN, inf, extremes, ...; at most ``SPECIAL_SLOTS``);
        * one ``draw_bytes``: the positions of those elements and, when any bit
          pattern is a permitted value, uniformly random values for all but
          ``NICE_VALUES`` of them;
        * one choice per remaining value (regular ones shrink to simple numbers).
        """
        if n == 0 or device.type == "meta":
            return torch.empty(n, dtype=dtype, device=device)
        sampler, fill_sampler = r.samplers(dtype)
        codec = sampler.codec
        if r.dense:
            return codec.build(n, 0, {i: sampler.draw(data) for i in range(n)}, device)
        fill = fill_sampler.draw(data)
        bound = _elements_count_bound(n)
        slots = SPECIAL_SLOTS + 1 if sampler.special is not None else 1
        count, n_special = divmod(draw_integer(data, 0, (bound + 1) * slots - 1), slots)
        total = count + n_special
        if not total:
            return codec.build(n, fill, {}, device)
        n_raw = 0 if sampler.raw is None else max(count - NICE_VALUES, 0)
        pos_size = 0 if n == 1 else ((n - 1).bit_length() + 7) // 8
        size = codec.nbytes
        raw = draw_bytes(data, total * pos_size + n_raw * size)
        positions = (
            [
                int.from_bytes(raw[i : i + pos_size], "little") % n
                for i in range(0, total * pos_size, pos_size)
            ]
            if pos_size
            else [0] * total
        )
        values = [
            sampler.raw(int.from_bytes(raw[i : i + size], "little"))  # type: ignore[misc]
            for i in range(total * pos_size, len(raw), size)
        ]
        values += [sampler.regular(data) for _ in range(count - n_raw)]
        values += [sampler.special(data) for _ in range(n_special)]  # type: ignore[misc]
        return codec.build(n, fill, dict(zip(positions, values, strict=True)), device)


def tensors(
    dtype: torch.dtype | SearchStrategy[torch.dtype] | None = None,
    shape: int | Shape | SearchStrategy[Shape] | None = None,
    *,
    device: torch.device | str | SearchStrategy[torch.device] | None = None,
    elements: SearchStrategy[Any] | Mapping[str, Any] | None = None,
    fill: SearchStrategy[Any] | None = None,
    contiguous: bool = False,
    layout: Layout | str | Iterable[Layout | str] | None = None,
    requires_grad: bool | SearchStrategy[bool] | None = False,
) -> SearchStrategy[torch.Tensor]:
    """Return a strategy for ``torch.Tensor`` values.

    * ``dtype``: a ``torch.dtype``, a strategy of them (e.g. ``dtypes(kinds="float")``)
      or ``None`` for any dtype the device supports.
    * ``shape``: an int, a tuple of ints >= 0, a strategy of them (e.g.
      ``shapes(min_dims=1)``) or ``None`` for ``shapes()``: 0 to 6 dimensions, at
      most 256 elements, sometimes 0-d or zero-size. For large tensors pass
      ``shapes(min_numel=40_000, max_numel=2**17)``, or ``sized_shapes()`` for
      mostly small shapes with one in ten from the size classes where kernels
      change path (``SIZE_CLASSES``: around and above the CPU parallel grain of
      32768 elements; ``"wave"``, 1e6 to 2e6, for GPUs). Large tensors cost
      about as much to draw as small ones (one fill value plus a few elements).
    * ``device``: a device, its name, a strategy of them, or ``None`` for any of
      ``devices()`` (cpu, every cuda device, mps, ...; restricted by the
      ``REALIZE_DEVICES`` environment variable). A device that is not present is
      an ``InvalidArgument``.
    * ``elements``: a strategy of Python scalars for the values (rounded to the
      dtype like ``torch.tensor`` does; out of range is an ``InvalidArgument``), or
      a mapping of ``from_dtype`` bounds such as ``{"min_value": 0,
      "allow_nan": False}``, or ``None`` for every value of the dtype.
    * ``fill``: a strategy for the value shared by the elements not drawn
      individually; defaults to the elements. ``st.nothing()`` draws every element
      (slow for large tensors).
    * ``contiguous=True`` draws only contiguous tensors (``layout=Layout.CONTIGUOUS``).
    * ``layout``: a ``Layout``, its name, or an iterable of them; ``None`` for all
      kinds that fit the dtype and shape (permuted, step-sliced with gaps, storage
      offset, expanded, channels_last(_3d), overlapping, conj and neg views).
    * ``requires_grad``: ``True``, ``False``, ``None`` (drawn) or a strategy of
      bools. ``True`` needs a floating or complex dtype; a drawn ``True`` applies
      only to those.

    Values: every element is one of the dtype's values, exactly (bit patterns
    for bfloat16, float8, complex32 and NaN payloads), and what a conj or neg
    view shows is what was drawn. NaN, +-inf, -0.0, subnormals, the dtype's
    extremes and integers beyond 2**53 appear often. Memory in gaps and padding
    holds ``sentinel(dtype)``. Nothing uses torch's global RNG: a replayed
    example is the identical tensor.

    Examples shrink towards cpu, float32, fewer and smaller dimensions, a
    contiguous layout, and zeros.

    .. code-block:: pycon

        >>> tensors(torch.float32, (2, 3), device="cpu").example()
        tensor([[ 0.0000e+00,  1.0000e+00, -inf], [nan, 1.1755e-38, 0.0000e+00]])
        >>> tensors(torch.int8, (2, 3), layout="sliced").example().stride()
        (6, 2)
    """
    return TensorStrategy(
        dtype=dtype,
        shape=shape,
        device=device,
        elements=elements,
        fill=fill,
        contiguous=contiguous,
        layout=layout,
        requires_grad=requires_grad,
    )
