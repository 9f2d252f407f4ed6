"""``quantized_tensors()``: per-tensor and per-channel affine quantized tensors, exactly.

A quantized tensor is its integer representation plus a quantizer: one scale and
zero point (per tensor), or one per slice along an axis (per channel). The
integers come from ``tensors()`` (every value of the integer dtype, extremes
included), the scales are positive finite float64 values, the zero points lie in
the dtype's range (0 for ``qint32``, whose kernels require it).

Built from the exact representation with ``torch._make_per_tensor_quantized_tensor``
and ``torch._make_per_channel_quantized_tensor`` (private, fenced here): the public
``torch.quantize_per_tensor`` rounds floats, so it cannot give every integer of
``qint32``. Public replacement: a constructor of a quantized tensor from its
integers. Version guard: without those names, quantized tensors cannot be drawn
and ``quantized_tensors()`` says so (``InvalidArgument``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import torch
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from realize._hypothesis_internals import draw_boolean, draw_choice, draw_float, draw_integer
from realize.strategies._layout_support import resolve_device, resolve_dtype
from realize.strategies._resolving import ResolvingStrategy
from realize.strategies._shapes import shapes
from realize.strategies._tensors import tensors

__all__ = ["QuantizedStrategy", "make_per_channel", "make_per_tensor", "quantized_tensors"]

_make_per_tensor = getattr(torch, "_make_per_tensor_quantized_tensor", None)
_make_per_channel = getattr(torch, "_make_per_channel_quantized_tensor", None)
AVAILABLE = _make_per_tensor is not None and _make_per_channel is not None

#: quantized dtype -> the integer dtype of its representation
INT_OF = {torch.qint8: torch.int8, torch.quint8: torch.uint8, torch.qint32: torch.int32}
SCHEMES = (torch.per_tensor_affine, torch.per_channel_affine)


def make_per_tensor(ints: torch.Tensor, scale: float, zero_point: int) -> torch.Tensor:
    """The per-tensor quantized tensor whose representation is exactly ``ints``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "quantized tensor creation functions are deprecated"
        return _make_per_tensor(ints, scale, zero_point)  # type: ignore[misc, no-any-return]


