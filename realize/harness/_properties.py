"""Every property of a clone-like target, by name: what is checked, on what inputs.

A :class:`Property` is a check ``check(target, *case.args, **case.params)`` that
raises ``AssertionError`` (from ``realize.testing``) when the target is wrong,
plus the strategy of cases it runs on. The installed tests, the corpus, the
isolated child process (``--realize-isolate``) and this repository's meta-tests
all run properties from this one table, so they check the same thing.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from hypothesis.strategies import SearchStrategy
from torch import Tensor

from realize.harness._inputs import (
    Case,
    backward_inputs,
    gradcheck_inputs,
    opcheck_inputs,
    tensor_inputs,
    transform_inputs,
)
from realize.testing import (
    TRANSFORMS,
    TargetRaised,
    assert_clone_semantics,
    assert_gradcheck,
    assert_identity_backward,
    assert_independent,
    assert_transform,
    compiled,
)
from realize.testing._report import Call, Report, TensorRecord, recorded

__all__ = ["PROPERTIES", "Property", "check", "describe", "inputs"]

Target = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class Property:
    """One property: its check, its inputs, and what a known-bug predicate may look at.

    ``shows(case)``: the inputs whose values the checked result reproduces (x for
    clone semantics, grad_output for a backward, v for a cotangent); a bug in
    values can only show through these. ``backend``: the compile backend the
    check itself applies, whatever the harness's mode (``inside_compiled``).
    """

    name: str
    check: Callable[..., None]
    inputs: Callable[[str], SearchStrategy[Case]]
    shows: Callable[[Case], tuple[Tensor, ...]]
    title: str
    backend: str | None = None


def _nothing(case: Case) -> tuple[Tensor, ...]:
    return ()


def _first(case: Case) -> tuple[Tensor, ...]:
    return (case.x,)


def _second(case: Case) -> tuple[Tensor, ...]:
    return tuple(t for t in case.args[1:2] if t is not None)


def clone_semantics(target: Target, x: Tensor, grad_output: Tensor | None = None) -> None:
    __tracebackhide__ = True
    assert_clone_semantics(target, x)


def independence(target: Target, x: Tensor, grad_output: Tensor | None = None) -> None:
    __tracebackhide__ = True
    assert_independent(target, x)


def identity_backward(target: Target, x: Tensor, grad_output: Tensor | None = None) -> None:
    __tracebackhide__ = True
    assert_identity_backward(target, x, grad_output)


def gradcheck(target: Target, x: Tensor) -> None:
    __tracebackhide__ = True
    assert_gradcheck(target, x)


def meta_twin(x: Tensor) -> Tensor:
    """A meta tensor with x's dtype, sizes, strides, offset, bits and requires_grad."""
    raw = x.conj() if x.is_conj() else x
    nbytes = x.untyped_storage().nbytes()
    twin = torch.empty(nbytes // x.dtype.itemsize, dtype=x.dtype, device="meta")
    twin = twin.as_strided(x.shape, x.stride(), x.storage_offset())
    if raw is not x:
        twin = twin.conj()
    if x.is_neg():
        twin = torch._neg_view(twin)
    return twin.requires_grad_() if x.requires_grad else twin


def meta_matches_cpu(target: Target, x: Tensor) -> None:
    """On meta, the result has the metadata the same call gives on cpu."""
    __tracebackhide__ = True
    twin = meta_twin(x)
    call = Call.of(target)
    try:
        got, expected = target(twin), target(x)
    except Exception as e:
        first = (str(e).strip().splitlines() or [""])[0][:300]
        raise TargetRaised(
            f"meta: call=raised {type(e).__name__}({first!r}), but should be a result "
            f"[{call('x')}] with x on meta: {TensorRecord.of(twin).describe()}"
        ) from e
    for name in ("dtype", "shape", "stride", "storage_offset", "requires_grad"):
        on_meta, on_cpu = getattr(got, name), getattr(expected, name)
        if callable(on_meta):
            on_meta, on_cpu = on_meta(), on_cpu()
        assert on_meta == on_cpu, (
            f"meta {name}={on_meta}, but should be {on_cpu} (cpu) [{call('x')}]"
        )
    bits = (got.is_conj(), got.is_neg()), (expected.is_conj(), expected.is_neg())
    assert bits[0] == bits[1], f"meta (is_conj, is_neg)={bits[0]}, but should be {bits[1]} (cpu)"
    assert got.device == torch.device("meta"), f"meta device={got.device}, but should be meta"


def stays_on_device(target: Target, x: Tensor) -> None:
    """cuda:1 stays on cuda:1: the result lives where the input lives."""
    __tracebackhide__ = True
    report = Report("stays on device", Call.of(target))
    tensors = [recorded("x", x)]
    reproduce = [f"assert {report.call('x')}.device == x.device"]
    with report.calling(tensors, reproduce):
        result = target(x)
    if result.device != x.device:
        report.fail("device", result.device, x.device)
    elif result.untyped_storage().device != x.device:
        report.fail("storage device", result.untyped_storage().device, x.device)
    report.raise_if_failed(tensors, reproduce)


def opcheck(target: Target, x: Tensor) -> None:
    """torch.library.opcheck: schema, autograd registration, fake tensor kernel."""
    __tracebackhide__ = True
    if x.numel() == 0:
        # opcheck copies its inputs with torch._dynamo.utils.clone_input, which sizes the copy
        # as sum((size - 1) * stride) + 1: negative for an empty tensor with a large stride
        # ("negative dimension", torch 2.13). A torch bug, not the target's: fresh strides.
        x = torch.empty(x.shape, dtype=x.dtype, device=x.device, requires_grad=x.requires_grad)
    torch.library.opcheck(
        target,  # type: ignore[arg-type]
        (x,),
        test_utils=("test_schema", "test_autograd_registration", "test_faketensor"),
    )


def inside_compiled(target: Target, x: Tensor) -> None:
    """Called inside torch.compile(backend="aot_eager"), every call proven compiled:
    still clone semantics and independence."""
    __tracebackhide__ = True
    wrapped = compiled(target, "aot_eager", call=Call.of(target))
    assert_clone_semantics(wrapped, x)
    assert_independent(wrapped, x)


def _transform(name: str) -> Callable[..., None]:
    def check(target: Target, x: Tensor, v: Tensor, **dims: int) -> None:
        __tracebackhide__ = True
        assert_transform(
            target, name, x, v, in_dims=dims.get("in_dims", 0), out_dims=dims.get("out_dims", 0)
        )

    check.__name__ = check.__qualname__ = name
    return check


def _transform_shows(name: str) -> Callable[[Case], tuple[Tensor, ...]]:
    if name in ("jacrev", "jacfwd"):
        return _nothing
    if name in ("grad", "vmap_grad"):
        return _second
    if name == "vmap":
        return _first
    return lambda case: tuple(t for t in case.args if t is not None)


def _sized(device: str) -> SearchStrategy[Case]:
    return tensor_inputs(device)


def _small(device: str) -> SearchStrategy[Case]:
    return tensor_inputs(device, sized=False)


def _on_cpu(device: str) -> SearchStrategy[Case]:
    return tensor_inputs("cpu", sized=False)


_ALL = (
    Property("clone_semantics", clone_semantics, _sized, _first, "clone semantics"),
    Property("independence", independence, _sized, _nothing, "independence"),
    Property("identity_backward", identity_backward, backward_inputs, _second, "identity backward"),
    Property("gradcheck", gradcheck, gradcheck_inputs, _nothing, "gradcheck"),
    Property("meta_matches_cpu", meta_matches_cpu, _on_cpu, _nothing, "meta matches cpu"),
    Property("stays_on_device", stays_on_device, _small, _nothing, "stays on device"),
    Property("opcheck", opcheck, opcheck_inputs, _nothing, "opcheck"),
    Property(
        "inside_compiled",
        inside_compiled,
        lambda device: tensor_inputs("cpu"),
        _first,
        "inside a compiled function",
        backend="aot_eager",
    ),
    *(
        Property(
            name,
            _transform(name),
            lambda device, name=name: transform_inputs(name, device),  # type: ignore[misc]
            _transform_shows(name),
            f"{name} transform",
        )
        for name in sorted(TRANSFORMS)
    ),
)

#: name -> Property, for every property the harness checks.
PROPERTIES: dict[str, Property] = {p.name: p for p in _ALL}


def inputs(prop: str, device: str) -> SearchStrategy[Case]:
    """The cases the harness draws for property ``prop`` on ``device``.

    >>> from realize.harness import inputs
    >>> strategy = inputs("clone_semantics", "cpu")  # Case((x,)) with any x
    """
    try:
        return PROPERTIES[prop].inputs(device)
    except KeyError:
        raise ValueError(f"prop={prop!r} is not one of {sorted(PROPERTIES)}") from None


def check(prop: str, target: Target, *args: Tensor | None, **params: Any) -> None:
    """Check property ``prop`` of ``target`` on one case; ``AssertionError`` if it fails.

    >>> import torch
    >>> from realize.harness import check
    >>> check("clone_semantics", torch.clone, torch.arange(6.0).reshape(2, 3).t())
    """
    __tracebackhide__ = True
    if prop not in PROPERTIES:
        raise ValueError(f"prop={prop!r} is not one of {sorted(PROPERTIES)}")
    PROPERTIES[prop].check(target, *args, **params)


@functools.cache
def _argument_names(prop: str) -> list[str]:
    return list(inspect.signature(PROPERTIES[prop].check).parameters)[1:]


def describe(prop: str, case: Case) -> list[tuple[str, str]]:
    """``(name, description)`` of each tensor of a case, for flight records (cheap: no
    values are copied)."""
    names = _argument_names(prop)
    names = names + [f"arg{i}" for i in range(len(names), len(case.args))]
    described = [
        (name, TensorRecord.of(t, keep_values=False).describe())
        for name, t in zip(names, case.args, strict=False)
        if isinstance(t, Tensor)
    ]
    return described + [(k, repr(v)) for k, v in case.params.items()]
