"""The arguments of ``tensors()`` once validated, and what each draw looks up.

``TensorArgs`` is a frozen record of the validated arguments, built once, at the
first draw or ``.validate()``, so that bad arguments raise ``InvalidArgument``
lazily, as Hypothesis strategies do. Its ``Lookups`` cache what depends only on
the device, dtype or rank (the dtypes and layouts that fit, the element
samplers), so a draw does no repeated work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import InitVar, dataclass, field
from typing import Any

import torch
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy, booleans

from realize._hypothesis_internals import is_empty
from realize.strategies import _devices, _dtypes
from realize.strategies._codecs import codec_for
from realize.strategies._elements import UserElements, sampler_for
from realize.strategies._layouts import (
    Layout,
    min_side,
    ndim_range,
    normalize_layouts,
    supports_dtype,
    supports_ndim,
    weight,
)
from realize.strategies._samplers import ElementSampler
from realize.strategies._shapes import Shape, ShapeSpec, ShapeStrategy, check_shape
from realize.strategies._validation import check_bool, check_number, check_strategy

__all__ = ["BOUND_KEYS", "Lookups", "TensorArgs"]

#: The keys of an ``elements=`` mapping (the bounds of ``from_dtype``).
BOUND_KEYS = ("min_value", "max_value", "allow_nan", "allow_infinity", "allow_subnormal")


@dataclass(frozen=True, eq=False)
class TensorArgs:
    """Validated ``tensors()`` arguments: fixed values, or strategies to draw from.

    ``TensorArgs(arguments)`` checks ``tensors()``'s keyword arguments (raising
    ``InvalidArgument`` naming the bad one) and records the result; what draws look
    up per device, dtype and rank is cached in ``lookups``.
    """

    arguments: InitVar[Mapping[str, Any]]
    device: torch.device | None = field(init=False)
    device_strategy: SearchStrategy[Any] | None = field(init=False)
    dtype: torch.dtype | None = field(init=False)
    dtype_strategy: SearchStrategy[Any] | None = field(init=False)
    shape: Shape | None = field(init=False)
    shape_strategy: SearchStrategy[Any] | None = field(init=False)
    #: Bounds of shapes drawn inline (no nested ``data.draw``): ``shape=None`` or ``shapes()``.
    shape_spec: ShapeSpec | None = field(init=False)
    requires_grad: bool | None = field(init=False)
    requires_grad_strategy: SearchStrategy[Any] | None = field(init=False)
    #: ``from_dtype`` bounds of the elements (empty when ``elements_strategy`` is given).
    bounds: Mapping[str, Any] = field(init=False)
    elements_strategy: SearchStrategy[Any] | None = field(init=False)
    fill_strategy: SearchStrategy[Any] | None = field(init=False)
    #: ``fill=st.nothing()``: draw every element.
    dense: bool = field(init=False)
    #: The allowed layout kinds that fit a fixed dtype and shape.
    kinds: tuple[Layout, ...] = field(init=False)
    lookups: Lookups = field(init=False, repr=False)

    def __post_init__(self, arguments: Mapping[str, Any]) -> None:
        # Frozen: each field is set once, here, in the order the checks run.
        for name, value in _validated(arguments).items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "lookups", Lookups(self))
        if self.device is not None:
            if self.dtype is not None and self.dtype not in _dtypes.supported_dtypes(self.device):
                raise InvalidArgument(
                    f"dtype={self.dtype} is not supported on device={self.device}"
                )
            self.lookups.candidates(self.device)

    def check_drawn_dtype(self, dtype: object, device: torch.device) -> torch.dtype:
        checked = _dtypes.check_dtype(dtype, "drawn dtype")
        if checked not in _dtypes.supported_dtypes(device):
            raise InvalidArgument(f"Drawn dtype={checked} is not supported on {device}")
        if self.requires_grad and not _dtypes.can_require_grad(checked):
            raise InvalidArgument(
                f"requires_grad=True needs a floating or complex dtype, but the dtype "
                f"strategy drew {checked}"
            )
        return checked

    # What ``tensors()`` draws look up, answered by the cache.
    def check_drawn_device(self, device: object) -> torch.device:
        return self.lookups.check_drawn_device(device)

    def dtypes_for(self, device: torch.device) -> tuple[torch.dtype, ...]:
        return self.lookups.dtypes_for(device)

    def view_layouts_for(
        self, device: torch.device, dtype: torch.dtype, ndim: int
    ) -> tuple[Layout, ...]:
        return self.lookups.view_layouts_for(device, dtype, ndim)

    def samplers(self, dtype: torch.dtype) -> tuple[ElementSampler, ElementSampler]:
        return self.lookups.samplers(dtype)


def _validated(args: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``TensorArgs`` for ``tensors()``'s keyword arguments ``args``."""
    device, device_strategy = _device(args["device"])
    dtype, dtype_strategy = _dtype(args["dtype"])
    shape, shape_strategy, shape_spec = _shape(args["shape"])
    requires_grad, requires_grad_strategy = _requires_grad(args["requires_grad"])
    if requires_grad and dtype is not None and not _dtypes.can_require_grad(dtype):
        raise InvalidArgument(
            f"requires_grad=True needs a floating or complex dtype, but "
            f"dtype={dtype}. Only such tensors can carry a gradient."
        )
    bounds, elements_strategy = _elements(args["elements"])
    fill_strategy = None if args["fill"] is None else check_strategy(args["fill"], "fill")
    if dtype is not None and elements_strategy is None:
        sampler_for(dtype, **bounds)  # bounds impossible for the dtype: fail now
    kinds = _layouts(args["layout"], args["contiguous"], dtype, shape)
    if shape_spec is not None:
        _check_ranks(kinds, shape_spec, args["layout"], args["shape"])
    if args["shape"] is None:
        # shapes() defaults, narrowed to fit at least one allowed kind (e.g.
        # 4-d for CHANNELS_LAST alone, sides >= 2 for PERMUTED alone).
        shape_spec = ShapeSpec.make().narrowed(
            min_dims=min(ndim_range(k)[0] for k in kinds),
            max_dims=max(ndim_range(k)[1] for k in kinds),
            min_side=min(min_side(k) for k in kinds),
        )
        assert shape_spec is not None
    return {
        "device": device,
        "device_strategy": device_strategy,
        "dtype": dtype,
        "dtype_strategy": dtype_strategy,
        "shape": shape,
        "shape_strategy": shape_strategy,
        "shape_spec": shape_spec,
        "requires_grad": requires_grad,
        "requires_grad_strategy": requires_grad_strategy,
        "bounds": bounds,
        "elements_strategy": elements_strategy,
        "fill_strategy": fill_strategy,
        "dense": fill_strategy is not None and is_empty(fill_strategy),
        "kinds": kinds,
    }


