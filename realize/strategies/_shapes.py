"""Shapes: bounded by dimensions, sides and total elements; broadcast-compatible sets.

Modelled on ``hypothesis.extra._array_helpers`` (``array_shapes``,
``broadcastable_shapes``, ``mutually_broadcastable_shapes``), reimplemented on
primitive choices so that no numpy is needed and a shape costs one choice per
dimension.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from realize.strategies._draw import draw_boolean, draw_integer
from realize.strategies._validation import check_int, check_type, order_check

__all__ = [
    "NDIM_MAX",
    "BroadcastableShapes",
    "Shape",
    "ShapeSpec",
    "broadcastable_shapes",
    "check_shape",
    "draw_shape",
    "mutually_broadcastable_shapes",
    "shapes",
]

Shape = tuple[int, ...]

#: The largest number of dimensions these strategies generate (Hypothesis's limit).
NDIM_MAX = 32
#: ``max_numel`` when neither it nor ``max_side`` is given.
DEFAULT_MAX_NUMEL = 256
#: Probability that a shape allowed to hold a zero side gets one.
P_ZERO_SIZE = 0.12


class BroadcastableShapes(NamedTuple):
    input_shapes: tuple[Shape, ...]
    result_shape: Shape


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

    @classmethod
    def make(
        cls,
        min_dims: int = 0,
        max_dims: int | None = None,
        min_side: int = 0,
        max_side: int | None = None,
        max_numel: int | None = None,
    ) -> ShapeSpec:
        check_int(min_dims, "min_dims")
        check_int(min_side, "min_side")
        if max_dims is None:
            max_dims = min(min_dims + 6, NDIM_MAX)
        check_int(max_dims, "max_dims")
        for name, dims in (("min_dims", min_dims), ("max_dims", max_dims)):
            if dims > NDIM_MAX:
                raise InvalidArgument(
                    f"{name}={dims}, but these strategies do not generate tensors with "
                    f"more than {NDIM_MAX} dimensions"
                )
        order_check("dims", 0, min_dims, max_dims)
        if max_side is not None:
            check_int(max_side, "max_side")
            order_check("side", 0, min_side, max_side)
        elif min_side < 0:
            order_check("side", 0, min_side, min_side)
        if max_numel is None and max_side is None:
            max_numel = max(DEFAULT_MAX_NUMEL, min_side**min_dims)
        if max_numel is not None:
            check_int(max_numel, "max_numel")
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
        return cls(min_dims, max_dims, min_side, max_side, max_numel)

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
        return ShapeSpec(lo_dims, hi_dims, side, self.max_side, self.max_numel)


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


class ShapeStrategy(SearchStrategy[Shape]):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        self._kwargs = kwargs
        self._spec: ShapeSpec | None = None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items() if v is not None)
        return f"shapes({args})"

    def spec(self) -> ShapeSpec:
        if self._spec is None:
            self._spec = ShapeSpec.make(**self._kwargs)
        return self._spec

    def do_validate(self) -> None:
        self.spec()

    def do_draw(self, data: Any) -> Shape:
        return draw_shape(data, self.spec())


def shapes(
    *,
    min_dims: int = 0,
    max_dims: int | None = None,
    min_side: int = 0,
    max_side: int | None = None,
    max_numel: int | None = None,
) -> SearchStrategy[Shape]:
    """Return a strategy for tensor shapes (tuples of ints >= 0).

    * ``min_dims`` is the smallest number of dimensions, 0 for 0-d tensors.
    * ``max_dims`` is the largest, defaulting to ``min_dims + 6`` (at most 32).
    * ``min_side`` is the smallest size of a dimension. With ``min_side=0`` (the
      default) about one shape in eight has a zero-size dimension.
    * ``max_side`` is the largest size of a dimension, defaulting to whatever
      ``max_numel`` allows.
    * ``max_numel`` bounds the number of elements, defaulting to 256 when
      ``max_side`` is not given (and to no bound when it is).

    Each side is drawn within its share of the ``max_numel`` budget, so both long
    thin shapes and square ones occur. Examples shrink towards fewer dimensions
    and smaller sides.

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
    )


