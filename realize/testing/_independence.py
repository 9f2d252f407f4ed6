"""Aliasing independence: the result shares nothing with its input.

No shared memory (storage byte ranges), no shared version counter (views share
one), writes into either leave the other unchanged, and the call itself leaves
the input alone: same bytes in its whole storage, same version counter, same
metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from realize.testing._bits import bit_view, has_data, storage_bytes
from realize.testing._report import Call, Report, recorded
from realize.testing._tensor_layouts import is_plain, parts, shared_parts
from realize.testing._tensor_layouts import metadata as layout_metadata
from realize.testing._version_counter import bumped, restorable

__all__ = ["assert_independent"]


def _metadata(t: Tensor) -> dict[str, object]:
    strided = t.layout == torch.strided
    return {
        "dtype": t.dtype,
        "shape": tuple(t.shape),
        "stride": t.stride() if strided else None,
        "storage_offset": t.storage_offset() if strided else None,
        "requires_grad": t.requires_grad,
        "is_conj": t.is_conj(),
        "is_neg": t.is_neg(),
        "grad": id(t.grad) if t.is_leaf and t.grad is not None else None,
    }


def assert_independent(
    result: Tensor | Callable[[Tensor], Tensor],
    source: Tensor,
    *,
    call: Callable[..., Any] | str | None = None,
) -> None:
    """Assert that ``result`` and ``source`` share no memory and no version counter.

    With a callable (``assert_independent(torch.clone, x)``) it also asserts that
    the call does not mutate ``x``: the bytes of its whole storage, its version
    counter (an in-place no-op bumps it) and its metadata stay as they were.
    On the meta device, which has no memory, only identity and the version counter
    are checked.

    What it does to ``x`` and the result: it leaves no trace. To check independence it
    bumps the result's version counter and flips every bit of each storage in place
    (``bitwise_not_``), then flips them back and sets both version counters back to
    their values before the call, so autograd graphs that saved either tensor still
    run backward, and every byte is as it was. Where this torch cannot set a version
    counter back (``realize.testing._version_counter``), the shared-counter check falls
    back to comparing ``_base`` instead of bumping.

    Thread safety: not thread-safe. While it runs, the storages hold flipped bytes
    and a bumped version counter; do not read or write ``x`` or the result (or any
    view of them) from another thread or CUDA stream until it returns.

    >>> import torch
    >>> from realize.testing import assert_independent
    >>> assert_independent(torch.clone, torch.ones(3).expand(2, 3))
    """
    __tracebackhide__ = True
    tensors = [recorded("x", source)]
    if not isinstance(result, Tensor) and call is None:
        call = result
    report = Report("independence", Call.of(call))
    reproduce = [f"realize.testing.assert_independent({report.call.expression}, x)"]
    if not is_plain(source):
        _assert_layout_independent(report, result, source)
        report.raise_if_failed(tensors, reproduce)
        return
    if isinstance(result, Tensor):
        got = result
    else:
        before_bytes = storage_bytes(source).clone() if has_data(source) else None
        before_version, before_meta = source._version, _metadata(source)
        with report.calling(tensors, reproduce):
            got = result(source)
    if not isinstance(result, Tensor):
        _check_not_mutated(report, source, before_bytes, before_version, before_meta)
    if not isinstance(got, Tensor):
        report.fail("type", type(got).__name__, "Tensor")
    else:
        _check_unshared(report, got, source)
    report.raise_if_failed(tensors, reproduce)


def _assert_layout_independent(
    report: Report, result: Tensor | Callable[[Tensor], Tensor], source: Tensor
) -> None:
    """Sparse, quantized, nested: shares no more memory with the input than clone does,
    and leaves the input's parts and metadata as they were."""
    before_parts = {k: v.detach().clone() for k, v in parts(source).items()}
    before_meta, before_version = layout_metadata(source), source._version
    if isinstance(result, Tensor):
        got = result
    else:
        with report.calling([recorded("x", source)], []):
            got = result(source)
        if source._version != before_version:
            report.fail("input._version", source._version, f"{before_version} (input mutated)")
        for key, value in layout_metadata(source).items():
            if before_meta.get(key) != value:
                report.fail(f"input.{key}", value, f"{before_meta.get(key)} (input mutated)")
        after = parts(source)
        for name, before in before_parts.items():
            now = after.get(name)
            changed = (
                now is not None
                and now.shape == before.shape
                and has_data(now)
                and bool((bit_view(now) != bit_view(before)).any())
            )
            if changed:
                report.fail(f"input.{name}", "changed", "unchanged (input mutated)")
    if not isinstance(got, Tensor):
        report.fail("type", type(got).__name__, "Tensor")
        return
    if got is source:
        report.fail("result is input", True, False)
        return
    allowed = shared_parts(source.clone(), source)  # what clone itself shares
    for ours, theirs in sorted(shared_parts(got, source) - allowed):
        report.fail(f"result.{ours} shares memory with input.{theirs}", True, False)


