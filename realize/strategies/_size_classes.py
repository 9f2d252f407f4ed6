"""Shapes across the size classes where copy kernels change path (``sized_shapes``)."""

from __future__ import annotations

from typing import Any

from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from realize._hypothesis_internals import StrategyBase, draw_boolean, draw_integer
from realize.strategies._shapes import Shape, ShapeSpec, draw_shape

__all__ = ["SIZE_CLASSES", "sized_shapes"]

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


class SizedShapeStrategy(StrategyBase[Shape]):
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
