"""Shapes bounded by dimensions, sides and total elements.

Modelled on ``hypothesis.extra._array_helpers`` (``array_shapes``), reimplemented on
primitive choices so that no numpy is needed and a shape costs one choice per
dimension.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from realize._hypothesis_internals import draw_boolean, draw_integer
from realize.strategies._resolving import ResolvingStrategy
from realize.strategies._validation import check_int, order_check

__all__ = ["NDIM_MAX", "Shape", "ShapeSpec", "check_shape", "draw_shape", "shapes"]

Shape = tuple[int, ...]

#: The largest number of dimensions these strategies generate (Hypothesis's limit).
NDIM_MAX = 32
#: ``max_numel`` when neither it nor ``max_side`` is given.
DEFAULT_MAX_NUMEL = 256
#: Probability that a shape allowed to hold a zero side gets one.
P_ZERO_SIZE = 0.12


def check_shape(shape: object, name: str = "shape") -> Shape:
    """An int or a sequence of ints >= 0, as a tuple; else InvalidArgument."""
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        raise InvalidArgument(
            f"Expected a tuple of ints but got {name}={shape!r} (type={type(shape).__name__})"
        )
    for i, side in enumerate(shape):
        if isinstance(side, bool) or not isinstance(side, int):
            raise InvalidArgument(
                f"Expected int but got {name}[{i}]={side!r} (type={type(side).__name__}) "
                f"in {name}={shape!r}"
            )
        if side < 0:
            raise InvalidArgument(f"{name}={shape!r} has a negative side {name}[{i}]={side}")
    if len(shape) > NDIM_MAX:
        raise InvalidArgument(f"{name}={shape!r} has more than {NDIM_MAX} dimensions")
    return tuple(shape)


class ShapeSpec(NamedTuple):
    """Validated bounds of a shape draw (see ``shapes``)."""

    min_dims: int
    max_dims: int
    min_side: int
    max_side: int | None
    max_numel: int | None
    min_numel: int = 0

    @classmethod
    def make(
        cls,
        min_dims: int = 0,
        max_dims: int | None = None,
        min_side: int = 0,
        max_side: int | None = None,
        max_numel: int | None = None,
        min_numel: int = 0,
    ) -> ShapeSpec:
        # every argument's type first: the rules below compute with them
        check_int(min_numel, "min_numel")
        check_int(min_dims, "min_dims")
        check_int(min_side, "min_side")
        for name, value in (
            ("max_dims", max_dims),
            ("max_side", max_side),
            ("max_numel", max_numel),
        ):
            if value is not None:
                check_int(value, name)
        if min_numel < 0:
            raise InvalidArgument(f"min_numel={min_numel} must be at least 0")
        if min_numel > 0:
            if max_numel is None and max_side is None:
                max_numel = max(DEFAULT_MAX_NUMEL, 4 * min_numel)
            if max_dims is None:
                max_dims = min(min_dims + 3, NDIM_MAX)  # large tensors: few dimensions
            min_dims = max(min_dims, 1)
            if max_dims < min_dims:
                raise InvalidArgument(f"min_numel={min_numel} needs max_dims >= 1")
            if max_numel is not None and min_numel > max_numel:
                raise InvalidArgument(f"min_numel={min_numel} is larger than max_numel={max_numel}")
            if max_side is not None and max_side**max_dims < min_numel:
                raise InvalidArgument(
                    f"max_side={max_side} and max_dims={max_dims} allow at most "
                    f"{max_side**max_dims} elements, fewer than min_numel={min_numel}"
                )
        if max_dims is None:
            max_dims = min(min_dims + 6, NDIM_MAX)
        for name, dims in (("min_dims", min_dims), ("max_dims", max_dims)):
            if dims > NDIM_MAX:
                raise InvalidArgument(
                    f"{name}={dims}, but these strategies do not generate tensors with "
                    f"more than {NDIM_MAX} dimensions"
                )
        order_check("dims", 0, min_dims, max_dims)
        if max_side is not None:
            order_check("side", 0, min_side, max_side)
        elif min_side < 0:
            order_check("side", 0, min_side, min_side)
        if max_numel is None and max_side is None:
            max_numel = max(DEFAULT_MAX_NUMEL, min_side**min_dims)
        if max_numel is not None:
            if max_numel < 0:
                raise InvalidArgument(f"max_numel={max_numel} must be at least 0")
            smallest = min_side**min_dims
            if smallest > max_numel:
                raise InvalidArgument(
                    f"min_side={min_side} and min_dims={min_dims} need {smallest} elements, "
                    f"more than max_numel={max_numel}"
                )
            # Stop at the most dimensions the budget allows at min_side each.
            if min_side >= 2:
                while min_side**max_dims > max_numel:
                    max_dims -= 1
        return cls(min_dims, max_dims, min_side, max_side, max_numel, min_numel)

    def narrowed(
        self, *, min_dims: int = 0, max_dims: int = NDIM_MAX, min_side: int = 0
    ) -> ShapeSpec | None:
        """These bounds intersected with others, or ``None`` if that is empty."""
        lo_dims = max(self.min_dims, min_dims)
        hi_dims = min(self.max_dims, max_dims)
        side = max(self.min_side, min_side)
        if lo_dims > hi_dims or (self.max_side is not None and side > self.max_side):
            return None
        if self.max_numel is not None:
            if side**lo_dims > self.max_numel:
                return None
            while side >= 2 and side**hi_dims > self.max_numel:
                hi_dims -= 1
        return ShapeSpec(lo_dims, hi_dims, side, self.max_side, self.max_numel, self.min_numel)


def _root(budget: int, k: int) -> int:
    """floor(budget ** (1 / k)) for ints, exactly."""
    r = round(budget ** (1.0 / k))
    while r > 0 and r**k > budget:
        r -= 1
    while (r + 1) ** k <= budget:
        r += 1
    return r


def draw_shape(data: Any, spec: ShapeSpec) -> Shape:
    """One choice for the number of dimensions, one per side, one for a zero side.

    Each side is bounded by its geometric share of the remaining ``max_numel``
    budget, so shapes stay within the budget by construction and shrink side by
    side: dims towards ``min_dims``, sides towards ``min_side`` (or 1).
    """
    ndim = spec.min_dims
    if spec.max_dims > spec.min_dims:
        ndim = draw_integer(data, spec.min_dims, spec.max_dims)
    if spec.min_numel > 0:
        return _draw_large_shape(data, spec, ndim)
    if ndim == 0:
        return ()
    if spec.max_side == 0:
        return (0,) * ndim
    lo = max(spec.min_side, 1)
    budget = spec.max_numel
    sides = []
    for i in range(ndim):
        cap = spec.max_side
        if budget is not None:
            share = max(_root(budget, ndim - i), lo)
            cap = share if cap is None else min(cap, share)
        assert cap is not None
        side = draw_integer(data, lo, cap, lo) if cap > lo else lo
        sides.append(side)
        if budget is not None:
            budget //= side
    if spec.min_side == 0 and draw_boolean(data, P_ZERO_SIZE):
        sides[draw_integer(data, 0, ndim - 1) if ndim > 1 else 0] = 0
    return tuple(sides)


def _draw_large_shape(data: Any, spec: ShapeSpec, ndim: int) -> Shape:
    """A shape of ``ndim`` >= 1 sides with ``min_numel <= numel <= max_numel``.

    First the element count (shrinking towards ``min_numel``), then each side
    but the last within its geometric share of it, then the last side makes up
    the count.
    """
    hi = spec.max_numel
    if hi is None:  # only max_side bounds it
        assert spec.max_side is not None
        hi = spec.max_side**ndim
    hi = max(hi, spec.min_numel)
    target = draw_integer(data, spec.min_numel, hi, spec.min_numel)
    lo, cap_side = max(spec.min_side, 1), spec.max_side
    sides, prod = [], 1
    for i in range(ndim - 1):
        cap = max(_root(target // prod, ndim - i), lo)
        if cap_side is not None:
            cap = min(cap, cap_side)
        side = draw_integer(data, lo, cap, lo) if cap > lo else lo
        sides.append(side)
        prod *= side
    last = max(-(-spec.min_numel // prod), lo, -(-target // prod))
    if spec.max_numel is not None:
        last = min(last, spec.max_numel // prod)
    if cap_side is not None:
        last = min(last, cap_side)
    if not (spec.min_numel <= prod * last and last >= lo):
        data.mark_invalid(f"no last side fits min_numel={spec.min_numel} after {sides}")
    return (*sides, last)


class ShapeStrategy(ResolvingStrategy[Shape, ShapeSpec]):
    def __init__(self, **kwargs: Any) -> None:
        # min_numel (for large tensors) shows in the repr only when it is asked for.
        super().__init__("shapes", kwargs=kwargs, defaults={"min_numel": 0})

    def resolve(self) -> ShapeSpec:
        return ShapeSpec.make(**self.call_kwargs)

    def do_draw(self, data: Any) -> Shape:
        return draw_shape(data, self.resolved())


def shapes(
    *,
    min_dims: int = 0,
    max_dims: int | None = None,
    min_side: int = 0,
    max_side: int | None = None,
    max_numel: int | None = None,
    min_numel: int = 0,
) -> SearchStrategy[Shape]:
    """Return a strategy for tensor shapes (tuples of ints >= 0).

    * ``min_dims`` is the smallest number of dimensions, 0 for 0-d tensors.
    * ``max_dims`` is the largest, defaulting to ``min_dims + 6`` (at most 32).
    * ``min_side`` is the smallest size of a dimension. With ``min_side=0`` (the
      default) about one shape in eight has a zero-size dimension.
    * ``max_side`` is the largest size of a dimension, defaulting to whatever
      ``max_numel`` allows.
    * ``max_numel`` bounds the number of elements, defaulting to 256 when
      ``max_side`` is not given (and to no bound when it is), or to
      ``4 * min_numel`` when ``min_numel`` is given.
    * ``min_numel`` asks for large tensors: at least this many elements (default
      0). With it, ``max_dims`` defaults to ``min_dims + 3`` and shapes have no
      zero side. ``shapes(min_numel=40_000, max_numel=2**17)`` draws tensors above
      the CPU parallel grain size; :func:`sized_shapes` mixes size classes.

    The default distribution: 0 to 6 dimensions, at most 256 elements (the
    ``tiny`` and ``vector`` classes of ``SIZE_CLASSES``), about one shape in eight
    zero-size, 0-d shapes common. Each side is drawn within its share of the
    ``max_numel`` budget, so both long thin shapes and square ones occur.
    Examples shrink towards fewer dimensions and smaller sides (and towards
    ``min_numel`` elements).

    .. code-block:: pycon

        >>> shapes(min_dims=1, max_dims=3, max_side=4).example()
        (4, 1, 3)
    """
    return ShapeStrategy(
        min_dims=min_dims,
        max_dims=max_dims,
        min_side=min_side,
        max_side=max_side,
        max_numel=max_numel,
        min_numel=min_numel,
    )
