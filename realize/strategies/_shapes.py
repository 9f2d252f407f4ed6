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
from realize.strategies._resolving import ResolvingStrategy
from realize.strategies._validation import check_int, check_type, order_check

__all__ = [
    "NDIM_MAX",
    "SIZE_CLASSES",
    "BroadcastableShapes",
    "Shape",
    "ShapeSpec",
    "broadcastable_shapes",
    "check_shape",
    "draw_shape",
    "mutually_broadcastable_shapes",
    "shapes",
    "sized_shapes",
]

Shape = tuple[int, ...]

#: The largest number of dimensions these strategies generate (Hypothesis's limit).
NDIM_MAX = 32
#: ``max_numel`` when neither it nor ``max_side`` is given.
DEFAULT_MAX_NUMEL = 256
#: Probability that a shape allowed to hold a zero side gets one.
P_ZERO_SIZE = 0.12


#: Element counts where copy kernels change path, as ``name: (min_numel, max_numel)``.
#: ``tiny``: scalar loops; ``vector``: one or a few SIMD vectors; ``medium``: up to
#: the CPU parallel grain (``at::internal::GRAIN_SIZE`` = 32768: above it, CPU
#: copies go parallel); ``grain``: right around it; ``parallel``: above it;
#: ``wave``: more than one full grid wave of a large GPU (132 SMs x 2048 threads
#: x 4 elements per thread is about 1.1e6).
SIZE_CLASSES: dict[str, tuple[int, int]] = {
    "tiny": (0, 8),
    "vector": (9, 256),
    "medium": (257, 32_767),
    "grain": (32_768 - 64, 32_768 + 64),
    "parallel": (32_769, 2**17),
    "wave": (2**20 + 1, 2**21),
}


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
        check_int(min_numel, "min_numel")
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


class SizedShapeStrategy(SearchStrategy[Shape]):
    """Mostly the default ``shapes()``, sometimes a larger size class (see ``sized_shapes``)."""

    def __init__(self, classes: tuple[str, ...], large_share: float) -> None:
        super().__init__()
        self.classes, self.large_share = classes, large_share
        self._specs: list[ShapeSpec] | None = None

    def __repr__(self) -> str:
        return f"sized_shapes(classes={self.classes!r}, large_share={self.large_share!r})"

    def specs(self) -> list[ShapeSpec]:
        if self._specs is None:
            for name in self.classes:
                if name not in SIZE_CLASSES:
                    raise InvalidArgument(
                        f"classes={self.classes!r} has {name!r}, not one of {sorted(SIZE_CLASSES)}"
                    )
            if not 0 <= self.large_share <= 1:
                raise InvalidArgument(f"large_share={self.large_share!r} is not in [0, 1]")
            # large tensors have at most 3 dimensions: views with gaps multiply
            # the storage by up to 3 per dimension
            self._specs = [
                ShapeSpec.make(min_numel=max(lo, 1), max_numel=hi, max_dims=3)
                for lo, hi in (SIZE_CLASSES[n] for n in self.classes)
            ]
        return self._specs

    def do_validate(self) -> None:
        self.specs()

    def do_draw(self, data: Any) -> Shape:
        specs = self.specs()
        # one boolean (shrinks towards the default), then which large class
        if specs and draw_boolean(data, self.large_share):
            spec = specs[draw_integer(data, 0, len(specs) - 1)] if len(specs) > 1 else specs[0]
            return draw_shape(data, spec)
        return draw_shape(data, _DEFAULT_SPEC)


_DEFAULT_SPEC = ShapeSpec.make()


def sized_shapes(
    classes: tuple[str, ...] = ("medium", "grain", "parallel"),
    *,
    large_share: float = 0.1,
) -> SearchStrategy[Shape]:
    """Return a strategy for shapes across size classes where kernels change path.

    * ``classes``: the large classes of ``SIZE_CLASSES`` to mix in (default
      ``("medium", "grain", "parallel")``: up to 2**17 elements; add ``"wave"``
      on GPUs for more than one full grid wave, 1e6 to 2e6 elements).
    * ``large_share``: the probability of a large class (default 0.1); the rest
      are ``shapes()``'s default (at most 256 elements).

    Large classes get 1 to 3 dimensions and no zero side. With the fill-value
    design of ``tensors()`` a large tensor costs about as much to draw as a small
    one. Examples shrink towards the default small shapes.

    .. code-block:: pycon

        >>> tensors(shape=sized_shapes(("parallel",), large_share=1.0)).example().numel() > 32768
        True
    """
    return SizedShapeStrategy(tuple(classes), large_share)


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
