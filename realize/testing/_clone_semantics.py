"""Clone semantics: a result indistinguishable from ``source.clone()``.

Same Python type, dtype, shape, device, layout, strides, storage offset,
storage size, conj/neg bits, ``requires_grad``, autograd history, and the
same values bit for bit (NaN payloads, -0.0, every dtype). For sparse,
quantized and nested tensors: the same metadata (coalesced flag, sparse and
dense dimensions, quantization scheme and parameters, ragged structure) and
every part (indices, values, integers, offsets, components) bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from realize.testing._bits import has_data
from realize.testing._report import Call, Report, recorded, storage_nbytes
from realize.testing._tensor_layouts import is_plain, metadata, parts

__all__ = ["assert_clone_semantics"]


def assert_clone_semantics(
    result: Tensor | Callable[[Tensor], Tensor],
    source: Tensor,
    *,
    call: Callable[..., Any] | str | None = None,
) -> None:
    """Assert that ``result`` is exactly what ``source.clone()`` would return.

    ``result`` is either the tensor under test or the callable that produces it
    (``assert_clone_semantics(torch.clone, x)``); the callable form computes the
    oracle before the call, so a call that mutates ``x`` cannot hide behind it.
    ``call`` names the callable in the message (default: the callable given).
    Values are compared bit for bit; on the meta device only metadata is.

    >>> import torch
    >>> from realize.testing import assert_clone_semantics
    >>> x = torch.arange(6.0).reshape(2, 3).t()
    >>> assert_clone_semantics(torch.clone, x)
    """
    __tracebackhide__ = True
    tensors = [recorded("x", source)]
    expected = source.clone()
    if not isinstance(result, Tensor) and call is None:
        call = result
    report = Report("clone semantics", Call.of(call))
    reproduce = [f"realize.testing.assert_clone_semantics({report.call.expression}, x)"]
    if isinstance(result, Tensor):
        got = result
    else:
        with report.calling(tensors, reproduce):
            got = result(source)
    _compare(report, got, expected)
    report.raise_if_failed(tensors, reproduce)


def _compare(report: Report, got: object, expected: Tensor) -> None:
    if not isinstance(got, Tensor):
        report.fail("type", type(got).__name__, type(expected).__name__)
        return
    if not (is_plain(got) and is_plain(expected)):
        _compare_layouts(report, got, expected)
        return
    fields: list[tuple[str, Callable[[Tensor], object]]] = [
        ("type", lambda t: type(t).__name__),
        ("dtype", lambda t: t.dtype),
        ("shape", lambda t: tuple(t.shape)),
        ("device", lambda t: t.device),
        ("layout", lambda t: t.layout),
    ]
    if got.layout == expected.layout == torch.strided:
        fields += [
            ("stride", lambda t: t.stride()),
            ("storage_offset", lambda t: t.storage_offset()),
            ("storage_nbytes", storage_nbytes),
        ]
    fields += [
        ("is_conj", lambda t: t.is_conj()),
        ("is_neg", lambda t: t.is_neg()),
        ("requires_grad", lambda t: t.requires_grad),
        # clone of a tensor that requires grad records history: a result that is
        # a fresh leaf with requires_grad=True is disconnected from the input.
        ("is_leaf", lambda t: t.is_leaf),
    ]
    for name, get in fields:
        g, e = get(got), get(expected)
        if g != e:
            report.fail(name, g, e)
    comparable = (
        got.dtype == expected.dtype
        and got.shape == expected.shape
        and got.layout == expected.layout == torch.strided
        and has_data(got)
        and has_data(expected)
    )
    if comparable:
        report.fail_values("values", got, expected)


def _compare_layouts(report: Report, got: Tensor, expected: Tensor) -> None:
    """Sparse, quantized, nested: the metadata, then every part bit for bit."""
    want, have = metadata(expected), metadata(got)
    for name, value in want.items():
        if have.get(name) != value:
            report.fail(name, have.get(name), value)
            if name == "shape" and expected.is_nested:
                report.details.append(
                    "a jagged tensor's ragged dimension is its offsets' identity (the nested "
                    "int j...): clone keeps the input's offsets, so the result can be combined "
                    "with the input; new offsets make another ragged structure"
                )
    if report.failures:  # a different layout or structure: the parts do not line up
        return
    got_parts, expected_parts = parts(got), parts(expected)
    for name, e in expected_parts.items():
        g = got_parts.get(name)
        if g is None:
            report.fail(f"{name} present", False, True)
            continue
        for field, gv, ev in (
            ("dtype", g.dtype, e.dtype),
            ("shape", tuple(g.shape), tuple(e.shape)),
        ):
            if gv != ev:
                report.fail(f"{name}.{field}", gv, ev)
                break
        else:
            if has_data(g) and has_data(e):
                report.fail_values(name, g, e)
