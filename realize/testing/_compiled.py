"""A target run under ``torch.compile`` that proves, on every call, that it ran compiled.

Dynamo can fall back to eager without a word (recompile limit, a skipped
frame). A compiled mode that does not notice tests eager mode twice. The
function handed to ``torch.compile`` also returns ``torch.compiler.is_compiling()``:
Dynamo evaluates it while tracing and bakes ``True`` into the graph, while an
eager fallback computes ``False``. Every call checks it and raises
:class:`NotCompiled` on ``False``.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import Tensor

from realize.testing._dynamo_limits import lifted_recompile_limit
from realize.testing._report import Call

__all__ = ["BACKENDS", "CompiledTarget", "NotCompiled", "compiled"]

BACKENDS = ("eager", "aot_eager", "inductor")


class NotCompiled(RuntimeError):
    """A call through ``torch.compile`` ran eagerly (fell back), so tested nothing compiled."""


def _proving(fn: Callable[..., Any]) -> Callable[..., tuple[Any, bool]]:
    def run(*args: Any) -> tuple[Any, bool]:
        return fn(*args), torch.compiler.is_compiling()

    return run


@functools.cache
def _scratch_dir() -> str:
    path = tempfile.mkdtemp(prefix="realize-compile-")
    atexit.register(shutil.rmtree, path, True)
    return path


@contextlib.contextmanager
def _scratch_cwd() -> Iterator[None]:
    """Run in a scratch working directory: when Inductor's min-cut partitioner fails (as it
    does on meta tensors that require grad, torch < 2.14), it writes
    ``min_cut_failed_graph_N.txt`` into the working directory, the user's project."""
    before = os.getcwd()
    os.chdir(_scratch_dir())
    try:
        yield
    finally:
        os.chdir(before)


class CompiledTarget:
    """``torch.compile(fn, backend=..., dynamic=..., fullgraph=True)`` with proof of compilation.

    ``__realize_call__`` names it in failure messages, so a reproduction
    snippet compiles the same callable with the same backend.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        backend: str = "inductor",
        dynamic: bool | None = None,
        *,
        call: Callable[..., Any] | str | Call | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"backend={backend!r} is not one of {BACKENDS}")
        self.fn, self.backend, self.dynamic = fn, backend, dynamic
        self.calls = 0  # calls proven compiled
        base = Call.of(call if call is not None else fn)
        # realize.testing.compiled: torch.compile(fullgraph=True) plus the proof, and
        # what assert_transform needs to compile a transform of the target as a whole
        self.__realize_call__ = Call(
            (
                *base.imports,
                "import realize.testing",
                f"compiled = realize.testing.compiled({base.expression}, backend={backend!r}, "
                f"dynamic={dynamic!r})  # torch.compile(fn, fullgraph=True), proven compiled",
            ),
            "compiled",
        )
        self._compiled = self.compile(fn)

    def compile(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Compile any ``fn`` the same way, with the same proof (for transforms of the target)."""
        compiled = torch.compile(
            _proving(fn), backend=self.backend, dynamic=self.dynamic, fullgraph=True
        )

        scratch = _scratch_cwd if self.backend == "inductor" else contextlib.nullcontext

        def call(*args: Any) -> Any:
            with lifted_recompile_limit(), scratch():
                try:
                    out, was_compiled = compiled(*args)
                except Exception as e:
                    if "recompile" in type(e).__name__.lower() or "limit" in str(e)[:200]:
                        raise NotCompiled(f"Dynamo gave up compiling: {e}") from e
                    raise
            if was_compiled is not True:
                raise NotCompiled(
                    f"torch.compile(backend={self.backend!r}) ran this call eagerly "
                    "(recompile limit or skipped frame): the example tested nothing compiled"
                )
            self.calls += 1
            return out

        return call

    def __call__(self, x: Tensor) -> Tensor:
        return self._compiled(x)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"CompiledTarget({self.fn!r}, backend={self.backend!r}, dynamic={self.dynamic!r})"


def compiled(
    fn: Callable[..., Any],
    backend: str = "inductor",
    dynamic: bool | None = None,
    *,
    call: Callable[..., Any] | str | Call | None = None,
) -> CompiledTarget:
    """``fn`` under ``torch.compile(..., fullgraph=True)``; each call fails unless it ran compiled.

    >>> import torch
    >>> from realize.testing import assert_clone_semantics, compiled
    >>> assert_clone_semantics(compiled(torch.clone, "aot_eager"), torch.ones(3))
    """
    return CompiledTarget(fn, backend, dynamic, call=call)
