"""``nested_tensors()``: nested tensors, jagged and strided, with empty components too.

A nested tensor is a list of components. Jagged (``torch.jagged``) ones share every
dimension but the ragged one (dimension 1 of the nested tensor, the components'
first), whose lengths vary, 0 included; their values are one buffer and their
structure an ``offsets`` tensor. Strided (``torch.strided``) ones allow any sizes
per component, as long as every component has the same number of dimensions.
The components' values come from ``tensors()`` (the same element strategies and
special values as dense tensors).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from realize._hypothesis_internals import draw_boolean, draw_choice, draw_integer
from realize.strategies._layout_support import resolve_device, resolve_dtype
from realize.strategies._resolving import ResolvingStrategy
from realize.strategies._tensors import tensors
from realize.strategies._validation import check_bool, check_int

__all__ = ["NestedStrategy", "nested_tensors"]

NESTED_LAYOUTS = (torch.jagged, torch.strided)
MAX_COMPONENTS, MAX_LENGTH, MAX_SIDE = 4, 5, 3


@dataclass(frozen=True)
class _Args:
    layouts: tuple[torch.layout, ...]
    dtype: torch.dtype | None
    devices: tuple[torch.device, ...]
    components: int | None
    elements: Any
    requires_grad: bool | None


class NestedStrategy(ResolvingStrategy[torch.Tensor, _Args]):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__("nested_tensors", kwargs=kwargs, defaults={"requires_grad": False})

    def resolve(self) -> _Args:
        k = self.call_kwargs
        layout = k["layout"]
        layouts: tuple[torch.layout, ...]
        if layout is None:
            layouts = NESTED_LAYOUTS
        elif layout in NESTED_LAYOUTS:
            layouts = (layout,)
        else:
            raise InvalidArgument(f"layout={layout!r} is not torch.jagged or torch.strided")
        found = resolve_device("nested", k["device"])
        devices = found if isinstance(found, tuple) else (found,)
        for device in devices:
            for lay in layouts:
                resolve_dtype("nested", lay, k["dtype"], device)
        components = k["components"]
        if components is not None:
            check_int(components, "components", minimum=1)
        if k["requires_grad"] is not None:
            check_bool(k["requires_grad"], "requires_grad")
        return _Args(layouts, k["dtype"], devices, components, k["elements"], k["requires_grad"])

    def do_draw(self, data: Any) -> torch.Tensor:
        a = self.resolved()
        device = draw_choice(data, a.devices)
        layout = draw_choice(data, a.layouts)
        dtype = draw_choice(data, resolve_dtype("nested", layout, a.dtype, device))
        n = a.components if a.components is not None else draw_integer(data, 1, MAX_COMPONENTS, 1)
        if layout == torch.jagged:
            common = tuple(
                draw_integer(data, 1, MAX_SIDE, 1) for _ in range(draw_integer(data, 0, 2))
            )
            shapes = [(draw_integer(data, 0, MAX_LENGTH), *common) for _ in range(n)]
        else:
            ndim = draw_integer(data, 1, 3, 1)
            shapes = [
                tuple(draw_integer(data, 0, MAX_SIDE, 1) for _ in range(ndim)) for _ in range(n)
            ]
        # One draw for every component's values (a buffer, split): as fast as one tensor
        sizes = [math.prod(shape) for shape in shapes]
        flat = data.draw(
            tensors(dtype, (sum(sizes),), device=device, elements=a.elements, contiguous=True),
            label="values",
        )
        grad = a.requires_grad if a.requires_grad is not None else draw_boolean(data, 0.25)
        grad = bool(grad) and (dtype.is_floating_point or dtype.is_complex)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "nested tensors are in prototype stage"
            if layout == torch.jagged:
                lengths = torch.tensor([shape[0] for shape in shapes], dtype=torch.int64)
                offsets = torch.cat([lengths.new_zeros(1), lengths.cumsum(0)]).to(device)
                values = flat.view(-1, *shapes[0][1:])
                nested = torch.nested.nested_tensor_from_jagged(values, offsets)
                return nested.requires_grad_() if grad else nested
            parts = [p.view(shape) for p, shape in zip(flat.split(sizes), shapes, strict=True)]
            return torch.nested.nested_tensor(parts, layout=layout, requires_grad=grad)


def nested_tensors(
    layout: torch.layout | None = None,
    dtype: torch.dtype | None = None,
    *,
    components: int | None = None,
    device: torch.device | str | None = None,
    elements: SearchStrategy[Any] | Mapping[str, Any] | None = None,
    requires_grad: bool | None = False,
) -> SearchStrategy[torch.Tensor]:
    """Return a strategy for nested tensors.

    * ``layout``: ``torch.jagged`` (ragged along dimension 1, components of any
      length, 0 included, and up to 2 common trailing dimensions), ``torch.strided``
      (components of 1 to 3 dimensions, each of its own sizes, 0 included), or
      ``None`` for both.
    * ``dtype``: a dtype nested tensors support on the device, or ``None``.
    * ``components``: how many (>= 1), or ``None`` for 1 to 4.
    * ``device``: where nested tensors exist (cpu, cuda), or ``None`` for any present.
    * ``elements``: as for ``tensors()``; the components' values are drawn by it.
    * ``requires_grad``: ``True``, ``False`` or ``None`` (drawn; floats only).

    Examples shrink towards cpu, jagged, float32, one empty component.

    .. code-block:: pycon

        >>> nested_tensors(torch.jagged, torch.float32, components=3).example().offsets().shape
        torch.Size([4])
    """
    return NestedStrategy(
        layout=layout,
        dtype=dtype,
        components=components,
        device=device,
        elements=elements,
        requires_grad=requires_grad,
    )
