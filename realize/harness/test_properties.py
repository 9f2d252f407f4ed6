"""The properties of clone, as Hypothesis properties, on every target and device.

Installed with realize and run by ``pytest --realize-target=MODULE:ATTR`` (or
``pytest --pyargs realize.harness``): each test runs against ``realize_target``
(by default every operator of realize) on every selected device, with
``torch.clone`` as the oracle. Inputs cover every dtype, every layout
(permuted, step-sliced, storage offset, expanded, channels_last, overlapping,
conj/neg views, zero-size, 0-d), special values, requires_grad and, one
example in ten, a larger size class. ``checker(request)`` runs each example
through the known-bug table, the flight recorder and ``--realize-isolate``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realize.harness import Case, checker, inputs
from realize.harness._inputs import LAYOUT_FAMILIES
from realize.testing import TRANSFORMS, CompiledTarget, TargetRaised, compiled
from realize.testing._transforms import BATCHED

# torch.func warns from torch's own internals on first use (torch 2.13): not the target's
pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning"
)

# Each fraction is of the profile's max_examples: 200 under realize-ci.
_EXAMPLES = settings().max_examples


def _share(divisor: int, floor: int) -> settings:
    return settings(max_examples=max(floor, _EXAMPLES // divisor))


def _check(request: pytest.FixtureRequest, prop: str, device: str, data: st.DataObject) -> None:
    """Draw one case of ``prop`` on ``device`` and check it through the test's checker."""
    __tracebackhide__ = True
    checker(request)(prop, data.draw(inputs(prop, device), label="case"))


@given(data=st.data())
def test_clone_semantics(
    realize_target: Callable,
    realize_device: str,
    request: pytest.FixtureRequest,
    data: st.DataObject,
) -> None:
    """Same dtype, shape, device, strides, offset, bits, requires_grad as x.clone()."""
    _check(request, "clone_semantics", realize_device, data)


@given(data=st.data())
def test_independence(
    realize_target: Callable,
    realize_device: str,
    request: pytest.FixtureRequest,
    data: st.DataObject,
) -> None:
    """No shared memory or version counter; writes do not cross; x is not mutated."""
    _check(request, "independence", realize_device, data)


# Each example runs seven backward passes; backward bugs show within a few examples.
@_share(2, 10)
@given(data=st.data())
def test_identity_backward(
    realize_target: Callable,
    realize_device: str,
    request: pytest.FixtureRequest,
    data: st.DataObject,
) -> None:
    """The gradient is grad_output bit for bit (any grad_output layout), double backward too."""
    _check(request, "identity_backward", realize_device, data)


# gradcheck evaluates the function twice per element: fewer, finite, moderate inputs.
@_share(10, 3)
@given(data=st.data())
def test_gradcheck(
    realize_target: Callable,
    realize_device: str,
    request: pytest.FixtureRequest,
    data: st.DataObject,
) -> None:
    """torch.autograd.gradcheck and gradgradcheck in float64 and complex128."""
    if realize_device == "meta":
        pytest.skip("gradcheck compares numbers: the meta device has none")
    _check(request, "gradcheck", realize_device, data)


@_share(2, 10)
@given(data=st.data())
def test_meta_matches_cpu(
    realize_target: Callable, request: pytest.FixtureRequest, data: st.DataObject
) -> None:
    """On meta, the result has the metadata the same call gives on cpu."""
    _check(request, "meta_matches_cpu", "cpu", data)


@_share(10, 5)
@given(data=st.data())
def test_result_stays_on_device(
    realize_target: Callable,
    realize_device: str,
    request: pytest.FixtureRequest,
    data: st.DataObject,
) -> None:
    """cuda:1 stays on cuda:1: the result lives where the input lives."""
    _check(request, "stays_on_device", realize_device, data)


@pytest.mark.needs_op
@_share(20, 3)
@given(data=st.data())
def test_opcheck(
    realize_target: Callable,
    realize_device: str,
    request: pytest.FixtureRequest,
    data: st.DataObject,
) -> None:
    """torch.library.opcheck: schema, autograd registration, fake tensor kernel."""
    _check(request, "opcheck", realize_device, data)


# --- torch.func transforms ----------------------------------------------------------------


def _probe(request: pytest.FixtureRequest, transform: str, device: str) -> None:
    """Skip, naming the error, if the target does not support ``transform`` at all."""
    import torch

    from realize.harness import Case

    x = torch.arange(1.0, 7.0, device=device).reshape(2, 3)
    v = torch.full((2, 3), 2.0, device=device)
    dims = {"in_dims": 0, "out_dims": 0} if transform in BATCHED else {}
    try:
        checker(request)(transform, Case((x, v), dims))
    except TargetRaised as e:
        headline = str(e).splitlines()[0]
        pytest.skip(
            f"the target raises under {transform} (an error, not a wrong result): {headline[:300]}"
        )


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@_share(10, 5)
@given(data=st.data())
def test_transform(
    realize_target: Callable,
    realize_device: str,
    transform: str,
    request: pytest.FixtureRequest,
    data: st.DataObject,
) -> None:
    """Under torch.func.grad, vjp, jvp, jacrev, jacfwd, vmap, vmap(grad), forward AD: the identity.

    vmap and vmap(grad) batch any dimension (``in_dims``, ``out_dims``) and must give
    clone's strides too. A silent zero or a dropped tangent is a failure; a target
    that raises under the transform altogether is skipped with the error as the reason.
    """
    if realize_device == "meta":
        pytest.skip("transforms compare numbers: the meta device has none")
    _probe(request, transform, realize_device)
    _check(request, transform, realize_device, data)


