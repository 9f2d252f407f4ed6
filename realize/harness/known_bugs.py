"""Known PyTorch bugs the harness meets, as data: which inputs hit each, in which versions.

Like array-api-tests' ``xfails.txt``, but each entry says *which inputs* hit the
bug (a predicate on the property, the input and the compile mode), the torch
versions affected (a PEP 440 range) and the message the failure must match, so
one bad dtype does not hide a whole test. ``realize.harness._recorder`` applies
the table (``--realize-known-bugs``):

- an example whose failure matches an entry is set aside and the test goes on;
  a test whose only failures are known bugs is an expected failure (``XFAIL``)
  naming the entry and its upstream issue;
- examples that matched an *exact* entry's predicate but *none* failed make the
  test fail (strict XPASS): PyTorch fixed the bug, narrow ``affected``. An entry
  is ``exact`` when its predicate recognises precisely the failing inputs (a
  dtype that never compiles); where the bug also depends on values or on
  Dynamo's recompilation history (the negative bit of a zero, dynamic shapes
  after a recompile), a passing match proves nothing, and the strict check is
  the entry's deterministic reproduction in this repository's
  ``tests/harness/test_findings.py`` (docs/findings.md).

Which runs use the list: ``auto`` (default) sets known bugs aside for realize's
own operators and reports them as plain failures, with the entry named, for an
explicit ``--realize-target`` -- pointing the harness at ``torch:clone`` is how
one finds these bugs, so it must show them. ``xfail`` and ``fail`` force either
behaviour; ``fail=NAME[,NAME]`` fails the named entries and xfails the others
(to see one bug that another would shadow).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from torch import Tensor

__all__ = [
    "KNOWN_BUGS",
    "Context",
    "KnownBug",
    "applicable",
    "entry",
    "inductor_cannot_copy",
    "inductor_cuda_cannot_copy",
]

TORCH = Version(torch.__version__.split("+")[0])


@dataclass(frozen=True)
class Context:
    """What a predicate may look at: the property, the input, the target and its mode."""

    prop: str  # "clone_semantics", "independence", "identity_backward", "jvp", ...
    x: Tensor
    target: object  # the raw target (not compiled, not wrapped)
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
    # True for a limitation torch documents (its own error says so), not a bug
    limitation: bool = False

    def exact_for(self, target: object) -> bool:
        """Whether a passing match on ``target`` proves the bug fixed (a strict XPASS).

        Exactness was established on clone's own code paths: ``torch.clone``,
        ``Tensor.clone`` and realize's operators. Another target (``empty_like(x).copy_(x)``
        lowers to other Inductor code) may simply not meet the bug: there a passing match
        proves nothing, and the entry only sets failures aside."""
        return self.exact and _clone_lowered(target)

    @property
    def kind(self) -> str:
        """How reports name it: ``known upstream bug`` or ``documented limitation``."""
        return "documented limitation" if self.limitation else "known upstream bug"

    def in_range(self) -> bool:
        return _torch_in(self.affected)


@functools.cache
def _torch_in(affected: str) -> bool:
    return TORCH in SpecifierSet(affected)


def _clone_lowered(target: object) -> bool:
    """torch.clone, Tensor.clone, or one of realize's operators or their functions."""
    if target is torch.clone or target is torch.Tensor.clone:
        return True
    if isinstance(target, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)):
        return target.namespace == "realize"
    return getattr(target, "__module__", None) == "realize._functions"


def _custom_op(target: object) -> bool:
    return isinstance(target, torch._ops.OpOverload) and target.namespace not in ("aten", "prims")


def _odd_degenerate_strides(x: Tensor) -> bool:
    """Whether clone keeps a stride of a size-0/1 dimension that is not the contiguous one."""
    if x.layout != torch.strided or x.is_nested or x.is_quantized:
        return False
    kept, contiguous, acc = x.clone().stride(), [], 1
    for n in reversed(x.shape):
        contiguous.append(acc)
        acc *= max(n, 1)
    contiguous.reverse()
    return any(n <= 1 and k != c for n, k, c in zip(x.shape, kept, contiguous, strict=True))


def _layout(x: Tensor) -> bool:
    """A sparse, quantized or nested tensor."""
    return x.layout != torch.strided or x.is_nested or x.is_quantized


def _not_float_zero(x: Tensor) -> bool:
    return x.numel() > 0 and x.device.type != "meta"


#: The bits dtypes: Inductor fails to lower a copy of them on every device, empty or not.
_BITS = ("bits8", "bits1x8", "bits2x4", "bits4x2", "bits16")

