"""The three properties of realize, as functions of (target, input), and the corpus runner.

Shared by the corpus tests, the Hypothesis properties and the meta-tests that
run both against broken implementations, so all three check the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from torch import Tensor

import tests.properties.known_bugs as known_bugs
from realize.strategies import dtypes, sized_shapes, tensors
from realize.testing import (
    assert_clone_semantics,
    assert_identity_backward,
    assert_independent,
    assert_transform,
)
from tests.properties._corpus import (
    carries_grad,
    clonable_dtypes,
    grad_layouts,
    grad_outputs,
    layouts,
)

Target = Callable[[Tensor], Tensor]


def clone_semantics(target: Target, x: Tensor, grad_output: Tensor | None = None) -> None:
    __tracebackhide__ = True
    assert_clone_semantics(target, x)


def independence(target: Target, x: Tensor, grad_output: Tensor | None = None) -> None:
    __tracebackhide__ = True
    assert_independent(target, x)


def identity_backward(target: Target, x: Tensor, grad_output: Tensor | None = None) -> None:
    __tracebackhide__ = True
    assert_identity_backward(target, x, grad_output)


PROPERTIES: dict[str, Callable[..., None]] = {
    "clone_semantics": clone_semantics,
    "independence": independence,
    "identity_backward": identity_backward,
}

# every dtype torch can clone on cpu; other devices skip what they cannot hold
CORPUS_DTYPES = clonable_dtypes("cpu")


def corpus_cases(prop: str, dtype: torch.dtype, device: str) -> Iterator[tuple[str, Tensor, Any]]:
    """``(case name, x, grad_output)`` for one property, dtype and device."""
    if prop == "identity_backward":
        if not carries_grad(dtype):
            return
        # The gradient's layout is independent of x's: each input gets one
        # grad_output, cycling through the kinds (default bit pattern,
        # step-sliced, permuted, expanded), so every kind meets many layouts.
        for i, (name, x) in enumerate(grad_layouts(dtype, device)):
            kinds = list(grad_outputs(x))
            g_name, g = kinds[i % len(kinds)] if device != "meta" else kinds[0]
            yield f"{name}, grad_output {g_name}", x, g
        return
    for name, x in layouts(dtype, device):
        yield name, x, None
    if carries_grad(dtype):
        for name, x in grad_layouts(dtype, device):
            yield name, x, None


def run_corpus(prop: str, target: Target, dtype: torch.dtype, device: str) -> int:
    """Check ``prop`` on every corpus case; returns how many cases ran."""
    __tracebackhide__ = True
    check = PROPERTIES[prop]
    n = 0
    for name, x, g in corpus_cases(prop, dtype, device):
        try:
            with known_bugs.checking(prop, target, x, shown_values(prop, x, g)):
                check(target, x, g)
        except AssertionError as e:
            raise type(e)(f"corpus case dtype={dtype}, layout={name}:\n{e}") from e.__cause__
        n += 1
    return n


# --- Hypothesis inputs --------------------------------------------------------------------


def size_classes(device: str) -> SearchStrategy[tuple[int, ...]]:
    """Mostly small shapes; one example in ten from a class where kernels change path.

    Up to 2**17 elements (around and above the CPU parallel grain of 32768);
    on CUDA also above one full grid wave (1e6 to 2e6 elements).
    """
    classes = ("medium", "grain", "parallel")
    if device.startswith("cuda"):
        classes += ("wave",)
    return sized_shapes(classes, large_share=0.1)


def inputs(prop: str, device: str) -> SearchStrategy[tuple[Tensor, Tensor | None]]:
    """``(x, grad_output)`` for ``prop`` on ``device``: every dtype, layout, size class.

    For the backward, ``x`` has a dtype that carries grad and ``grad_output`` is
    ``None`` (the default bit pattern) or a tensor of ``x``'s dtype and shape in
    any layout: non-contiguous, expanded, conj/neg views.
    """
    shape = size_classes(device)
    if prop != "identity_backward":
        return st.tuples(tensors(device=device, shape=shape, requires_grad=None), st.none())
    xs = tensors(
        dtype=dtypes(device=device, requires_grad=True),
        shape=shape,
        device=device,
        requires_grad=None,
    )
    return xs.flatmap(
        lambda x: st.tuples(
            st.just(x),
            st.none() | tensors(dtype=x.dtype, shape=tuple(x.shape), device=device),
        )
    )


def check_input(prop: str, target: Target, case: tuple[Tensor, Tensor | None]) -> None:
    __tracebackhide__ = True
    with known_bugs.checking(prop, target, case[0], shown_values(prop, *case)):
        PROPERTIES[prop](target, *case)


def shown_values(prop: str, x: Tensor, g: Tensor | None) -> tuple[Tensor | None, ...]:
    """The inputs whose values ``prop`` compares a result with (for known-bug predicates)."""
    return {"clone_semantics": (x,), "independence": (), "identity_backward": (g,)}[prop]


# --- torch.func transforms ------------------------------------------------------------------

#: dtypes with arithmetic for the losses the transforms use (grad multiplies by v)
TRANSFORM_DTYPES = (
    torch.float32,
    torch.float64,
    torch.float16,
    torch.bfloat16,
    torch.complex64,
    torch.complex128,
)
_FINITE = {"allow_nan": False, "allow_infinity": False, "min_value": -1e3, "max_value": 1e3}


def transform_inputs(transform: str, device: str) -> SearchStrategy[tuple[Tensor, Tensor]]:
    """``(x, v)``: x in any layout, v a finite tangent/cotangent of its shape and dtype.

    Real dtypes only for the transforms that need a real loss or Jacobian;
    Jacobians get at most 64 elements (they have numel**2), vmaps >= 1 dimension.
    """
    from realize.testing._transforms import BATCHED, REAL_ONLY

    real = tuple(d for d in TRANSFORM_DTYPES if d.is_floating_point)
    dtype = st.sampled_from(real if transform in REAL_ONLY else TRANSFORM_DTYPES)
    jac = transform in ("jacrev", "jacfwd")
    from realize.strategies import shapes

    shape = shapes(min_dims=1 if transform in BATCHED else 0, max_numel=64) if jac else None
    if shape is None and transform in BATCHED:
        shape = shapes(min_dims=1)
    xs = tensors(dtype=dtype, shape=shape, device=device, elements=_FINITE)
    return xs.flatmap(
        lambda x: st.tuples(
            st.just(x),
            tensors(dtype=x.dtype, shape=tuple(x.shape), device=device, elements=_FINITE),
        )
    )


def check_transform(transform: str, target: Target, x: Tensor, v: Tensor) -> None:
    __tracebackhide__ = True
    values = {"jacrev": (), "jacfwd": (), "grad": (v,), "vmap_grad": (v,), "vmap": (x,)}
    with known_bugs.checking(transform, target, x, values.get(transform, (x, v))):
        assert_transform(target, transform, x, v)