# --- inside a compiled function (every run; --realize-compile covers the rest) -----------


@_share(20, 5)
@given(data=st.data())
def test_inside_compiled_function(
    realize_target: Callable, request: pytest.FixtureRequest, data: st.DataObject
) -> None:
    """The target called inside torch.compile(backend="aot_eager") still has clone semantics
    and independence. Every call is proven compiled (no silent eager fallback)."""
    if isinstance(realize_target, CompiledTarget):
        pytest.skip("--realize-compile: every property already runs the target compiled")
    _check(request, "inside_compiled", "cpu", data)


# --- sparse, quantized and nested layouts ----------------------------------------------------


def _compile_refusal(family: str, device: str, target: object) -> str | None:
    """Why torch.compile cannot compile clone of this layout family here, or None."""
    if not isinstance(target, CompiledTarget):
        return None
    return _refusal(family, device, target.backend, target.dynamic)


@functools.cache
def _refusal(family: str, device: str, backend: str, dynamic: bool | None) -> str | None:
    import torch

    from realize.strategies._quantized import make_per_tensor

    sample = {
        "sparse": lambda: torch.eye(2, device=device).to_sparse(),
        "quantized": lambda: make_per_tensor(torch.zeros(2, dtype=torch.int8), 1.0, 0),
        "nested_jagged": lambda: torch.nested.nested_tensor(
            [torch.zeros(1, device=device), torch.zeros(2, device=device)], layout=torch.jagged
        ),
        "nested_strided": lambda: torch.nested.nested_tensor(
            [torch.zeros(1, device=device), torch.zeros(2, device=device)]
        ),
    }[family]()
    try:
        compiled(torch.clone, backend, dynamic)(sample)
    except Exception as e:
        return f"{type(e).__name__}: {(str(e).strip().splitlines() or [''])[0][:200]}"
    return None


def _layout_case(
    request: pytest.FixtureRequest, family: str, device: str, target: object, data: st.DataObject
) -> Case:
    from realize.harness._inputs import family_device_types, layout_inputs

    types = family_device_types(family)
    if device.split(":")[0] not in types:
        pytest.skip(f"{family} tensors exist on {', '.join(types)} only")
    refusal = _compile_refusal(family, device, target)
    if refusal is not None:
        pytest.skip(
            f"torch.compile(backend={target.backend!r}) cannot compile clone of a {family} "  # type: ignore[attr-defined]
            f"tensor (a limitation of torch.compile, not of the target): {refusal}"
        )
    return data.draw(layout_inputs(family, device), label="case")


@pytest.mark.parametrize("family", LAYOUT_FAMILIES)
@_share(2, 10)
@given(data=st.data())
def test_clone_semantics_of_layouts(
    realize_target: Callable,
    realize_device: str,
    family: str,
    request: pytest.FixtureRequest,
    data: st.DataObject,
) -> None:
    """Sparse, quantized, nested: clone's layout, metadata (coalesced flag, quantization
    parameters, ragged structure) and every part (indices, values, integers, offsets)."""
    case = _layout_case(request, family, realize_device, realize_target, data)
    checker(request)("clone_semantics", case)


@pytest.mark.parametrize("family", LAYOUT_FAMILIES)
@_share(2, 10)
@given(data=st.data())
def test_independence_of_layouts(
    realize_target: Callable,
    realize_device: str,
    family: str,
    request: pytest.FixtureRequest,
    data: st.DataObject,
) -> None:
    """Shares no more memory with the input than clone does (a jagged tensor's offsets, a
    per-channel quantizer's scales); the input's parts unchanged."""
    case = _layout_case(request, family, realize_device, realize_target, data)
    checker(request)("independence", case)


@pytest.mark.parametrize("family", ["sparse", "nested_jagged", "nested_strided"])
@_share(4, 10)
@given(data=st.data())
def test_identity_backward_of_layouts(
    realize_target: Callable,
    realize_device: str,
    family: str,
    request: pytest.FixtureRequest,
    data: st.DataObject,
) -> None:
    """Where autograd differentiates clone of the layout: the gradient is clone's, part for
    part, bit for bit."""
    case = _layout_case(request, family, realize_device, realize_target, data)
    checker(request)("identity_backward", case)
