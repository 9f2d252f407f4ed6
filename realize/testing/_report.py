"""Failure messages: one line per broken property, the tensors involved, a reproduction.

Every message line has one shape, ``property=got, but should be expected [call]``
(as array-api-tests does), and the message ends with a Python snippet that
rebuilds the input exactly -- same storage bytes, size, strides, storage offset,
conj/neg bits and ``requires_grad`` -- and repeats the failing check.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from realize._bit_dtypes import word_dtype
from realize.testing._bits import differences, format_bits, has_data, storage_bytes
from realize.testing._tensor_layouts import is_plain

__all__ = [
    "Call",
    "Report",
    "TargetRaised",
    "TensorRecord",
    "recorded",
    "storage_nbytes",
]

#: How many differing elements a values failure lists.
SHOWN_DIFFERENCES = 5


class TargetRaised(AssertionError):
    """The callable under test raised: reported like a wrong result, with input and snippet.

    The original exception is the ``__cause__``.
    """


# Inputs whose storage holds at most this many elements are written out in full.
MAX_SNIPPET_ELEMENTS = 256


@dataclass(frozen=True)
class Call:
    """How to name and import the callable under test in a message and a snippet."""

    imports: tuple[str, ...]
    expression: str  # e.g. "torch.clone" or "torch.ops.realize.realize.default"

    @classmethod
    def of(cls, fn: Callable[..., Any] | str | Call | None) -> Call:
        """How to name ``fn``: its own ``__realize_call__`` (a compiled or named target),
        ``torch.ops.NS.op.overload`` for an operator, else the shortest public module
        path that holds it (``realize.realize``, not ``realize._functions.realize``)."""
        if isinstance(fn, Call):
            return fn
        if fn is None:
            return cls(("fn = ...  # the callable that produced the result",), "fn")
        if isinstance(fn, str):
            return cls((), fn)
        own = getattr(fn, "__realize_call__", None)  # e.g. a compiled target
        if isinstance(own, Call):
            return own
        if isinstance(fn, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)):
            expression = f"torch.ops.{fn}"
            namespace = str(fn).split(".")[0]
            imports = ["import torch"]
            if namespace != "aten" and importlib.util.find_spec(namespace) is not None:
                imports.append(f"import {namespace}  # registers torch.ops.{namespace}")
            return cls(tuple(imports), expression)
        module = getattr(fn, "__module__", None) or ""
        parts = module.split(".")
        # realize._functions -> try realize first: the public name wins
        candidates = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
        for name in (getattr(fn, "__qualname__", None), getattr(fn, "__name__", None)):
            if not name or "<" in name:
                continue
            for candidate in candidates:
                if _resolves(candidate, name, fn):
                    return cls((f"import {candidate}",), f"{candidate}.{name}")
        return cls((f"fn = ...  # the callable under test: {fn!r:.80}",), "fn")

    def __call__(self, *args: str) -> str:
        return f"{self.expression}({', '.join(args)})"


def _resolves(module: str, qualname: str, fn: object) -> bool:
    obj: Any = sys.modules.get(module)
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    return obj is fn


@dataclass(frozen=True)
class TensorRecord:
    """Everything needed to describe a tensor and rebuild it later.

    Taken before the call under test, so a call that mutates its input is
    reproduced from the input it was given.
    """

    size: tuple[int, ...]
    stride: tuple[int, ...] | None
    storage_offset: int
    dtype: torch.dtype
    device: torch.device
    layout: torch.layout
    requires_grad: bool
    is_conj: bool
    is_neg: bool
    storage: Tensor | None = field(repr=False)  # uint8 copy on cpu; None if not kept
    #: sparse, quantized, nested: what kind, and how to rebuild it from plain pieces
    kind: str = ""
    recipe: str = ""  # an expression in the pieces' names, "{name}" standing for the tensor's
    pieces: tuple[tuple[str, TensorRecord, int], ...] = field(default=(), repr=False)

    @classmethod
    def of(cls, t: Tensor, *, keep_values: bool = True) -> TensorRecord:
        """``t``'s metadata, and a copy of its storage bytes when small and ``keep_values``."""
        strided = is_plain(t)
        if not strided:
            return cls._of_layout(t, keep_values)
        storage = None
        if keep_values and strided and has_data(t):
            raw = storage_bytes(t)
            if raw.numel() <= MAX_SNIPPET_ELEMENTS * t.dtype.itemsize:
                storage = raw.cpu().clone()
        return cls(
            size=tuple(t.shape),
            stride=tuple(t.stride()) if strided else None,
            storage_offset=int(t.storage_offset()) if strided else 0,
            dtype=t.dtype,
            device=t.device,
            layout=t.layout,
            requires_grad=t.requires_grad,
            is_conj=t.is_conj(),
            is_neg=t.is_neg(),
            storage=storage,
        )

    @classmethod
    def _of_layout(cls, t: Tensor, keep_values: bool) -> TensorRecord:
        recipe, pieces = layout_recipe(t)
        return cls(
            size=() if t.is_nested else tuple(t.shape),
            stride=None,
            storage_offset=0,
            dtype=t.dtype,
            device=t.device,
            layout=t.layout,
            requires_grad=t.requires_grad,
            is_conj=False,
            is_neg=False,
            storage=None,
            kind=describe_layout(t),
            recipe=recipe,
            pieces=tuple(
                (name, TensorRecord.of(p.detach(), keep_values=keep_values), storage_nbytes(p))
                for name, p in pieces.items()
            ),
        )

    def describe(self) -> str:
        if self.kind:
            return f"{self.kind}, dtype={self.dtype}, device={self.device}, " + (
                f"requires_grad={self.requires_grad}"
            )
        parts = [f"dtype={self.dtype}", f"shape={self.size}"]
        if self.stride is not None:
            parts += [f"stride={self.stride}", f"storage_offset={self.storage_offset}"]
        else:
            parts.append(f"layout={self.layout}")
        parts += [f"device={self.device}", f"requires_grad={self.requires_grad}"]
        if self.is_conj:
            parts.append("is_conj=True")
        if self.is_neg:
            parts.append("is_neg=True")
        return ", ".join(parts)

    def source(self, name: str, storage_nbytes: int) -> list[str]:
        """Python lines that bind ``name`` to a tensor equal to the recorded one."""
        if self.stride is None:
            return layout_source(name, self)
        dtype, device = self.dtype, str(self.device)
        itemsize = dtype.itemsize
        count, rest = divmod(storage_nbytes, itemsize)
        lines: list[str] = []
        if self.storage is not None and rest == 0:
            int_dtype = word_dtype(itemsize)
            words = self.storage.view(int_dtype).tolist()
            lines.append(
                f"{name}_storage = torch.tensor({words}, dtype={int_dtype}, "
                f"device={device!r}).view({dtype})  # raw bits"
            )
        else:
            why = "no data on meta" if self.device.type == "meta" else "values not shown"
            lines.append(
                f"{name}_storage = torch.zeros({count}, dtype={dtype}, device={device!r})  # {why}"
            )
        view = f"{name}_storage.as_strided({self.size}, {self.stride}, {self.storage_offset})"
        if self.is_conj:
            view += ".conj()"
        if self.is_neg:
            view = f"torch._neg_view({view})"
        if self.requires_grad:
            view += ".detach().requires_grad_()"
        comment = "  # a negative-bit view, as z.conj().imag makes" if self.is_neg else ""
        lines.append(f"{name} = {view}{comment}")
        return lines


