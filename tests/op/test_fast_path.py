"""The eager fast path of realize's functions and bare operators is invisible.

``realize.realize(x)`` and ``torch.ops.realize.realize.default(x)`` call
``Tensor.clone`` directly when nothing intercepts the call. These tests put an
observer in each place one can hide -- a dispatch mode, fake tensors, a tensor
subclass, a function mode, functorch, make_fx, the TorchScript tracer, the
profiler and Dynamo -- and check that each observer sees the ``realize::realize``
(``realize::barrier``) operator, not ``aten::clone``. Autograd and forward AD
are not observers: clone's own node has the operator's formulas, checked here
(and by the whole property suite); only its name differs, and ``named_grad_fn``
gives the named node.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.autograd.forward_ad as fwAD
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

import realize
from realize import barrier_op, realize_op
from realize._fast_path import clone_is_equivalent


class RecordingMode(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.ops: list[Any] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        self.ops.append(func)
        return func(*args, **(kwargs or {}))


class RecordingFunctionMode(TorchFunctionMode):
    def __init__(self) -> None:
        super().__init__()
        self.funcs: list[Any] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        self.funcs.append(func)
        return func(*args, **(kwargs or {}))


class LoggingTensor(torch.Tensor):
    """A wrapper subclass that records every aten-level op it sees."""

    seen: list[Any] = []  # noqa: RUF012

    @staticmethod
    def __new__(cls, elem: torch.Tensor) -> LoggingTensor:
        r = torch.Tensor._make_wrapper_subclass(
            cls, elem.shape, strides=elem.stride(), dtype=elem.dtype, device=elem.device
        )
        r.elem = elem  # type: ignore[attr-defined]
        return r

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        cls.seen.append(func)
        unwrapped = [a.elem if isinstance(a, LoggingTensor) else a for a in args]
        out = func(*unwrapped, **(kwargs or {}))
        return LoggingTensor(out) if isinstance(out, torch.Tensor) else out


@pytest.fixture(
    params=[(realize.realize, realize_op), (realize.barrier, barrier_op)],
    ids=["realize", "barrier"],
)
def fn_and_op(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def fn(fn_and_op: tuple[Any, Any]) -> Any:
    return fn_and_op[0]


@pytest.fixture
def op(fn_and_op: tuple[Any, Any]) -> Any:
    return fn_and_op[1]


@pytest.fixture(params=["function", "operator"])
def call(request: pytest.FixtureRequest, fn_and_op: tuple[Any, Any]) -> Any:
    """Each way to call it: ``realize.realize`` or ``torch.ops.realize.realize.default``."""
    return fn_and_op[0] if request.param == "function" else fn_and_op[1]


def test_fast_path_is_taken_when_nothing_observes(
    monkeypatch: pytest.MonkeyPatch, fn: Any, op: Any
) -> None:
    x = torch.randn(3, 4).t()
    assert clone_is_equivalent(x)
    # Prove the operator is really skipped: make calling it an error.
    monkeypatch.setattr(f"realize._functions.{op.name().split('::')[1]}_op", None)
    y = fn(x)
    assert y.stride() == x.clone().stride() and torch.equal(y, x)


def test_bare_operator_skips_the_dispatcher_when_nothing_observes(
    monkeypatch: pytest.MonkeyPatch, op: Any
) -> None:
    x = torch.randn(3, 4, requires_grad=True).t()
    monkeypatch.setattr(op, "_op", None)  # the dispatcher entry: calling it would fail
    y = op(x)
    assert y.stride() == x.clone().stride() and torch.equal(y, x)


def test_dispatch_mode_sees_the_operator(fn: Any, op: Any) -> None:
    x = torch.randn(4)
    with RecordingMode() as mode:
        assert not clone_is_equivalent(x)
        fn(x)
    assert mode.ops == [op]


def test_function_mode_sees_the_operator(fn: Any, op: Any) -> None:
    x = torch.randn(4)
    with RecordingFunctionMode() as mode:
        fn(x)
    assert op in mode.funcs


def test_fake_tensor_mode_runs_the_fake_kernel(fn: Any, op: Any) -> None:
    from torch._subclasses.fake_tensor import FakeTensor, FakeTensorMode

    with FakeTensorMode() as fake_mode:
        x = fake_mode.from_tensor(torch.empty(4, 6)).t()
        with RecordingMode() as mode:
            y = fn(x)
    assert isinstance(y, FakeTensor)
    assert mode.ops == [op]
    assert y.stride() == (1, 6)


def test_tensor_subclass_sees_the_operator(fn: Any, op: Any) -> None:
    LoggingTensor.seen = []
    x = LoggingTensor(torch.randn(2, 3))
    y = fn(x)
    assert LoggingTensor.seen[0] is op
    assert isinstance(y, LoggingTensor) and torch.equal(y.elem, x.elem)  # type: ignore[attr-defined]


def test_parameter_takes_the_operator(fn: Any, op: Any) -> None:
    p = torch.nn.Parameter(torch.randn(3))
    assert not clone_is_equivalent(p)
    y = fn(p)
    assert type(y.grad_fn).__name__ == fn.__name__.capitalize() + "Backward"  # not Clone


def test_autograd_records_clones_node_with_the_same_formulas(call: Any) -> None:
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    assert clone_is_equivalent(x)
    y = call(x.t())
    assert type(y.grad_fn).__name__ == "CloneBackward0"
    g = torch.randn(4, 3, dtype=torch.float64)
    (grad,) = torch.autograd.grad(y, x, g, create_graph=True)
    torch.testing.assert_close(grad, g.t(), rtol=0, atol=0)
    w = torch.randn(3, 4, dtype=torch.float64)
    vg = g.requires_grad_()
    (grad,) = torch.autograd.grad(call(x.t()), x, vg, create_graph=True)
    (gg,) = torch.autograd.grad(grad, vg, w)
    torch.testing.assert_close(gg, w.t(), rtol=0, atol=0)  # double backward: the identity
    with torch.no_grad():
        assert call(x).grad_fn is None


def test_named_grad_fn_records_the_operator(fn: Any, call: Any) -> None:
    x = torch.randn(3, requires_grad=True)
    with realize.named_grad_fn():
        assert not clone_is_equivalent(x)
        y = call(x)
        with realize.named_grad_fn():  # blocks nest
            pass
        assert type(call(x).grad_fn).__name__ == fn.__name__.capitalize() + "Backward"
    assert type(y.grad_fn).__name__ == fn.__name__.capitalize() + "Backward"
    assert type(call(x).grad_fn).__name__ == "CloneBackward0"  # outside the block again
    (grad,) = torch.autograd.grad(y, x, torch.full((3,), 2.0))
    torch.testing.assert_close(grad, torch.full((3,), 2.0), rtol=0, atol=0)


def test_profiler_sees_the_operator(call: Any, op: Any) -> None:
    x = torch.randn(4)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        assert not clone_is_equivalent(x)
        call(x)
    assert op.name() in {e.key for e in prof.key_averages()}


def test_make_fx_records_the_operator(fn: Any, op: Any) -> None:
    from torch.fx.experimental.proxy_tensor import make_fx

    gm = make_fx(fn)(torch.randn(3))
    targets = [n.target for n in gm.graph.nodes if n.op == "call_function"]
    assert targets == [op]


def test_jit_trace_records_the_operator(fn: Any, op: Any) -> None:
    traced = torch.jit.trace(fn, (torch.randn(3),))
    kinds = [n.kind() for n in traced.graph.nodes()]
    assert op.name() in kinds and "aten::clone" not in kinds


def test_dynamo_traces_the_operator(fn: Any, op: Any) -> None:
    graphs: list[torch.fx.GraphModule] = []

    def backend(gm: torch.fx.GraphModule, example_inputs: Any) -> Any:
        graphs.append(gm)
        return gm.forward

    torch._dynamo.reset()
    compiled = torch.compile(fn, backend=backend, fullgraph=True)
    x = torch.randn(3)
    torch.testing.assert_close(compiled(x), x, rtol=0, atol=0)
    (gm,) = graphs
    # Called through its packet (as the seed's op is), which resolves to the overload.
    targets = [
        getattr(n.target, "default", n.target) for n in gm.graph.nodes if n.op == "call_function"
    ]
    assert targets == [op]


@pytest.mark.parametrize("named", [False, True], ids=["clone's node", "named node"])
def test_forward_ad_tangent_is_the_identity(call: Any, named: bool) -> None:
    x = torch.randn(3, 2, dtype=torch.float64).t()
    t = torch.randn(2, 3, dtype=torch.float64)
    with fwAD.dual_level():
        dual = fwAD.make_dual(x, t)
        if named:
            with realize.named_grad_fn():
                out = fwAD.unpack_dual(call(dual))
        else:
            out = fwAD.unpack_dual(call(dual))
    torch.testing.assert_close(out.primal, x, rtol=0, atol=0)
    torch.testing.assert_close(out.tangent, t, rtol=0, atol=0)
    assert out.tangent.data_ptr() != t.data_ptr()  # a fresh tangent, as clone's


def test_functorch_transforms_run_the_operator(fn: Any, op: Any) -> None:
    seen: list[bool] = []

    def f(x: torch.Tensor) -> torch.Tensor:
        seen.append(clone_is_equivalent(x))
        return fn(x).sum()

    x = torch.randn(4)
    torch.testing.assert_close(torch.func.grad(f)(x), torch.ones(4), rtol=0, atol=0)
    batched = torch.func.vmap(fn)(torch.randn(2, 3).t())
    assert batched.shape == (3, 2)
    assert seen == [False]
