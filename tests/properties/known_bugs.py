"""Known PyTorch bugs the harness meets: expected failures, strict, per entry.

Like array-api-tests' ``xfails.txt``, but each entry says *which inputs* hit the
bug, so one bad dtype does not hide the whole test: an example whose failure
matches an entry (predicate on the input and mode, torch version in range,
message matches) is set aside and the test goes on with the next example. At
the end of the test:

- some example hit an entry and nothing else failed: the test is an expected
  failure (``XFAIL``) naming the entry and its upstream issue;
- examples matched an *exact* entry's predicate but *none* failed: the test fails
  (strict XPASS) -- PyTorch fixed the bug, narrow ``affected``. An entry is
  ``exact`` when its predicate recognises precisely the failing inputs (a dtype
  that never compiles); where the bug also depends on values or on Dynamo's
  recompilation history (the negative bit of a zero, dynamic shapes after a
  recompile), a passing match proves nothing, and the strict check lives in the
  entry's deterministic reproduction in ``tests/properties/test_findings.py``.

Which runs use the list (``--realize-known-bugs``): ``auto`` (default) uses it
for the project's own targets and reports the bugs as plain failures, with the
entry named, for an explicit ``--realize-target`` -- pointing the harness at
``torch:clone`` is how one finds these bugs, so it must show them. ``xfail``
and ``fail`` force either behaviour; ``fail=NAME[,NAME]`` fails the named
entries and xfails the others (to see one bug that another would shadow).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from torch import Tensor

from realize.testing import CompiledTarget

__all__ = ["KNOWN_BUGS", "Context", "KnownBug", "Recorder", "checking"]

TORCH = Version(torch.__version__.split("+")[0])


@dataclass(frozen=True)
class Context:
    """What a predicate may look at: the property, the input, the target and its mode."""

    prop: str  # "clone_semantics", "independence", "identity_backward", "jvp", ...
    x: Tensor
    target: object  # the raw target (unwrapped from CompiledTarget)
    backend: str | None  # the torch.compile backend, None in eager
    #: the inputs whose values the checked result reproduces (x for clone
    #: semantics, grad_output for a backward, v for a cotangent): a bug in
    #: values can only show through these
    values: tuple[Tensor, ...] = ()


@dataclass(frozen=True)
class KnownBug:
    name: str
    issue: str  # upstream link
    affected: str  # PEP 440 specifier set of torch versions, e.g. ">=2.4"
    applies: Callable[[Context], bool]
    message: str  # regex the failure message must match
    summary: str
    # True when every input the predicate matches fails: then a pass is a strict XPASS.
    exact: bool = False

    def in_range(self) -> bool:
        return TORCH in SpecifierSet(self.affected)


def _custom_op(target: object) -> bool:
    return isinstance(target, torch._ops.OpOverload) and target.namespace not in ("aten", "prims")


def _odd_degenerate_strides(x: Tensor) -> bool:
    """Whether clone keeps a stride of a size-0/1 dimension that is not the contiguous one."""
    if x.layout != torch.strided:
        return False
    kept, contiguous, acc = x.clone().stride(), [], 1
    for n in reversed(x.shape):
        contiguous.append(acc)
        acc *= max(n, 1)
    contiguous.reverse()
    return any(n <= 1 and k != c for n, k, c in zip(x.shape, kept, contiguous, strict=True))


def _not_float_zero(x: Tensor) -> bool:
    return x.numel() > 0 and x.device.type != "meta"


KNOWN_BUGS: tuple[KnownBug, ...] = (
    KnownBug(
        name="inductor-ignores-negative-bit",
        issue="https://github.com/pytorch/pytorch/issues/145093",
        affected=">=2.4",
        applies=lambda c: (
            c.backend == "inductor" and any(t.is_neg() and _not_float_zero(t) for t in c.values)
        ),
        message=r"(values|output|tangent|cotangent|grad)(\[[^\]]*\])?=",
        summary="Inductor ignores the negative bit of a graph input: "
        "torch.compile(torch.clone)(z.conj().imag) returns z.imag",
    ),
    KnownBug(
        name="inductor-clone-exotic-dtypes",
        issue="no upstream issue found; docs/findings.md#inductor-clone-exotic-dtypes",
        affected=">=2.4",
        applies=lambda c: (
            c.backend == "inductor"
            and c.x.dtype in _INDUCTOR_CANNOT_COPY
            # C++ codegen only: compiles on meta (test_meta_matches_cpu calls the target
            # on cpu too), and on CUDA Triton copied them (torch 2.11, H200)
            and (c.x.device.type == "cpu" or c.prop == "meta_matches_cpu")
        ),
        message=r"call=raised (InductorError|BackendCompilerFailed)",
        summary="Inductor's C++ backend cannot compile a copy of bits16, float8_e8m0fnu, "
        "float4_e2m1fn_x2",
        exact=True,
    ),
    KnownBug(
        name="inductor-meta-requires-grad",
        issue="no upstream issue found; docs/findings.md#inductor-meta-requires-grad",
        affected=">=2.4",
        applies=lambda c: (
            c.backend == "inductor"
            and c.x.device.type == "meta"
            and (c.x.requires_grad or c.prop in ("identity_backward", "gradcheck"))
        ),
        message=r"call=raised (InductorError|BackendCompilerFailed)",
        summary="Inductor fails to compile (min-cut partitioner) a graph of meta tensors "
        "that require grad",
        exact=True,
    ),
    KnownBug(
        name="inductor-clone-size-one-strides",
        issue="https://github.com/pytorch/pytorch/issues/197815 (the same for *_like ops)",
        affected=">=2.4",
        applies=lambda c: (
            c.backend == "inductor" and c.prop == "clone_semantics" and _odd_degenerate_strides(c.x)
        ),
        message=r"clone semantics: stride=",
        summary="Inductor's clone gives a size-0 or size-1 dimension the contiguous stride; "
        "eager clone keeps the input's",
    ),
    KnownBug(
        name="aot-autograd-no-double-backward",
        issue="documented limitation: torch.compile with aot_autograd does not currently "
        "support double backward",
        affected=">=2.0",
        applies=lambda c: (
            c.backend in ("aot_eager", "inductor") and c.prop in ("identity_backward", "gradcheck")
        ),
        message=r"does not currently support double backward",
        summary="a compiled graph's backward cannot be differentiated again (double backward)",
        exact=True,
    ),
    KnownBug(
        name="dynamo-make-dual-symbolic-storage-offset",
        issue="no upstream issue found; docs/findings.md#dynamo-make-dual-symbolic-storage-offset",
        affected=">=2.4",
        applies=lambda c: c.backend is not None and c.prop in ("jvp", "jacfwd", "forward_ad"),
        message=r"call=raised TorchRuntimeError\('RuntimeError when making fake tensor call'\)",
        summary="compiled forward AD (make_dual) fails once Dynamo makes sizes dynamic: "
        "'Cannot call storage_offset() on tensor with symbolic sizes/strides'",
    ),
    KnownBug(
        name="register-autograd-drops-forward-tangents",
        issue="no register_jvp yet: https://github.com/pytorch/pytorch/pull/131116",
        affected=">=2.4",
        # Any torch.library operator whose autograd is register_autograd's; realize's own
        # operators have an autograd kernel of their own, with a jvp rule.
        applies=lambda c: (
            c.prop in ("jvp", "jacfwd", "forward_ad")
            and _custom_op(c.target)
            and c.target.namespace != "realize"
        ),
        message=r"(tangent|jacobian)",
        summary="an operator whose autograd comes from torch.library.register_autograd has no "
        "forward-mode formula: jvp/jacfwd give zeros, forward AD drops the tangent",
    ),
)

_INDUCTOR_CANNOT_COPY = frozenset(
    getattr(torch, name)
    for name in ("bits16", "float8_e8m0fnu", "float4_e2m1fn_x2")
    if hasattr(torch, name)
)


@dataclass
class Recorder:
    """Per test: how often each entry's inputs failed and passed."""

    mode: str = "xfail"  # or "fail", or "fail=NAME,NAME": fail those, xfail the rest
    failed: dict[str, int] = field(default_factory=dict)
    passed: dict[str, int] = field(default_factory=dict)

    def sets_aside(self, bug: KnownBug) -> bool:
        """Whether a failure explained by ``bug`` is an expected failure (else it fails)."""
        if self.mode.startswith("fail="):
            return bug.name not in self.mode.removeprefix("fail=").split(",")
        return self.mode == "xfail"

    def verdict(self) -> tuple[str, str] | None:
        """``("xfail", reason)``, ``("xpass", reason)`` or None."""
        hit = [b for b in KNOWN_BUGS if self.failed.get(b.name)]
        if hit:
            return "xfail", "; ".join(
                f"known upstream bug {b.name} ({b.issue}) on {self.failed[b.name]} input(s): "
                f"{b.summary}"
                for b in hit
            )
        fixed = [b for b in KNOWN_BUGS if b.exact and self.passed.get(b.name)]
        if fixed:
            return "xpass", "; ".join(
                f"known bug {b.name} did not reproduce on any of {self.passed[b.name]} matching "
                f"input(s) with torch {torch.__version__}: fixed? narrow affected="
                f"{b.affected!r} in tests/properties/known_bugs.py ({b.issue})"
                for b in fixed
            )
        return None


