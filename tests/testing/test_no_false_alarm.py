"""No false alarm: every assertion and every harness property passes a correct clone.

A harness that accuses correct code once loses its users. ``torch.clone`` and
``torch.Tensor.clone`` are correct by definition (they are the oracle), so each
assertion of ``realize.testing`` runs on 500 examples of ``tensors()`` with its
defaults (every dtype, layout, special value and device present) plus
``requires_grad``, and each property of the harness on its own inputs, and none
may fail. An input an upstream check cannot take (``gradcheck`` and stride 0, NaN
or huge values) must be adapted by the assertion, never reported.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realize.harness import PROPERTIES, Case, check, inputs
from realize.harness._checker import Checker
from realize.harness._corpus import CORPUS_DTYPES
from realize.harness._targets import Target
from realize.strategies import (
    dtypes,
    nested_tensors,
    quantized_tensors,
    shapes,
    sparse_tensors,
    tensors,
)
from realize.testing import (
    TRANSFORMS,
    assert_clone_semantics,
    assert_gradcheck,
    assert_identity_backward,
    assert_independent,
    assert_transform,
)
from realize.testing._transforms import BATCHED, REAL_ONLY

CLONES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "torch.clone": torch.clone,
    "torch.Tensor.clone": torch.Tensor.clone,
}
ASSERTION_EXAMPLES = 500
PROPERTY_EXAMPLES = 100


def _many(n: int) -> settings:
    return settings(
        max_examples=n,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


clones = pytest.mark.parametrize("clone", list(CLONES.values()), ids=list(CLONES))


@clones
@_many(ASSERTION_EXAMPLES)
@given(x=tensors(requires_grad=None))
def test_assert_clone_semantics(clone: Callable, x: torch.Tensor) -> None:
    assert_clone_semantics(clone, x)


@clones
@_many(ASSERTION_EXAMPLES)
@given(x=tensors(requires_grad=None))
def test_assert_independent(clone: Callable, x: torch.Tensor) -> None:
    assert_independent(clone, x)


@clones
@_many(ASSERTION_EXAMPLES)
@given(data=st.data())
def test_assert_identity_backward(clone: Callable, data: st.DataObject) -> None:
    x = data.draw(tensors(dtypes(requires_grad=True), requires_grad=None), label="x")
    g = data.draw(st.none() | tensors(x.dtype, tuple(x.shape), device=x.device), label="g")
    assert_identity_backward(clone, x, g)


@clones
@_many(ASSERTION_EXAMPLES)
@given(x=tensors(st.sampled_from([torch.float64, torch.complex128]), requires_grad=None))
def test_assert_gradcheck(clone: Callable, x: torch.Tensor) -> None:
    """Any values (NaN, inf, 1e308) and any strides (size-0 dims with stride 0 too)."""
    assert_gradcheck(clone, x)


def test_assert_gradcheck_takes_a_zero_size_zero_stride_input() -> None:
    """The input that once made ``assert_gradcheck`` accuse ``torch.clone`` (issue 22)."""
    assert_gradcheck(torch.clone, torch.empty_strided((0, 2), (1, 0), dtype=torch.float64))


@clones
@_many(ASSERTION_EXAMPLES)
@given(data=st.data())
def test_assert_transform(clone: Callable, data: st.DataObject) -> None:
    """Every transform; any layout and any values of x and v; any batch dimension."""
    transform = data.draw(st.sampled_from(sorted(TRANSFORMS)), label="transform")
    kinds = "float" if transform in REAL_ONLY else ("float", "complex")
    min_dims = 1 if transform in BATCHED else 0
    max_numel = 64 if transform in ("jacrev", "jacfwd") else 256
    x = data.draw(tensors(dtypes(kinds=kinds), shapes(min_dims=min_dims, max_numel=max_numel)))
    v = data.draw(tensors(x.dtype, tuple(x.shape), device=x.device), label="v")
    dims = {}
    if transform in BATCHED:
        dim = st.integers(-x.dim(), x.dim() - 1)
        dims = {"in_dims": data.draw(dim, label="in_dims"), "out_dims": data.draw(dim)}
    assert_transform(clone, transform, x, v, **dims)


@clones
@pytest.mark.parametrize("prop", sorted(set(PROPERTIES) - {"inside_compiled"}))
@_many(PROPERTY_EXAMPLES)
@given(data=st.data())
def test_every_harness_property(
    clone: Callable, prop: str, realize_device: str, data: st.DataObject
) -> None:
    if prop == "opcheck":
        pytest.skip("opcheck tests operators; a correct one is tests/op/test_operator.py's")
    if realize_device == "meta" and prop in ("gradcheck", *TRANSFORMS):
        pytest.skip("gradcheck and transforms compare numbers: the meta device has none")
    case: Case = data.draw(inputs(prop, realize_device), label="case")
    check(prop, clone, *case.args, **case.params)


@clones
@_many(10)  # every example is a compilation
@given(data=st.data())
def test_the_harness_property_inside_a_compiled_function(
    clone: Callable, data: st.DataObject
) -> None:
    check("inside_compiled", clone, *data.draw(inputs("inside_compiled", "cpu")).args)


@clones
@pytest.mark.parametrize("prop", ["clone_semantics", "independence", "identity_backward"])
def test_the_corpus(clone: Callable, prop: str) -> None:
    target = Target("clone", "torch:clone", clone)
    checker = Checker(target, known_bugs="off")
    assert sum(checker.corpus(prop, dtype, "cpu") for dtype in CORPUS_DTYPES) > 300


_LAYOUTS = (
    sparse_tensors(requires_grad=None) | quantized_tensors() | nested_tensors(requires_grad=None)
)


@clones
@_many(ASSERTION_EXAMPLES // 2)
@given(x=_LAYOUTS)
def test_every_assertion_on_sparse_quantized_and_nested_tensors(
    clone: Callable, x: torch.Tensor
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # beta/prototype/deprecation notices of those layouts
        assert_clone_semantics(clone, x)
        assert_independent(clone, x)
        assert_identity_backward(clone, x)