class MutuallyBroadcastableShapes(SearchStrategy[BroadcastableShapes]):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        self._kwargs = kwargs
        self._params: tuple[Any, ...] | None = None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items() if v is not None)
        return f"mutually_broadcastable_shapes({args})"

    def params(self) -> tuple[Any, ...]:
        if self._params is None:
            self._params = self._validate(**self._kwargs)
        return self._params

    def do_validate(self) -> None:
        self.params()

    @staticmethod
    def _validate(
        num_shapes: int,
        base_shape: object,
        min_dims: int,
        max_dims: int | None,
        min_side: int,
        max_side: int | None,
    ) -> tuple[Any, ...]:
        check_int(num_shapes, "num_shapes")
        if num_shapes < 1:
            raise InvalidArgument(f"num_shapes={num_shapes} must be at least 1")
        check_type(tuple, base_shape, "base_shape")
        base = check_shape(base_shape, "base_shape")
        check_int(min_dims, "min_dims")
        check_int(min_side, "min_side")
        strict = max_dims is not None
        if max_dims is None:
            max_dims = min(max(len(base), min_dims) + 2, NDIM_MAX)
        check_int(max_dims, "max_dims")
        if max_dims > NDIM_MAX:
            raise InvalidArgument(f"max_dims={max_dims} is more than {NDIM_MAX}")
        if max_side is None:
            max_side = max((*base[-max_dims:], min_side)) + 2
        check_int(max_side, "max_side")
        order_check("dims", 0, min_dims, max_dims)
        order_check("side", 0, min_side, max_side)
        one_ok = min_side <= 1 <= max_side
        # An aligned dimension of the base shape b != 1 admits side b or 1.
        feasible = max_dims
        for d, b in enumerate(reversed(base)):
            if d >= max_dims:
                break
            if b != 1 and not (min_side <= b <= max_side) and not one_ok:
                feasible = d
                break
        if feasible < min_dims or (strict and feasible < max_dims):
            bound = f"max_dims={max_dims}" if strict else f"min_dims={min_dims}"
            raise InvalidArgument(
                f"Given base_shape={base}, there are no broadcast-compatible shapes that "
                f"satisfy {bound}, min_side={min_side} and max_side={max_side}"
            )
        return num_shapes, base, min_dims, feasible, min_side, max_side, one_ok

    def do_draw(self, data: Any) -> BroadcastableShapes:
        num_shapes, base, min_dims, max_dims, min_side, max_side, one_ok = self.params()
        rbase = base[::-1]
        ndims = [
            draw_integer(data, min_dims, max_dims) if max_dims > min_dims else min_dims
            for _ in range(num_shapes)
        ]
        n = max(len(rbase), *ndims)
        shapes: list[list[int]] = [[] for _ in range(num_shapes)]
        result = []
        for d in range(n):
            b = rbase[d] if d < len(rbase) else 1
            if b != 1:
                side = b if min_side <= b <= max_side else 1
            elif d < max(ndims):
                side = draw_integer(data, min_side, max_side, min_side)
            else:
                side = 1
            out = b
            for i, shape in enumerate(shapes):
                if ndims[i] <= d:
                    continue
                s = side
                # Aligned dimensions shrink towards 1 (the boolean towards False).
                if s != 1 and one_ok and not draw_boolean(data, 0.75):
                    s = 1
                shape.append(s)
                if s != 1:
                    out = s
            result.append(out)
        result = result[: max(len(rbase), *ndims)]
        return BroadcastableShapes(
            input_shapes=tuple(tuple(reversed(s)) for s in shapes),
            result_shape=tuple(reversed(result)),
        )


def mutually_broadcastable_shapes(
    num_shapes: int,
    *,
    base_shape: Shape = (),
    min_dims: int = 0,
    max_dims: int | None = None,
    min_side: int = 1,
    max_side: int | None = None,
) -> SearchStrategy[BroadcastableShapes]:
    """Return a strategy for ``num_shapes`` shapes that broadcast together.

    * ``num_shapes`` is how many shapes to draw.
    * ``base_shape`` is a shape every drawn shape also broadcasts with (default
      ``()``, no constraint).
    * ``min_dims`` / ``max_dims`` bound each shape's length, ``max_dims``
      defaulting to ``max(len(base_shape), min_dims) + 2``.
    * ``min_side`` / ``max_side`` bound the sides, ``max_side`` defaulting to 2
      plus the largest aligned side of ``base_shape``.

    Draws a ``BroadcastableShapes(input_shapes, result_shape)`` where
    ``result_shape`` is ``torch.broadcast_shapes(*input_shapes, base_shape)``.
    Examples shrink towards fewer dimensions and aligned sides of 1.

    .. code-block:: pycon

        >>> mutually_broadcastable_shapes(2, base_shape=(3,)).example()
        BroadcastableShapes(input_shapes=((2, 1), (3,)), result_shape=(2, 3))
    """
    return MutuallyBroadcastableShapes(
        num_shapes=num_shapes,
        base_shape=base_shape,
        min_dims=min_dims,
        max_dims=max_dims,
        min_side=min_side,
        max_side=max_side,
    )


def broadcastable_shapes(
    shape: Shape,
    *,
    min_dims: int = 0,
    max_dims: int | None = None,
    min_side: int = 1,
    max_side: int | None = None,
) -> SearchStrategy[Shape]:
    """Return a strategy for shapes that broadcast with ``shape``.

    Arguments as in ``mutually_broadcastable_shapes`` with ``base_shape=shape``.
    Examples shrink towards ``min_dims`` dimensions and aligned sides of 1.

    .. code-block:: pycon

        >>> broadcastable_shapes((2, 3)).example()
        (1, 3)
    """
    return mutually_broadcastable_shapes(
        1,
        base_shape=shape,
        min_dims=min_dims,
        max_dims=max_dims,
        min_side=min_side,
        max_side=max_side,
    ).map(lambda bs: bs.input_shapes[0])
