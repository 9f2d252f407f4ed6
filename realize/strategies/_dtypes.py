"""Dtypes: discovered from the installed torch, sorted into kinds, probed per device.

Nothing here lists dtypes by hand: every ``torch.dtype`` attribute of the ``torch``
module is a candidate, its kind comes from its properties (``is_complex``,
``is_floating_point``, ``is_signed``, ``itemsize``) and it is kept for a device
only if that device can create, copy and compare a tensor of it. So a new torch
release that adds a dtype is picked up without a change here, and a device that
lacks one (MPS has no float64) never gets it.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable
from typing import Any

import torch
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from realize._hypothesis_internals import draw_choice
from realize.strategies import _devices
from realize.strategies._resolving import ResolvingStrategy
from realize.strategies._validation import check_members, check_type

__all__ = [
    "KINDS",
    "DtypeStrategy",
    "can_require_grad",
    "check_dtype",
    "dtype_from_name",
    "dtypes",
    "kind_of",
    "supported_dtypes",
]

#: The kinds ``dtypes(kinds=...)`` filters on, in the order draws shrink towards.
KINDS = ("float", "int", "bool", "uint", "complex", "float8")

# Preference order for shrinking (draws shrink towards the front) and for reading
# reports. Names, not objects, so a torch without one of them still imports.
# Dtypes discovered but not named here go after these, by kind then name.
_PREFERRED = (
    "float32",
    "float64",
    "float16",
    "bfloat16",
    "int64",
    "int32",
    "int16",
    "int8",
    "bool",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "complex64",
    "complex128",
    "complex32",
)


def _name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def kind_of(dtype: torch.dtype) -> str | None:
    """The kind of a value dtype, or ``None`` for bit, quantized and packed dtypes."""
    if dtype is torch.bool:
        return "bool"
    try:
        if dtype.is_complex:
            return "complex"
        if dtype.is_floating_point:
            return "float8" if dtype.itemsize == 1 else "float"
        return "int" if dtype.is_signed else "uint"
    except (RuntimeError, TypeError, NotImplementedError):  # bits*, qint*: no is_signed
        return None


def _sort_key(dtype: torch.dtype) -> tuple[int, int, str]:
    name = _name(dtype)
    if name in _PREFERRED:
        return (0, _PREFERRED.index(name), name)
    kind = kind_of(dtype)
    return (1, KINDS.index(kind) if kind else len(KINDS), name)


@functools.cache
def _candidates() -> tuple[torch.dtype, ...]:
    found = {v for v in vars(torch).values() if isinstance(v, torch.dtype)}
    return tuple(sorted((d for d in found if kind_of(d) is not None), key=_sort_key))


def _works_on(dtype: torch.dtype, device: torch.device) -> bool:
    """Can ``device`` fill, copy, compare and reinterpret a tensor of ``dtype``?

    Packed dtypes (``float4_e2m1fn_x2``) fail ``full``; bit dtypes fail ``eq``;
    sub-byte integers fail ``clone``: none of them holds element values.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "ComplexHalf support is experimental"
            t = torch.full((2,), 1, dtype=dtype, device=device)
            t.clone()
            if device.type != "meta":  # meta has no values; its eq imports for seconds
                torch.eq(t, t)
            t.view(torch.uint8)
            if dtype.is_floating_point:
                torch.finfo(dtype).max  # noqa: B018
        return True
    except (RuntimeError, TypeError, NotImplementedError, ValueError):
        return False


@functools.cache
def _supported(device: str) -> tuple[torch.dtype, ...]:
    dev = torch.device(device)
    # meta tensors have no values to compare: take the dtypes cpu can compare.
    candidates = _supported("cpu") if dev.type == "meta" else _candidates()
    return tuple(d for d in candidates if _works_on(d, dev))


def supported_dtypes(device: torch.device | str | None = None) -> tuple[torch.dtype, ...]:
    """Every value dtype ``device`` (default: cpu) can hold, in shrink order.

    The first call for a device probes it (creating tiny tensors there), so call
    this at draw time, not at import time.
    """
    return _supported(str(torch.device("cpu" if device is None else device)))


@functools.cache
def can_require_grad(dtype: torch.dtype) -> bool:
    """Whether a tensor of ``dtype`` may have ``requires_grad=True`` (float and complex)."""
    try:
        torch.empty(0, dtype=dtype).requires_grad_(True)
        return True
    except RuntimeError:
        return False


def dtype_from_name(dtype: object) -> object:
    """``"float32"`` / ``"torch.bfloat16"`` -> the torch dtype of that name; anything else
    (a dtype, a wrong type) unchanged, for ``check_type`` to report."""
    if isinstance(dtype, str):
        found = getattr(torch, dtype.strip().removeprefix("torch."), None)
        if isinstance(found, torch.dtype):
            return found
    return dtype