def _check_not_mutated(
    report: Report,
    source: Tensor,
    before_bytes: Tensor | None,
    before_version: int,
    before_meta: dict[str, object],
) -> None:
    if source._version != before_version:
        report.fail("input._version", source._version, f"{before_version} (input mutated)")
    after_meta = _metadata(source)
    for key, value in before_meta.items():
        if after_meta[key] != value:
            report.fail(f"input.{key}", after_meta[key], f"{value} (input mutated)")
    if before_bytes is not None:
        after = storage_bytes(source)
        if after.shape != before_bytes.shape:
            report.fail("input storage nbytes", after.numel(), before_bytes.numel())
        elif not torch.equal(after, before_bytes):
            where = int((after != before_bytes).nonzero()[0])
            report.fail(
                f"input storage byte {where}",
                f"0x{int(after[where]):02x}",
                f"0x{int(before_bytes[where]):02x} (input mutated)",
            )


def _check_unshared(report: Report, result: Tensor, source: Tensor) -> None:
    if result is source:
        report.fail("result is input", True, False)
        return
    if result.layout != torch.strided or source.layout != torch.strided:
        return
    # Views share the version counter of their base; so does detach(). Bump the result's
    # and watch the input's, then set both back (see assert_independent's docstring).
    if restorable():
        version = source._version
        with bumped(result, source):
            after = source._version
        if after != version:
            report.fail("input._version after bumping result's", after, version)
    comparable = has_data(result) and has_data(source) and result.device == source.device
    if not comparable or not restorable():
        base = result._base
        if base is not None and (base is source or base is source._base):
            report.fail("result._base is the input's", True, False)
    if not comparable:
        return
    overlap = _overlap(result, source)
    if overlap:
        report.fail("shared storage bytes", overlap, 0)
        return
    _check_writes(report, result, source)


def _overlap(a: Tensor, b: Tensor) -> int:
    """Bytes that the storages of ``a`` and ``b`` have in common."""
    sa, sb = a.untyped_storage(), b.untyped_storage()
    lo = max(sa.data_ptr(), sb.data_ptr())
    hi = min(sa.data_ptr() + sa.nbytes(), sb.data_ptr() + sb.nbytes())
    return max(0, hi - lo)


def _check_writes(report: Report, result: Tensor, source: Tensor) -> None:
    """Flip every bit of one storage, check the other is untouched, then undo."""
    for written, watched, name in ((result, source, "input"), (source, result, "result")):
        target, other = storage_bytes(written), storage_bytes(watched)
        other_before = other.clone()
        target.bitwise_not_()
        try:
            if not torch.equal(other, other_before):
                report.fail(
                    f"{name} after writing into the {'result' if name == 'input' else 'input'}",
                    "changed",
                    "unchanged",
                )
        finally:
            target.bitwise_not_()