#: dtype name -> the torch versions whose Inductor C++ backend cannot copy it
#: (float8_e8m0fnu compiles from torch 2.14; seen failing on 2.13, compiling on 2.14.1)
INDUCTOR_CANNOT_COPY: dict[str, str] = {
    **dict.fromkeys(_BITS, ">=2.4"),
    "float8_e8m0fnu": ">=2.4,<2.14",
    "float4_e2m1fn_x2": ">=2.4",
}
#: of those, the ones that fail in code generation, which a tensor without elements never
#: reaches: Inductor copies an empty float8_e8m0fnu (the bits dtypes fail in lowering)
_CODEGEN_ONLY = frozenset({"float8_e8m0fnu", "float4_e2m1fn_x2"})

#: dtype name -> the torch versions whose Inductor cannot copy it on CUDA (measured with
#: torch 2.11 on an H100): the bits dtypes, and the fnuz float8s, which Triton has only
#: for AMD GPUs. float8_e8m0fnu and float4_e2m1fn_x2 copy fine there.
INDUCTOR_CUDA_CANNOT_COPY: dict[str, str] = {
    **dict.fromkeys(_BITS, ">=2.4"),
    "float8_e4m3fnuz": ">=2.4",
    "float8_e5m2fnuz": ">=2.4",
}
#: of those, the ones that fail in Triton, which an empty tensor never reaches (measured)
_TRITON_ONLY = frozenset({"float8_e4m3fnuz", "float8_e5m2fnuz"})


def _cannot_copy(
    table: dict[str, str], codegen_only: frozenset[str], dtype: torch.dtype, numel: int
) -> bool:
    name = str(dtype).removeprefix("torch.")
    affected = table.get(name)
    if affected is None or not _torch_in(affected):
        return False
    return numel > 0 or name not in codegen_only


def inductor_cannot_copy(dtype: torch.dtype, numel: int = 1) -> bool:
    """Whether this torch's Inductor C++ backend fails to compile a copy of ``numel``
    elements of ``dtype``."""
    return _cannot_copy(INDUCTOR_CANNOT_COPY, _CODEGEN_ONLY, dtype, numel)


def inductor_cuda_cannot_copy(dtype: torch.dtype, numel: int = 1) -> bool:
    """Whether this torch's Inductor fails to compile a copy of ``numel`` elements of
    ``dtype`` on CUDA."""
    return _cannot_copy(INDUCTOR_CUDA_CANNOT_COPY, _TRITON_ONLY, dtype, numel)


