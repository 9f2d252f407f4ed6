"""Layouts beyond strided: sparse, quantized, nested (strided and jagged).

Oracle: ``x.clone()`` of the same tensor. Each result must have clone's layout
and metadata, the same values bit for bit (compared on the tensor's parts:
indices, values, integer representation, components), and storage of its own.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import Tensor

import realize
from realize import realize_op
from realize.harness._targets import is_operator
from realize.testing import bit_view


def _dense() -> Tensor:
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(4, 6, generator=gen)
    return x * (torch.rand(4, 6, generator=gen) > 0.4)  # some zeros


def _uncoalesced_coo() -> Tensor:
    indices = torch.tensor([[0, 0, 3, 1], [2, 2, 5, 0]])
    return torch.sparse_coo_tensor(indices, torch.tensor([1.5, -2.0, 3.25, 4.0]), (4, 6))


def _jagged() -> Tensor:
    parts = [torch.arange(6.0).reshape(2, 3), torch.arange(12.0).reshape(4, 3)]
    return torch.nested.nested_tensor(parts, layout=torch.jagged)


def _strided_nested() -> Tensor:
    parts = [torch.arange(6.0).reshape(2, 3), torch.arange(12.0).reshape(4, 3)]
    return torch.nested.nested_tensor(parts)


CASES: dict[str, Callable[[], Tensor]] = {
    "sparse_coo": lambda: _dense().to_sparse(),
    "sparse_coo_uncoalesced": _uncoalesced_coo,
    "sparse_csr": lambda: _dense().to_sparse_csr(),
    "sparse_csc": lambda: _dense().to_sparse_csc(),
    "sparse_bsr": lambda: _dense().to_sparse_bsr((2, 3)),
    "sparse_bsc": lambda: _dense().to_sparse_bsc((2, 2)),
    "quantized_per_tensor": lambda: torch.quantize_per_tensor(_dense(), 0.05, 3, torch.qint8),
    "quantized_per_channel": lambda: torch.quantize_per_channel(
        _dense(),
        torch.tensor([0.1, 0.2, 0.05, 0.5], dtype=torch.float64),
        torch.tensor([0, 1, 2, 3]),
        0,
        torch.quint8,
    ),
    "nested_strided": _strided_nested,
    "nested_jagged": _jagged,
}


def _bits_equal(got: Tensor, want: Tensor) -> None:
    __tracebackhide__ = True
    assert (got.dtype, got.shape) == (want.dtype, want.shape)
    assert torch.equal(bit_view(got), bit_view(want)), f"{got} is not bitwise {want}"


def _parts(t: Tensor) -> list[Tensor]:
    """The plain tensors that make up ``t``, which must match one to one."""
    if t.layout == torch.sparse_coo:
        return [t._indices(), t._values()]
    if t.layout in (torch.sparse_csr, torch.sparse_bsr):
        return [t.crow_indices(), t.col_indices(), t.values()]
    if t.layout in (torch.sparse_csc, torch.sparse_bsc):
        return [t.ccol_indices(), t.row_indices(), t.values()]
    if t.is_quantized:
        return [t.int_repr()]
    if t.is_nested and t.layout == torch.jagged:
        return [t.values(), t.offsets()]
    if t.is_nested:
        return list(t.unbind())
    raise AssertionError(f"no parts for {t.layout}")


def _shares(a: Tensor, b: Tensor) -> bool:
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def _metadata(t: Tensor) -> tuple[object, ...]:
    meta: tuple[object, ...] = (type(t), t.layout, t.dtype, t.device, t.is_nested)
    if not t.is_nested:
        meta += (t.shape,)
    if t.layout == torch.sparse_coo:
        meta += (t.is_coalesced(), t.sparse_dim(), t.dense_dim())
    if t.is_quantized:
        scheme = t.qscheme()
        meta += (scheme,)
        if scheme in (torch.per_tensor_affine, torch.per_tensor_symmetric):
            meta += (t.q_scale(), t.q_zero_point())
        else:
            meta += (
                t.q_per_channel_axis(),
                t.q_per_channel_scales().tolist(),
                t.q_per_channel_zero_points().tolist(),
            )
    return meta


@pytest.mark.parametrize("make", CASES.values(), ids=CASES.keys())
def test_realize_keeps_layout_and_values(make: Callable[[], Tensor], realize_target) -> None:
    # realize_target: each of realize's operators (functions and bare operators),
    # unless --realize-target names another
    x = make()
    _check_same_layout_as_clone(x, x.clone(), realize_target(x))


def _check_same_layout_as_clone(x: Tensor, want: Tensor, got: Tensor) -> None:
    assert _metadata(got) == _metadata(want)
    got_parts, want_parts, x_parts = _parts(got), _parts(want), _parts(x)
    assert len(got_parts) == len(want_parts)
    for g, w, original in zip(got_parts, want_parts, x_parts, strict=True):
        _bits_equal(g, w)
        # Shares with the input exactly what clone shares (a jagged tensor's
        # offsets), and copies the rest.
        assert _shares(g, original) == _shares(w, original)
    assert not all(_shares(g, o) for g, o in zip(got_parts, x_parts, strict=True))
    if x.is_quantized:  # int_repr() copies anyway: look at the quantized storage itself
        assert not _shares(got, x)


@pytest.mark.parametrize("make", [CASES["sparse_coo"], _jagged], ids=["sparse_coo", "jagged"])
def test_backward_through_layout_is_identity(make: Callable[[], Tensor], realize_target) -> None:
    x = make().requires_grad_(True)
    x_ref = make().requires_grad_(True)
    for source, fn in ((x, realize_target), (x_ref, torch.clone)):
        out = fn(source)
        dense = out.to_dense() if out.layout == torch.sparse_coo else out.values()
        (dense * torch.arange(dense.numel()).reshape(dense.shape)).sum().backward()
    assert x.grad is not None and x_ref.grad is not None
    assert x.grad.layout == x_ref.grad.layout
    for g, w in zip(_parts(x.grad), _parts(x_ref.grad), strict=True):
        _bits_equal(g, w)


def test_strided_nested_with_requires_grad(realize_target) -> None:
    if is_operator(realize_target):
        pytest.skip("the bare operator cannot: test_bare_operator_on_strided_nested_...")
    x = _strided_nested().requires_grad_(True)
    x_ref = _strided_nested().requires_grad_(True)
    outs = [fn(src) for src, fn in ((x, realize_target), (x_ref, torch.clone))]
    for out in outs:
        assert out.is_nested and out.requires_grad
    grad = torch.nested.nested_tensor([torch.randn(p.shape) for p in x.unbind()])
    for out, src in zip(outs, (x, x_ref), strict=True):
        out.backward(grad)
        assert src.grad is not None
        for g, w in zip(src.grad.unbind(), grad.unbind(), strict=True):
            _bits_equal(g, w)


def test_bare_operator_on_strided_nested_with_requires_grad() -> None:
    """Eager and unobserved, the bare operator records clone's node, which can."""
    x = _strided_nested().requires_grad_(True)
    out = realize_op(x)
    assert out.is_nested and out.requires_grad


@pytest.mark.xfail(
    raises=RuntimeError,
    strict=True,
    reason="autograd.Function (so register_autograd) cannot wrap a strided NestedTensorImpl: "
    "'NestedTensorImpl doesn't support sizes'; realize.realize routes around it",
)
def test_bare_operator_on_strided_nested_with_requires_grad_through_its_kernel() -> None:
    with realize.named_grad_fn():  # through the operator's autograd kernel
        realize_op(_strided_nested().requires_grad_(True))