def recorded(name: str, t: Tensor) -> tuple[str, TensorRecord, int]:
    """``t`` as a report describes and rebuilds it: (name, record, storage bytes).

    Take it before the call under test, so a mutated input is reproduced as given.
    """
    return name, TensorRecord.of(t), storage_nbytes(t)


@dataclass
class Report:
    """Collects failed properties of one check and raises them as one AssertionError."""

    check: str  # e.g. "clone semantics"
    call: Call
    failures: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    def fail(self, prop: str, got: object, expected: object, where: str | None = None) -> None:
        where = where or self.call("x")
        self.failures.append(f"{prop}={got}, but should be {expected} [{where}]")

    def fail_values(self, prop: str, got: Tensor, expected: Tensor) -> bool:
        """Compare values bit for bit; on a difference, say how many and where. True if equal.

        The headline names the first differing element and how many differ (a
        sign flip of every element must not read like a signed-zero nitpick);
        a detail line lists the first few.
        """
        count, where = differences(got, expected, SHOWN_DIFFERENCES)
        if not count:
            return True
        first = where[0]
        index = f"[{', '.join(map(str, first))}]" if first else ""
        total = expected.numel()
        self.fail(
            f"{prop}{index}",
            format_bits(got, first),
            f"{format_bits(expected, first)}; {count} of {total} elements differ",
        )
        shown = "; ".join(
            f"[{', '.join(map(str, i))}] {format_bits(got, i)} vs {format_bits(expected, i)}"
            for i in where
        )
        more = f" (first {len(where)})" if count > len(where) else ""
        self.details.append(f"{prop} differ at{more}: {shown}")
        return False

    @contextlib.contextmanager
    def calling(
        self,
        tensors: Sequence[tuple[str, TensorRecord, int]],
        reproduce: Sequence[str],
    ) -> Iterator[None]:
        """Around calls of the target: report an exception like a wrong result.

        An exception becomes :class:`TargetRaised` with the input described and
        the reproduction snippet, like a wrong result.
        """
        __tracebackhide__ = True
        try:
            yield
        except AssertionError:
            raise
        except Exception as e:  # the target's own error, whatever it is
            first = (str(e).strip().splitlines() or [""])[0][:300]
            self.fail("call", f"raised {type(e).__name__}({first!r})", "a result")
            try:
                self.raise_if_failed(tensors, reproduce)
            except AssertionError as report:
                raise TargetRaised(str(report)) from e

    def raise_if_failed(
        self,
        tensors: Sequence[tuple[str, TensorRecord, int]],
        reproduce: Sequence[str],
    ) -> None:
        """Raise if any property failed.

        ``tensors`` are ``(name, record, storage_nbytes)`` for every tensor the
        snippet must rebuild; ``reproduce`` the lines that repeat the check.
        """
        __tracebackhide__ = True
        if not self.failures:
            return
        lines = [f"{self.check}: {f}" for f in self.failures]
        lines += [f"  {d}" for d in self.details]
        for name, record, _ in tensors:
            lines.append(f"  {name}: {record.describe()}")
        head = ["import torch", *self.call.imports, "import realize.testing"]
        imports = [s for s in head if s.startswith("import ")]
        snippet = list(dict.fromkeys(imports + [s for s in head if s not in imports]))
        for name, record, nbytes in tensors:
            snippet += record.source(name, nbytes)
        snippet += reproduce
        lines += ["", "Reproduce with:", "", *("    " + s for s in snippet)]
        raise AssertionError("\n".join(lines))


