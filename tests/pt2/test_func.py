"""torch.func transforms of ``realize.realize`` are exactly those of the identity.

The oracle is ``torch.clone`` under the same transform (its derivative is the
identity too) or the incoming tangent/cotangent itself; every comparison is
bitwise. The last tests pin down what the bare operator does under the same
transforms (PyTorch limitations of ``register_autograd`` operators), which the
README documents.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.autograd.forward_ad as fwAD
from hypothesis import given
from hypothesis import strategies as st
from torch import Tensor, func

import realize

R = realize.realize
OP = torch.ops.realize.realize.default


@st.composite
def _tensor_pairs(draw: st.DrawFn) -> tuple[Tensor, Tensor]:
    """A small float64 tensor and a second one of the same shape (a tangent or cotangent)."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**32 - 1)))
    x = torch.randn(shape, generator=gen, dtype=torch.float64)
    return x, torch.randn(shape, generator=gen, dtype=torch.float64)


def _exact(got: Tensor, want: Tensor) -> None:
    __tracebackhide__ = True
    torch.testing.assert_close(got, want, rtol=0, atol=0)


@given(_tensor_pairs())
def test_grad_and_vjp(pair: tuple[Tensor, Tensor]) -> None:
    x, w = pair
    _exact(func.grad(lambda t: (R(t) * w).sum())(x), w)
    out, vjp_fn = func.vjp(R, x)
    _exact(out, x.clone())
    (cotangent,) = vjp_fn(w)
    _exact(cotangent, w)


@given(_tensor_pairs())
def test_jvp_and_forward_ad(pair: tuple[Tensor, Tensor]) -> None:
    x, t = pair
    out, tangent = func.jvp(R, (x,), (t,))
    _exact(out, x.clone())
    _exact(tangent, t)
    with fwAD.dual_level():
        dual_out = fwAD.unpack_dual(R(fwAD.make_dual(x, t)))
        _exact(dual_out.primal, x)
        assert dual_out.tangent is not None
        _exact(dual_out.tangent, t)


@given(_tensor_pairs())
def test_jacobians_and_hessian(pair: tuple[Tensor, Tensor]) -> None:
    x, w = pair
    _exact(func.jacrev(R)(x), func.jacrev(torch.clone)(x))
    _exact(func.jacfwd(R)(x), func.jacfwd(torch.clone)(x))

    def energy(fn: Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
        return lambda t: (w * fn(t) ** 3).sum()

    _exact(func.hessian(energy(R))(x), func.hessian(energy(torch.clone))(x))


@given(_tensor_pairs())
def test_vmap_and_vmap_of_grad(pair: tuple[Tensor, Tensor]) -> None:
    x, w = pair
    batched = func.vmap(R)(x)
    _exact(batched, x.clone())
    assert batched.data_ptr() != x.data_ptr()
    if x.dim() > 1:
        _exact(func.vmap(R, in_dims=1, out_dims=1)(x), x.clone())
    per_sample = func.vmap(func.grad(lambda t, v: (R(t) * v * t).sum()))(x, w)
    _exact(per_sample, 2 * w * x)


# --- the bare operator (documented in the README) -----------------------------------


def test_bare_operator_eager_autograd_and_vmap_are_exact() -> None:
    x = torch.arange(6.0, dtype=torch.float64).reshape(2, 3).requires_grad_(True)
    g = torch.full((2, 3), 0.25, dtype=torch.float64)
    OP(x).backward(g)
    assert x.grad is not None
    _exact(x.grad, g)
    _exact(func.vmap(OP)(x.detach()), x.detach())


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda x: func.grad(lambda t: OP(t).sum())(x), id="grad"),
        pytest.param(lambda x: func.vjp(OP, x), id="vjp"),
        pytest.param(lambda x: func.jacrev(OP)(x), id="jacrev"),
        pytest.param(lambda x: func.hessian(lambda t: OP(t).sum())(x), id="hessian"),
    ],
)
def test_bare_operator_refuses_reverse_mode_transforms(transform: Callable) -> None:
    # PyTorch: an operator whose autograd comes from register_autograd cannot be
    # differentiated by functorch's reverse mode ("must override the
    # setup_context staticmethod"). realize.realize routes around it.
    with pytest.raises(RuntimeError, match="setup_context"):
        transform(torch.ones(3, dtype=torch.float64))


def test_bare_operator_drops_forward_mode_tangents() -> None:
    # PyTorch: such an operator has no forward-mode formula; jvp sees a zero
    # tangent and plain forward AD loses it, without an error.
    x, t = torch.ones(3, dtype=torch.float64), torch.full((3,), 2.0, dtype=torch.float64)
    _exact(func.jvp(OP, (x,), (t,))[1], torch.zeros(3, dtype=torch.float64))
    with fwAD.dual_level():
        assert fwAD.unpack_dual(OP(fwAD.make_dual(x, t))).tangent is None