def check_dtype(dtype: object, name: str = "dtype") -> torch.dtype:
    """A value dtype, or its name as a string (``"float32"``), else ``InvalidArgument``
    naming ``name``."""
    dtype = dtype_from_name(dtype)
    if isinstance(dtype, str):
        raise InvalidArgument(
            f"{name}={dtype!r} is not the name of a torch dtype; use a torch.dtype or one of "
            f"{', '.join(repr(_name(d)) for d in supported_dtypes())}"
        )
    check_type(torch.dtype, dtype, name)
    assert isinstance(dtype, torch.dtype)
    # The CPU probe (value dtypes only), not the kind alone: the sub-byte ints and
    # float4_e2m1fn_x2 have a kind but no element torch can fill, copy or compare.
    if dtype not in supported_dtypes():
        raise InvalidArgument(
            f"{name}={dtype!r} is a bit, quantized, sub-byte or packed dtype, which has no "
            f"element values to draw. Use one of {', '.join(map(_name, supported_dtypes()))}."
        )
    return dtype


def normalize_kinds(kinds: str | Iterable[str] | None, name: str = "kinds") -> tuple[str, ...]:
    """``None`` -> every kind; a string -> that one kind; checked against ``KINDS``."""
    if kinds is None:
        return KINDS
    if isinstance(kinds, str):
        kinds = (kinds,)
    try:
        result = tuple(kinds)
    except TypeError:
        raise InvalidArgument(
            f"Expected a kind or an iterable of kinds but got {name}={kinds!r}"
        ) from None
    check_members(result, KINDS, name)
    if not result:
        raise InvalidArgument(f"{name}={kinds!r} is empty; pass at least one of {KINDS}")
    return result


class DtypeStrategy(ResolvingStrategy[torch.dtype, tuple[torch.dtype, ...]]):
    """Draws one of the dtypes of the given kinds that a device supports."""

    def __init__(
        self,
        kinds: str | Iterable[str] | None,
        device: torch.device | str | None,
        exclude: Iterable[torch.dtype],
        requires_grad: bool,
    ) -> None:
        super().__init__(
            "dtypes",
            kwargs={"kinds": kinds, "device": device, "exclude": exclude,
                    "requires_grad": requires_grad},
            defaults={"exclude": (), "requires_grad": False},
        )  # fmt: skip

    def resolve(self) -> tuple[torch.dtype, ...]:
        kinds, device, exclude, requires_grad = self.call_kwargs.values()
        wanted = normalize_kinds(kinds)
        dev = _devices.check_device(device, allow_meta=True) if device is not None else None
        try:
            excluded = tuple(exclude)
        except TypeError:
            raise InvalidArgument(
                f"Expected an iterable of dtypes but got exclude={exclude!r}"
            ) from None
        excluded = tuple(map(dtype_from_name, excluded))  # "float16" as well as torch.float16
        for i, d in enumerate(excluded):
            if isinstance(d, str):
                check_dtype(d, f"exclude[{i}]")  # not a dtype's name: say so
            check_type(torch.dtype, d, f"exclude[{i}]")
        requires_grad = bool(requires_grad)
        choices = tuple(
            d
            for d in supported_dtypes(dev)
            if kind_of(d) in wanted
            and d not in excluded
            and (not requires_grad or can_require_grad(d))
        )
        if not choices:
            raise InvalidArgument(
                f"No dtype satisfies kinds={kinds!r}, device={device!r}, "
                f"exclude={exclude!r}, requires_grad={requires_grad!r}"
            )
        return choices

    def do_draw(self, data: Any) -> torch.dtype:
        return draw_choice(data, self.resolved())


def dtypes(
    *,
    kinds: str | Iterable[str] | None = None,
    device: torch.device | str | None = None,
    exclude: Iterable[torch.dtype] = (),
    requires_grad: bool = False,
) -> SearchStrategy[torch.dtype]:
    """Return a strategy for the ``torch.dtype`` values a device can hold.

    * ``kinds`` restricts the kind: any of ``"float"`` (float16/32/64, bfloat16),
      ``"float8"`` (every 1-byte float the installed torch has), ``"complex"``
      (complex32/64/128), ``"int"`` (signed), ``"uint"`` (uint8..uint64) and
      ``"bool"``; a single kind or an iterable of them, defaulting to all.
    * ``device`` is the device the dtype must work on, defaulting to cpu. The
      device is probed (lazily, at the first draw) by creating, copying and
      comparing a tiny tensor, so e.g. MPS never gets float64.
    * ``exclude`` is an iterable of dtypes (or their names) never to draw.
    * ``requires_grad=True`` keeps only dtypes that can carry a gradient.

    The dtypes are discovered from the installed torch (every ``torch.dtype``
    attribute that holds element values), not from a list. Examples shrink
    towards ``torch.float32``, then other common dtypes.

    .. code-block:: pycon

        >>> dtypes(kinds=("int", "uint")).example()
        torch.uint16
    """
    return DtypeStrategy(kinds, device, exclude, requires_grad)
