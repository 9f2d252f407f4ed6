"""The callables the harness tests: named, importable again, compiled on request.

A :class:`Target` is what ``--realize-target=MODULE:ATTR`` names, or one of the
default targets, which come from the operator table (``realize/_ops.py``
``OPS``): for each operator, its function (``realize.realize``) and its bare
operator (``torch.ops.realize.realize.default``). The spec is kept so that a
child process (``--realize-isolate``) can import the same callable, and a
failure snippet can call it.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from realize.testing._compiled import CompiledTarget
from realize.testing._report import Call

__all__ = ["Target", "UsageProblem", "default_targets", "is_operator", "resolve"]


class UsageProblem(ValueError):
    """A target spec that cannot be used; the plugin turns it into a usage error."""


def resolve(spec: str) -> Callable[..., Any]:
    """The callable that ``MODULE:ATTR`` (``ATTR`` may be dotted) names."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise UsageProblem(
            f"--realize-target={spec!r} is not MODULE:ATTR; try --realize-target=torch:clone"
        )
    if module_name == "torch" and attr.startswith("ops.realize."):
        import realize  # noqa: F401  (registers torch.ops.realize)
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as e:
        raise UsageProblem(f"--realize-target={spec!r}: cannot import {module_name}: {e}") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise UsageProblem(
                f"--realize-target={spec!r}: {module_name} has no attribute {attr!r}"
            ) from None
    if not callable(obj):
        raise UsageProblem(f"--realize-target={spec!r} is not callable: {obj!r}")
    return obj  # type: ignore[no-any-return]


def is_operator(fn: object) -> bool:
    """Whether ``fn`` is a torch operator (what ``opcheck`` can test)."""
    return isinstance(fn, (torch._ops.OpOverload, torch._ops.OpOverloadPacket))


@dataclass(frozen=True)
class Target:
    """One callable under test.

    ``name``: its test id; ``spec``: ``MODULE:ATTR`` that imports it again;
    ``backend``/``dynamic``: ``--realize-compile``/``--realize-dynamic``.
    """

    name: str
    spec: str
    fn: Callable[..., Any] = field(compare=False, repr=False)
    backend: str | None = None
    dynamic: bool | None = None

    @classmethod
    def of(
        cls,
        spec: str,
        *,
        name: str | None = None,
        backend: str | None = None,
        dynamic: bool | None = None,
    ) -> Target:
        return cls(name or spec, spec, resolve(spec), backend, dynamic)

    @functools.cached_property
    def call(self) -> Call:
        """How failure messages and snippets name it: by what ``spec`` imports."""
        own = Call.of(self.fn)
        module, _, attr = self.spec.partition(":")
        if own.expression == f"{module}.{attr}" or (is_operator(self.fn) and own.expression):
            return own
        return Call((f"import {module}",), f"{module}.{attr}")

    @functools.cached_property
    def callable(self) -> Callable[..., Any]:
        """What the properties call: the target itself, or compiled under ``backend``."""
        if self.backend is not None:
            return CompiledTarget(self.fn, self.backend, self.dynamic, call=self.call)
        if Call.of(self.fn) == self.call:
            return self.fn
        return _Named(self.fn, self.call)

    @property
    def operator(self) -> bool:
        return is_operator(self.fn)


class _Named:
    """``fn``, named in messages as its spec imports it (``Call.of`` reads ``__realize_call__``)."""

    def __init__(self, fn: Callable[..., Any], call: Call) -> None:
        self.fn, self.__realize_call__ = fn, call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return self.__realize_call__.expression


def default_targets(*, backend: str | None = None, dynamic: bool | None = None) -> list[Target]:
    """Every operator of ``realize/_ops.py``: its function and its bare operator."""
    from realize._ops import OPS

    targets = []
    for op in OPS:
        for spec, name in (
            (f"realize:{op.name}", f"realize.{op.name}"),
            (f"torch:ops.realize.{op.name}.default", f"torch.ops.realize.{op.name}.default"),
        ):
            targets.append(Target.of(spec, name=name, backend=backend, dynamic=dynamic))
    return targets