#: The recorder of the running test (the harness plugin replaces it per test).
CURRENT = Recorder(mode="off")


@contextlib.contextmanager
def checking(
    prop: str, target: object, x: Tensor, values: tuple[Tensor | None, ...] | None = None
) -> Iterator[None]:
    """Around one example: set aside a failure that a known bug explains (see module doc).

    ``values``: the inputs whose values the check compares the result with
    (default ``(x,)``).
    """
    __tracebackhide__ = True
    recorder = CURRENT
    if recorder.mode == "off":
        yield
        return
    backend = target.backend if isinstance(target, CompiledTarget) else None
    raw = target.fn if isinstance(target, CompiledTarget) else target
    shown = (x,) if values is None else tuple(t for t in values if t is not None)
    context = Context(prop, x, raw, backend, shown)
    bugs = [b for b in KNOWN_BUGS if b.in_range() and b.applies(context)]
    try:
        yield
    except AssertionError as e:
        text = str(e)
        bug = next((b for b in bugs if re.search(b.message, text)), None)
        if bug is None:
            raise
        if recorder.sets_aside(bug):
            recorder.failed[bug.name] = recorder.failed.get(bug.name, 0) + 1
            return
        raise type(e)(
            f"{text}\n\nThis is known upstream bug {bug.name}: {bug.summary} ({bug.issue})"
        ) from e.__cause__
    else:
        for b in bugs:
            recorder.passed[b.name] = recorder.passed.get(b.name, 0) + 1