class Lookups:
    """What draws look up, computed once per device, dtype or (device, dtype, rank)."""

    def __init__(self, args: TensorArgs) -> None:
        self.args = args
        self._candidates: dict[torch.device, tuple[torch.dtype, ...]] = {}
        self._dtypes: dict[torch.device, tuple[torch.dtype, ...]] = {}
        self._kinds: dict[tuple[Any, ...], tuple[Layout, ...]] = {}
        self._samplers: dict[torch.dtype, tuple[ElementSampler, ElementSampler]] = {}
        self._devices_seen: set[torch.device] = set()

    def candidates(self, device: torch.device) -> tuple[torch.dtype, ...]:
        """The dtypes drawn when ``dtype`` is not given, for ``device``."""
        found = self._candidates.get(device)
        if found is None:
            a = self.args
            found = tuple(
                d
                for d in _dtypes.supported_dtypes(device)
                if (not a.requires_grad or _dtypes.can_require_grad(d)) and self._fits(d)
            )
            if not found:
                raise InvalidArgument(
                    f"No dtype on device={device} satisfies requires_grad="
                    f"{a.requires_grad!r} and elements={a.bounds!r}"
                )
            self._candidates[device] = found
        return found

    def check_drawn_device(self, device: object) -> torch.device:
        if isinstance(device, torch.device) and device in self._devices_seen:
            return device
        checked = _devices.check_device(device, "drawn device")
        self._devices_seen.add(checked)
        return checked

    def dtypes_for(self, device: torch.device) -> tuple[torch.dtype, ...]:
        """The dtypes drawn for ``dtype=None``: candidates some allowed layout fits."""
        found = self._dtypes.get(device)
        if found is None:
            a = self.args
            device_dtypes = _dtypes.supported_dtypes(device)
            found = tuple(
                d
                for d in self.candidates(device)
                if any(supports_dtype(k, d, device_dtypes) for k in a.kinds)
            )
            if not found:
                raise InvalidArgument(
                    f"No dtype on {device} fits a layout in {a.kinds}, "
                    f"requires_grad={a.requires_grad!r} and elements={a.bounds!r}"
                )
            self._dtypes[device] = found
        return found

    def samplers(self, dtype: torch.dtype) -> tuple[ElementSampler, ElementSampler]:
        """The element sampler and the fill sampler for ``dtype``."""
        found = self._samplers.get(dtype)
        if found is None:
            a = self.args
            codec = codec_for(dtype)
            sampler: ElementSampler
            if a.elements_strategy is not None:
                sampler = UserElements(codec, a.elements_strategy)
            else:
                sampler = sampler_for(dtype, **a.bounds)
            fill = sampler
            if a.fill_strategy is not None and not a.dense:
                fill = UserElements(codec, a.fill_strategy)
            found = self._samplers[dtype] = (sampler, fill)
        return found

    def view_layouts_for(
        self, device: torch.device, dtype: torch.dtype, ndim: int
    ) -> tuple[Layout, ...]:
        """The allowed layouts that fit the dtype and rank, each repeated by its weight."""
        key = (device, dtype, ndim)
        found = self._kinds.get(key)
        if found is None:
            kinds = self.args.kinds
            device_dtypes = _dtypes.supported_dtypes(device)
            found = tuple(
                k
                for k in kinds
                if supports_ndim(k, ndim) and supports_dtype(k, dtype, device_dtypes)
                for _ in range(weight(k))
            )
            if not found:
                raise InvalidArgument(
                    f"No layout in {kinds} applies to dtype={dtype} and a {ndim}-d shape"
                )
            self._kinds[key] = found
        return found

    def _fits(self, dtype: torch.dtype) -> bool:
        if self.args.elements_strategy is not None or not self.args.bounds:
            return True
        try:
            sampler_for(dtype, **self.args.bounds)
            return True
        except InvalidArgument:
            return False


