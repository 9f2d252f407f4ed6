"""The base class of this package's strategies: arguments checked once, lazily, then cached.

A strategy function (``dtypes()``, ``tensors()``, ...) only records its arguments.
The first draw or ``.validate()`` checks them and turns them into what draws need
(the dtypes to choose from, a validated shape spec, ...), raising
``InvalidArgument`` then, as Hypothesis's own strategies do; later draws reuse that
result. The ``repr`` is the call that built the strategy, arguments left at their
default omitted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from realize._hypothesis_internals import StrategyBase

__all__ = ["ResolvingStrategy"]

Ex = TypeVar("Ex", covariant=True)
Resolved = TypeVar("Resolved")


class ResolvingStrategy(StrategyBase[Ex], Generic[Ex, Resolved]):
    """A strategy that resolves its arguments once, at the first draw or ``.validate()``.

    Subclasses implement ``resolve()`` (check the arguments, return what draws
    need; raise ``InvalidArgument`` naming the bad one) and ``do_draw``, which gets
    that result from ``resolved()``.

    * ``call``: the strategy function's name, for the ``repr``;
    * ``args``: its positional arguments, always shown;
    * ``kwargs``: its keyword arguments, shown unless equal to their ``defaults``
      entry (``None`` for keys not listed there).
    """

    def __init__(
        self,
        call: str,
        args: tuple[Any, ...] = (),
        kwargs: Mapping[str, Any] | None = None,
        defaults: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.call = call
        self.call_args = args
        self.call_kwargs = dict(kwargs or {})
        self._defaults = dict(defaults or {})
        self._resolved: Resolved | None = None

    def __repr__(self) -> str:
        shown = [repr(a) for a in self.call_args]
        shown += [f"{k}={v!r}" for k, v in self.call_kwargs.items() if v != self._defaults.get(k)]
        return f"{self.call}({', '.join(shown)})"

    def resolve(self) -> Resolved:
        """Check the arguments and return what draws need (called once)."""
        raise NotImplementedError

    def resolved(self) -> Resolved:
        """``resolve()``'s result, computed at the first call (which may raise)."""
        if self._resolved is None:
            self._resolved = self.resolve()
        return self._resolved

    def do_validate(self) -> None:
        self.resolved()