def storage_nbytes(t: Tensor) -> int:
    return t.untyped_storage().nbytes() if is_plain(t) else 0


def describe_layout(t: Tensor) -> str:
    """``sparse_coo shape=(4, 6), nnz=3, coalesced=False`` and the like."""
    if t.is_nested:
        sizes = [tuple(c.shape) for c in t.detach().unbind()]
        return f"nested {str(t.layout).removeprefix('torch.')}, components {sizes}"
    if t.is_quantized:
        scheme = str(t.qscheme()).removeprefix("torch.")
        return f"quantized {scheme}, shape={tuple(t.shape)}, stride={t.stride()}"
    layout = str(t.layout).removeprefix("torch.")
    extra = f", nnz={t._nnz()}"
    if t.layout == torch.sparse_coo:
        extra += f", coalesced={t.is_coalesced()}, dense_dim={t.dense_dim()}"
    else:
        extra += f", dense_dim={t.dense_dim()}"
    return f"{layout} shape={tuple(t.shape)}{extra}"


def layout_recipe(t: Tensor) -> tuple[str, dict[str, Tensor]]:
    """How to build ``t`` again from plain tensors: an expression and the tensors it names."""
    t = t.detach()
    if t.is_nested and t.layout == torch.jagged:
        return "torch.nested.nested_tensor_from_jagged({n}_values, {n}_offsets)", {
            "values": t.values(),
            "offsets": t.offsets(),  # type: ignore[attr-defined]
        }
    if t.is_nested:
        components = {f"component{i}": c for i, c in enumerate(t.unbind())}
        names = ", ".join(f"{{n}}_{k}" for k in components)
        return f"torch.nested.nested_tensor([{names}])", components
    if t.is_quantized:
        if t.qscheme() in (torch.per_tensor_affine, torch.per_tensor_symmetric):
            return (
                f"torch._make_per_tensor_quantized_tensor({{n}}_int_repr, {t.q_scale()!r}, "
                f"{t.q_zero_point()!r})",
                {"int_repr": t.int_repr()},
            )
        return (
            "torch._make_per_channel_quantized_tensor({n}_int_repr, {n}_scales, "
            f"{{n}}_zero_points, {t.q_per_channel_axis()})",
            {
                "int_repr": t.int_repr(),
                "scales": t.q_per_channel_scales(),
                "zero_points": t.q_per_channel_zero_points(),
            },
        )
    size = tuple(t.shape)
    if t.layout == torch.sparse_coo:
        return (
            f"torch.sparse_coo_tensor({{n}}_indices, {{n}}_values, {size}, "
            f"is_coalesced={t.is_coalesced()})",
            {"indices": t._indices(), "values": t._values()},
        )
    compressed, plain = (
        (t.crow_indices(), t.col_indices())
        if t.layout in (torch.sparse_csr, torch.sparse_bsr)
        else (t.ccol_indices(), t.row_indices())
    )
    return (
        f"torch.sparse_compressed_tensor({{n}}_compressed, {{n}}_plain, {{n}}_values, {size}, "
        f"layout={t.layout})",
        {"compressed": compressed, "plain": plain, "values": t.values()},
    )


def layout_source(name: str, record: TensorRecord) -> list[str]:
    """Lines that rebuild a sparse, quantized or nested tensor from its plain pieces."""
    lines: list[str] = []
    for piece, piece_record, nbytes in record.pieces:
        lines += piece_record.source(f"{name}_{piece}", nbytes)
    lines.append(f"{name} = {record.recipe.format(n=name)}  # {record.kind}")
    if record.requires_grad:
        lines.append(f"{name}.requires_grad_()")
    return lines
