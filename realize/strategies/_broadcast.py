"""Broadcast-compatible sets of shapes, as in ``hypothesis.extra._array_helpers``."""

from __future__ import annotations

from typing import Any, NamedTuple

from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from realize._hypothesis_internals import draw_boolean, draw_integer
from realize.strategies._resolving import ResolvingStrategy
from realize.strategies._shapes import NDIM_MAX, Shape, check_shape
from realize.strategies._validation import check_int, check_type, order_check

__all__ = ["BroadcastableShapes", "broadcastable_shapes", "mutually_broadcastable_shapes"]


class BroadcastableShapes(NamedTuple):
    input_shapes: tuple[Shape, ...]
    result_shape: Shape


class MutuallyBroadcastableShapes(ResolvingStrategy[BroadcastableShapes, tuple[Any, ...]]):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__("mutually_broadcastable_shapes", kwargs=kwargs)

    def resolve(self) -> tuple[Any, ...]:
        return self._validate(**self.call_kwargs)

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
        num_shapes, base, min_dims, max_dims, min_side, max_side, one_ok = self.resolved()
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