def _device(arg: object) -> tuple[torch.device | None, SearchStrategy[Any] | None]:
    if arg is None:
        return None, _devices.devices()
    if isinstance(arg, SearchStrategy):
        return None, check_strategy(arg, "device")
    return _devices.check_device(arg), None


def _shape(arg: object) -> tuple[Shape | None, SearchStrategy[Any] | None, ShapeSpec | None]:
    """A fixed shape, a strategy of shapes, or a ``shapes()`` strategy drawn inline."""
    if isinstance(arg, ShapeStrategy):
        return None, None, arg.resolved()
    if isinstance(arg, SearchStrategy):
        return None, check_strategy(arg, "shape"), None
    if arg is None:
        return None, None, None
    return check_shape(arg), None, None


def _dtype(arg: object) -> tuple[torch.dtype | None, SearchStrategy[Any] | None]:
    if isinstance(arg, SearchStrategy):
        return None, check_strategy(arg, "dtype")
    if arg is None:
        return None, None
    return _dtypes.check_dtype(arg), None


def _requires_grad(arg: object) -> tuple[bool | None, SearchStrategy[Any] | None]:
    """A bool, ``None`` (drawn), or a strategy of bools."""
    if arg is None:
        return None, booleans()
    if isinstance(arg, SearchStrategy):
        return None, check_strategy(arg, "requires_grad")
    if isinstance(arg, bool):
        return arg, None
    raise InvalidArgument(
        f"Expected bool, None or a strategy but got requires_grad={arg!r} "
        f"(type={type(arg).__name__})"
    )


