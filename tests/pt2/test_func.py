"""torch.func transforms of realize's functions and bare operators: exact, or a clear error.

The oracle is ``torch.clone`` under the same transform (its derivative is the
identity too) or the incoming tangent/cotangent itself; every comparison is
bitwise. ``realize.realize`` and ``realize.barrier`` are exact under every
transform, nested ones included. The bare operators are exact under every
single-level transform and plain forward AD; under nested differentiating
transforms they raise an error that names the function to call instead --
never a silent zero or a dropped tangent.
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

FUNCTIONS = [
    pytest.param(realize.realize, id="realize"),
    pytest.param(realize.barrier, id="barrier"),
]
BARE = [
    pytest.param(torch.ops.realize.realize.default, id="realize-op"),
    pytest.param(torch.ops.realize.barrier.default, id="barrier-op"),
]
Fn = Callable[[Tensor], Tensor]


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


@pytest.mark.parametrize("R", FUNCTIONS + BARE)
@given(pair=_tensor_pairs())
def test_grad_and_vjp(R: Fn, pair: tuple[Tensor, Tensor]) -> None:
    x, w = pair
    _exact(func.grad(lambda t: (R(t) * w).sum())(x), w)
    out, vjp_fn = func.vjp(R, x)
    _exact(out, x.clone())
    (cotangent,) = vjp_fn(w)
    _exact(cotangent, w)


@pytest.mark.parametrize("R", FUNCTIONS + BARE)
@given(pair=_tensor_pairs())
def test_jvp_and_forward_ad(R: Fn, pair: tuple[Tensor, Tensor]) -> None:
    x, t = pair
    out, tangent = func.jvp(R, (x,), (t,))
    _exact(out, x.clone())
    _exact(tangent, t)
    with fwAD.dual_level():
        dual_out = fwAD.unpack_dual(R(fwAD.make_dual(x, t)))
        _exact(dual_out.primal, x)
        assert dual_out.tangent is not None, "the tangent was dropped"
        _exact(dual_out.tangent, t)
        # clone's tangent is a fresh tensor: updating it never touches the input's.
        assert dual_out.tangent.data_ptr() != t.data_ptr()


@pytest.mark.parametrize("R", FUNCTIONS + BARE)
@given(pair=_tensor_pairs())
def test_jacobians(R: Fn, pair: tuple[Tensor, Tensor]) -> None:
    x, _ = pair
    _exact(func.jacrev(R)(x), func.jacrev(torch.clone)(x))
    _exact(func.jacfwd(R)(x), func.jacfwd(torch.clone)(x))


NESTED = {
    "hessian": lambda f, x, w: func.hessian(f)(x),
    "jacfwd(jacrev)": lambda f, x, w: func.jacfwd(func.jacrev(f))(x),
    "jacrev(jacrev)": lambda f, x, w: func.jacrev(func.jacrev(f))(x),
    "grad(grad)": lambda f, x, w: func.grad(lambda t: (func.grad(f)(t) * w).sum())(x),
    "jvp(grad)": lambda f, x, w: func.jvp(func.grad(f), (x,), (w,))[1],
    "vmap(hessian)": lambda f, x, w: func.vmap(func.hessian(f))(x.unsqueeze(0).expand(2, -1)),
}


@pytest.mark.parametrize("nest", NESTED)
@pytest.mark.parametrize("R", FUNCTIONS)
@given(pair=_tensor_pairs())
def test_nested_transforms_of_the_functions(R: Fn, nest: str, pair: tuple[Tensor, Tensor]) -> None:
    x, w = pair
    x, w = x.flatten(), w.flatten()

    def energy(fn: Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
        return lambda t: (w * fn(t) ** 3).sum()

    _exact(NESTED[nest](energy(R), x, w), NESTED[nest](energy(torch.clone), x, w))


@pytest.mark.parametrize("nest", NESTED)
@pytest.mark.parametrize("op", BARE)
def test_bare_operators_refuse_nested_transforms_clearly(op: Fn, nest: str) -> None:
    # PyTorch runs an operator's autograd kernel after functorch has unwrapped the
    # innermost level: an answer here would silently lose the outer derivatives.
    x = torch.arange(1.0, 4.0, dtype=torch.float64)
    name = op.name().split("::")[1]  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match=rf"nested differentiating.*realize\.{name}\(x\)"):
        NESTED[nest](lambda t: (op(t) ** 3).sum(), x, torch.ones_like(x))


@pytest.mark.parametrize("op", BARE)
def test_bare_operators_refuse_grad_inside_forward_ad(op: Fn) -> None:
    x = torch.arange(1.0, 4.0, dtype=torch.float64)
    with fwAD.dual_level(), pytest.raises(RuntimeError, match="nested differentiating"):
        func.grad(lambda t: op(t).sum())(fwAD.make_dual(x, torch.ones_like(x)))


@pytest.mark.parametrize("R", FUNCTIONS + BARE)
@given(pair=_tensor_pairs())
def test_vmap_and_vmap_of_grad(R: Fn, pair: tuple[Tensor, Tensor]) -> None:
    x, w = pair
    batched = func.vmap(R)(x)
    _exact(batched, x.clone())
    assert batched.data_ptr() != x.data_ptr()
    if x.dim() > 1:
        _exact(func.vmap(R, in_dims=1, out_dims=1)(x), x.clone())
    per_sample = func.vmap(func.grad(lambda t, v: (R(t) * v * t).sum()))(x, w)
    _exact(per_sample, 2 * w * x)


# --- the bare operators outside transforms ------------------------------------------


@pytest.mark.parametrize("op", BARE)
def test_bare_operator_eager_autograd_double_backward_and_vmap_are_exact(op: Fn) -> None:
    x = torch.arange(6.0, dtype=torch.float64).reshape(2, 3).requires_grad_(True)
    g = torch.full((2, 3), 0.25, dtype=torch.float64).requires_grad_(True)
    (gx,) = torch.autograd.grad(op(x), x, g, create_graph=True)
    _exact(gx, g)
    (ggx,) = torch.autograd.grad(gx.sum(), g)  # double backward: d(grad)/d(grad_output) = 1
    _exact(ggx, torch.ones(2, 3, dtype=torch.float64))
    _exact(func.vmap(op)(x.detach()), x.detach())