KNOWN_BUGS: tuple[KnownBug, ...] = (
    KnownBug(
        name="inductor-ignores-negative-bit",
        issue="https://github.com/pytorch/pytorch/issues/145093",
        affected=">=2.4",
        # gradcheck perturbs the input, so there a negative-bit zero shows the bug too
        applies=lambda c: (
            c.backend == "inductor"
            and (
                any(t.is_neg() and _not_float_zero(t) for t in c.values)
                or (c.prop == "gradcheck" and c.x.is_neg())
            )
        ),
        message=r"(values|output|tangent|cotangent|grad)(\[[^\]]*\])?=|gradcheck=failed: Jacobian",
        summary="Inductor ignores the negative bit of a graph input: "
        "torch.compile(torch.clone)(z.conj().imag) returns z.imag",
    ),
    KnownBug(
        name="inductor-clone-exotic-dtypes",
        issue="no upstream issue found; docs/findings.md#inductor-clone-exotic-dtypes",
        affected=">=2.4",
        applies=lambda c: (
            c.backend == "inductor"
            and inductor_cannot_copy(c.x.dtype, c.x.numel())
            # C++ codegen only: compiles on meta (test_meta_matches_cpu calls the target
            # on cpu too); CUDA is inductor-cuda-clone-exotic-dtypes
            and (c.x.device.type == "cpu" or c.prop == "meta_matches_cpu")
            # the gradient of a sparse or nested tensor of these dtypes is not computed
            # (no arithmetic): the target is never called, nothing can fail
            and not (c.prop == "identity_backward" and _layout(c.x))
        ),
        message=r"call=raised (InductorError|BackendCompilerFailed)",
        summary="Inductor's C++ backend cannot compile a copy of the bits dtypes (bits8, "
        "bits1x8, bits2x4, bits4x2, bits16), float4_e2m1fn_x2 (and float8_e8m0fnu before "
        "torch 2.14)",
        exact=True,
    ),
    KnownBug(
        name="inductor-cuda-clone-exotic-dtypes",
        issue="no upstream issue found for the bits dtypes; the fnuz float8s: "
        "https://github.com/pytorch/pytorch/issues/126734 (fnuz float8 exists in Triton for "
        "AMD GPUs only); docs/findings.md#inductor-cuda-clone-exotic-dtypes",
        affected=">=2.4",
        applies=lambda c: (
            c.backend == "inductor"
            and c.x.device.type == "cuda"
            and inductor_cuda_cannot_copy(c.x.dtype, c.x.numel())
            and not (c.prop == "identity_backward" and _layout(c.x))
        ),
        message=r"call=raised (InductorError|BackendCompilerFailed)",
        summary="Inductor on CUDA cannot compile a copy of the bits dtypes (bits8, bits1x8, "
        "bits2x4, bits4x2, bits16) nor of float8_e4m3fnuz and float8_e5m2fnuz",
        # measured on one GPU and one torch version: a passing match proves nothing yet
        exact=False,
    ),
    KnownBug(
        name="inductor-meta-requires-grad",
        issue="no upstream issue found; docs/findings.md#inductor-meta-requires-grad",
        affected=">=2.4,<2.14",  # compiles on torch 2.14.1
        applies=lambda c: (
            c.backend == "inductor"
            # meta_matches_cpu draws x on cpu and calls the target on its meta twin too
            and (c.x.device.type == "meta" or c.prop == "meta_matches_cpu")
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
            c.backend == "inductor"
            and (
                (c.prop == "clone_semantics" and _odd_degenerate_strides(c.x))
                # under vmap the output's size-1 dimensions are the batched input's
                or (c.prop in ("vmap", "vmap_grad") and any(n <= 1 for n in c.x.shape))
            )
        ),
        message=r"clone semantics: stride=|vmap output\.stride=",
        summary="Inductor's clone gives a size-0 or size-1 dimension the contiguous stride; "
        "eager clone keeps the input's",
    ),
    KnownBug(
        name="meta-empty-like-size-one-strides",
        issue="https://github.com/pytorch/pytorch/issues/197815 (its root cause, "
        "torch._refs.empty_like, is meta's empty_like; fix proposed in #197831)",
        affected=">=2.4",
        # Only a target built on empty_like (as torch.empty_like(x).copy_(x)) meets it;
        # clone's own meta kernel keeps the strides, so this is not exact.
        applies=lambda c: (
            (
                (c.x.device.type == "meta" and c.prop == "clone_semantics")
                or c.prop == "meta_matches_cpu"
            )
            and _odd_degenerate_strides(c.x)
        ),
        message=r"clone semantics: stride=|meta stride=",
        summary="torch.empty_like on meta gives a size-0 or size-1 dimension the contiguous "
        "stride (torch._refs.empty_like); on cpu and cuda it keeps the input's",
    ),
    KnownBug(
        name="aot-autograd-no-double-backward",
        issue="documented limitation: torch.compile with aot_autograd does not currently "
        "support double backward",
        affected=">=2.0",
        applies=lambda c: (
            c.backend in ("aot_eager", "inductor")
            and c.prop in ("identity_backward", "gradcheck")
            and not _layout(c.x)  # the layouts' backward check takes no second derivative
        ),
        message=r"does not currently support double backward",
        summary="a compiled graph's backward cannot be differentiated again (double backward)",
        exact=True,
        limitation=True,
    ),
    KnownBug(
        name="aot-autograd-restrided-tangent-create-graph",
        issue="no upstream issue found; a report to file is in docs/findings.md"
        "#aot-autograd-restrided-tangent-create-graph",
        affected=">=2.4",
        # Same inputs as the double-backward entry: both need create_graph=True. This one
        # fires first, in the first backward, when the tangent's strides differ from the
        # output's traced strides; which one fires depends on the strides: not exact.
        applies=lambda c: (
            c.backend in ("aot_eager", "inductor")
            and c.prop in ("identity_backward", "gradcheck")
            and not _layout(c.x)
        ),
        message=r"a leaf Variable that requires grad is being used in an in-place operation",
        summary="a compiled graph's backward with create_graph=True fails when the tangent's "
        "strides differ from the output's: AOTAutograd restrides it by copy_ into a leaf "
        "that requires grad",
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
            and getattr(c.target, "namespace", None) != "realize"
        ),
        message=r"(tangent|jacobian)",
        summary="an operator whose autograd comes from torch.library.register_autograd has no "
        "forward-mode formula: jvp/jacfwd give zeros, forward AD drops the tangent",
    ),
)


def entry(name: str) -> KnownBug:
    """The entry called ``name``."""
    return next(b for b in KNOWN_BUGS if b.name == name)


def applicable(context: Context) -> list[KnownBug]:
    """The entries whose versions include this torch and whose predicate matches."""
    return [b for b in KNOWN_BUGS if b.in_range() and b.applies(context)]