def _elements(arg: object) -> tuple[dict[str, Any], SearchStrategy[Any] | None]:
    """A mapping of ``from_dtype`` bounds, or a strategy of Python scalars."""
    if isinstance(arg, Mapping):
        unknown = sorted(set(arg) - set(BOUND_KEYS))
        if unknown:
            raise InvalidArgument(
                f"elements={arg!r} has unknown keys {unknown}; valid keys are "
                f"{', '.join(BOUND_KEYS)}"
            )
        low, high = arg.get("min_value"), arg.get("max_value")
        # Each value's type now (at .validate()), as from_dtype would at the first draw
        for key in ("min_value", "max_value"):
            if arg.get(key) is not None:
                check_number(arg[key], key)
        for key in ("allow_nan", "allow_infinity", "allow_subnormal"):
            if arg.get(key) is not None:
                check_bool(arg[key], key)
        numbers = (int, float)
        if isinstance(low, numbers) and isinstance(high, numbers) and low > high:
            # Checked here, not per dtype: "no dtype satisfies elements=..." hides the cause.
            raise InvalidArgument(
                f"elements={dict(arg)!r}: min_value={low!r} is larger than max_value={high!r}; "
                "swap them"
            )
        return dict(arg), None
    if arg is None:
        return {}, None
    return {}, check_strategy(arg, "elements")


def _check_ranks(kinds: tuple[Layout, ...], spec: ShapeSpec, layout: object, shape: object) -> None:
    """Every rank a ``shapes()`` strategy can draw must fit some allowed layout: fail now,
    naming both arguments, rather than at whichever draw first hits a rank that does not."""
    misfits = [n for n in range(spec.min_dims, spec.max_dims + 1) if not any(
        supports_ndim(k, n) for k in kinds)]  # fmt: skip
    if not misfits:
        return
    fitting = [n for n in range(spec.min_dims, spec.max_dims + 1) if n not in misfits]
    needs = "; ".join(f"{k!r} needs {lo}" + (f" to {hi}" if hi != lo else "") for k in kinds
                      for lo, hi in [ndim_range(k)])  # fmt: skip
    fix = (
        f"pass shapes(min_dims={fitting[0]}, max_dims={fitting[-1]}, ...)"
        if fitting
        else "pass a shape strategy with as many dimensions as the layout needs"
    )
    raise InvalidArgument(
        f"shape={shape!r} can draw {misfits[0]}-d shapes, but no layout in layout={layout!r} "
        f"applies to {misfits[0]} dimensions ({needs}). "
        f"{fix[0].upper() + fix[1:]}, or allow more layouts."
    )


def _layouts(
    layout: object, contiguous: object, dtype: torch.dtype | None, shape: Shape | None
) -> tuple[Layout, ...]:
    """The allowed layout kinds that fit a fixed dtype and shape."""
    kinds = normalize_layouts(layout, contiguous)
    if dtype is not None:
        kinds = tuple(k for k in kinds if supports_dtype(k, dtype))
        if not kinds:
            raise InvalidArgument(
                f"No layout in layout={layout!r} applies to dtype={dtype}: "
                "CONJ needs a complex dtype, NEG float16, float32 or float64."
            )
    if shape is not None:
        kinds = tuple(k for k in kinds if supports_ndim(k, len(shape)))
        if not kinds:
            raise InvalidArgument(
                f"No layout in layout={layout!r} applies to a {len(shape)}-d shape={shape}"
            )
    return kinds