def make_per_channel(
    ints: torch.Tensor, scales: torch.Tensor, zero_points: torch.Tensor, axis: int
) -> torch.Tensor:
    """The per-channel quantized tensor whose representation is exactly ``ints``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _make_per_channel(ints, scales, zero_points, axis)  # type: ignore[misc, no-any-return]


#: Scales: powers of two (exact) and ordinary values, or any in [1e-8, 1e4].
NICE_SCALES = (1.0, 0.5, 0.1, 0.05, 2.0, 1e-3)


def _scale(data: Any) -> float:
    """One scale, with primitive choices (a per-channel tensor draws one per channel)."""
    if draw_boolean(data, 0.75):
        return draw_choice(data, NICE_SCALES)
    return draw_float(data, 1e-8, 1e4, allow_nan=False, smallest_nonzero_magnitude=1e-8)


@dataclass(frozen=True)
class _Args:
    dtype: torch.dtype | None
    shape: tuple[int, ...] | None
    schemes: tuple[torch.qscheme, ...]
    axis: int | None
    devices: tuple[torch.device, ...]


class QuantizedStrategy(ResolvingStrategy[torch.Tensor, _Args]):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__("quantized_tensors", kwargs=kwargs)

    def resolve(self) -> _Args:
        if not AVAILABLE:
            raise InvalidArgument(
                "this torch has no torch._make_per_tensor_quantized_tensor: quantized tensors "
                "cannot be built from their integers here"
            )
        k = self.call_kwargs
        found = resolve_device("quantized", k["device"])
        devices = found if isinstance(found, tuple) else (found,)
        for device in devices:
            resolve_dtype("quantized", None, k["dtype"], device)
        scheme = k["scheme"]
        schemes: tuple[torch.qscheme, ...]
        if scheme is None:
            schemes = SCHEMES
        elif scheme in SCHEMES:
            schemes = (scheme,)
        else:
            raise InvalidArgument(
                f"scheme={scheme!r} is not torch.per_tensor_affine or torch.per_channel_affine"
            )
        shape = k["shape"]
        if shape is not None:
            shape = (shape,) if isinstance(shape, int) else shape
            if not isinstance(shape, tuple) or not all(
                isinstance(s, int) and s >= 0 for s in shape
            ):
                raise InvalidArgument(f"shape={shape!r} must be a tuple of ints >= 0")
        axis = k["axis"]
        if axis is not None:
            if not isinstance(axis, int) or isinstance(axis, bool):
                raise InvalidArgument(f"Expected int but got axis={axis!r}")
            if schemes == (torch.per_tensor_affine,):
                raise InvalidArgument("axis= applies to scheme=torch.per_channel_affine only")
            if shape is not None and not 0 <= axis < len(shape):
                raise InvalidArgument(f"axis={axis} is not a dimension of shape={shape}")
        if shape == () and schemes == (torch.per_channel_affine,):
            raise InvalidArgument("a per-channel quantized tensor needs at least one dimension")
        return _Args(k["dtype"], shape, schemes, axis, devices)

    def do_draw(self, data: Any) -> torch.Tensor:
        a = self.resolved()
        device = draw_choice(data, a.devices)
        dtype = draw_choice(data, resolve_dtype("quantized", None, a.dtype, device))
        shape = a.shape
        if shape is None:
            shape = data.draw(shapes(max_dims=3, max_side=5, max_numel=64), label="shape")
        schemes = a.schemes if shape != () else (torch.per_tensor_affine,)
        scheme = draw_choice(data, schemes)
        int_dtype = INT_OF[dtype]
        ints = data.draw(tensors(int_dtype, shape, device=device, contiguous=True), label="ints")
        info = torch.iinfo(int_dtype)
        if scheme == torch.per_tensor_affine:
            scale = _scale(data)
            zero_point = draw_integer(data, info.min, info.max, 0)
            if dtype == torch.qint32:  # drawn all the same: every dtype makes the same choices
                zero_point = 0
            return make_per_tensor(ints, scale, zero_point)
        axis = a.axis if a.axis is not None else draw_integer(data, 0, len(shape) - 1)
        channels = shape[axis]
        scales = torch.tensor([_scale(data) for _ in range(channels)], dtype=torch.float64)
        if dtype == torch.qint32:
            zero_points = [0] * channels
        else:
            zero_points = [draw_integer(data, info.min, info.max, 0) for _ in range(channels)]
        if not draw_boolean(data, 0.9):  # sometimes every channel shares one zero point
            zero_points = [zero_points[0]] * channels if channels else []
        return make_per_channel(
            ints, scales.to(device), torch.tensor(zero_points, dtype=torch.int64).to(device), axis
        )


def quantized_tensors(
    dtype: torch.dtype | None = None,
    shape: int | tuple[int, ...] | None = None,
    *,
    scheme: torch.qscheme | None = None,
    axis: int | None = None,
    device: torch.device | str | None = None,
) -> SearchStrategy[torch.Tensor]:
    """Return a strategy for affine quantized tensors (``qint8``, ``quint8``, ``qint32``).

    * ``dtype``: one of those, or ``None`` for any this torch supports.
    * ``shape``: a tuple, or ``None`` for ``shapes(max_dims=3, max_side=5, max_numel=64)``.
    * ``scheme``: ``torch.per_tensor_affine``, ``torch.per_channel_affine``, or ``None``
      for both (0-d tensors are per tensor).
    * ``axis``: the per-channel axis, or ``None`` to draw it.
    * ``device``: where quantized tensors exist (cpu), or ``None``.

    The integer representation takes every value of the dtype (extremes included);
    scales are positive finite float64, zero points anywhere in the dtype's range
    (0 for ``qint32``). Examples shrink towards cpu, ``qint8``, per tensor, small
    shapes, zeros, scale 1 and zero point 0.

    .. code-block:: pycon

        >>> q = quantized_tensors(torch.quint8, (2, 3), scheme=torch.per_channel_affine)
        >>> q.example().q_per_channel_axis()
        1
    """
    return QuantizedStrategy(dtype=dtype, shape=shape, scheme=scheme, axis=axis, device=device)
