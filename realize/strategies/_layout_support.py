"""Where each tensor layout exists: its devices and dtypes, probed once from the installed torch.

Sparse, quantized and nested tensors exist on fewer devices and for fewer dtypes than
dense ones, and which depends on the torch build. Nothing here is a list of
versions: each (layout, device, dtype) is probed by building the smallest tensor of
that kind and cloning it, the first time it is asked about.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable

import torch
from hypothesis.errors import InvalidArgument

from realize.strategies._devices import available_devices, check_device
from realize.strategies._dtypes import supported_dtypes

__all__ = [
    "FAMILY_DEVICE_TYPES",
    "SPARSE_LAYOUTS",
    "layout_devices",
    "layout_dtypes",
    "resolve_device",
    "resolve_dtype",
]

SPARSE_LAYOUTS = (
    torch.sparse_coo,
    torch.sparse_csr,
    torch.sparse_csc,
    torch.sparse_bsr,
    torch.sparse_bsc,
)

#: family -> the device types it exists on (MPS and others lack these kernels).
FAMILY_DEVICE_TYPES = {"sparse": ("cpu", "cuda"), "quantized": ("cpu",), "nested": ("cpu", "cuda")}


def _probe(build: Callable[[], torch.Tensor]) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # beta/prototype/deprecation notices
            build().clone()
    except (RuntimeError, TypeError, NotImplementedError, ValueError):
        return False
    return True


def _nested_builds(
    layout: torch.layout | None, dtype: torch.dtype, device: str
) -> list[Callable[[], torch.Tensor]]:
    """A small nested tensor of each kind nested_tensors() draws: one, two or three
    components, 1-d to 3-d, an empty one, requiring grad where the dtype can. Each kind
    can take its own kernel path: on CUDA (torch 2.11) one nested strided
    float8_e8m0fnu builds and another fails in ``cat_cuda``."""

    def parts(*shapes: tuple[int, ...]) -> list[torch.Tensor]:
        return [torch.zeros(shape, dtype=dtype, device=device) for shape in shapes]

    grads = (False, True) if dtype.is_floating_point or dtype.is_complex else (False,)
    ragged = ((1, 2, 1), (2, 2, 1)) if layout == torch.jagged else ((1, 2, 1), (2, 1, 2))
    kinds = [((1,), (2,)), ((2, 3),), ((2, 3), (0, 3), (1, 3)), ragged]
    return [
        functools.partial(
            torch.nested.nested_tensor, parts(*shapes), layout=layout, requires_grad=grad
        )
        for shapes in kinds
        for grad in grads
    ]


def _smallest(family: str, layout: torch.layout | None, dtype: torch.dtype, device: str) -> bool:
    if family == "quantized":
        from realize.strategies._quantized import INT_OF, make_per_tensor

        ints = torch.zeros(2, dtype=INT_OF[dtype])
        return _probe(lambda: make_per_tensor(ints, 1.0, 0))
    if family == "nested":
        return all(_probe(build) for build in _nested_builds(layout, dtype, device))
    values = (
        torch.zeros(1, 1, 1, dtype=dtype, device=device)
        if layout
        in (
            torch.sparse_bsr,
            torch.sparse_bsc,
        )
        else torch.zeros(1, dtype=dtype, device=device)
    )
    one = torch.zeros(1, dtype=torch.int64, device=device)
    two = torch.tensor([0, 1], dtype=torch.int64, device=device)
    if layout == torch.sparse_coo:
        indices = torch.zeros(2, 1, dtype=torch.int64, device=device)
        return _probe(lambda: torch.sparse_coo_tensor(indices, values, (2, 2)))
    return _probe(lambda: torch.sparse_compressed_tensor(two, one, values, (1, 1), layout=layout))


@functools.cache
def layout_dtypes(family: str, layout: torch.layout | None, device: str) -> tuple[torch.dtype, ...]:
    """The dtypes a tensor of ``family``/``layout`` can have on ``device`` (float32 first)."""
    candidates: Iterable[torch.dtype]
    if family == "quantized":
        from realize.strategies._quantized import INT_OF

        candidates = INT_OF
    else:
        candidates = supported_dtypes(device)
    return tuple(d for d in candidates if _smallest(family, layout, d, device))


def layout_devices(family: str) -> tuple[torch.device, ...]:
    """The default devices (``REALIZE_DEVICES`` honoured) where ``family`` exists."""
    types = FAMILY_DEVICE_TYPES[family]
    return tuple(d for d in available_devices() if d.type in types)


def resolve_device(family: str, device: object) -> torch.device | tuple[torch.device, ...]:
    """A fixed device (checked: present, and the family exists there), or the defaults."""
    if device is None:
        found = layout_devices(family)
        if not found:
            raise InvalidArgument(f"no device present holds {family} tensors")
        return found
    kind = torch.device(device).type if isinstance(device, (str, torch.device)) else None
    if kind is not None and kind not in FAMILY_DEVICE_TYPES[family]:
        raise InvalidArgument(
            f"device={device!r}: {family} tensors exist on "
            f"{', '.join(FAMILY_DEVICE_TYPES[family])} devices only"
        )
    dev = check_device(device, allow_meta=False)
    if dev.type not in FAMILY_DEVICE_TYPES[family]:
        raise InvalidArgument(
            f"device={device!r}: {family} tensors exist on "
            f"{', '.join(FAMILY_DEVICE_TYPES[family])} devices only"
        )
    return dev


def resolve_dtype(
    family: str, layout: torch.layout | None, dtype: object, device: torch.device
) -> tuple[torch.dtype, ...]:
    """The dtypes to draw from: ``dtype`` if this layout and device support it, else all."""
    supported = layout_dtypes(family, layout, str(device))
    if dtype is None:
        return supported
    if not isinstance(dtype, torch.dtype):
        raise InvalidArgument(
            f"Expected a torch.dtype but got dtype={dtype!r} (type={type(dtype).__name__})"
        )
    if dtype not in supported:
        what = f"{family} {layout}" if layout is not None else family
        raise InvalidArgument(
            f"dtype={dtype} is not supported by {what} tensors on {device}; supported: "
            f"{', '.join(str(d).removeprefix('torch.') for d in supported)}"
        )
    return (dtype,)
