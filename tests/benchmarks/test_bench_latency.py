"""The latency of one tiny call: where realize's Python overhead would show.

On a 16-element float32 tensor, one thread, every way people call it, with and
without grad, each paired with its baselines in interleaved rounds of the same run
(``bench_run(paired=...)``), the goals judged on those per-round ratios:

* ``realize.realize(x)``, no grad: at most 2.6x ``x.clone()`` and at most 0.5x
  ``torch._inductor.test_operators.realize(x)`` (PyTorch's test op: an
  ``autograd.Function`` around a custom operator);
* ``torch.ops.realize.realize.default(x)``, no grad: at most 1.0x PyTorch's bare
  operator ``torch.ops._inductor_test.realize.default(x)``;
* ``realize.realize(x)``, ``x`` requires grad: at most 2.0x ``x.clone()`` with grad
  and at most 0.5x PyTorch's test op with grad;
* the bare operator, ``x`` requires grad: at most 0.7x PyTorch's test op with grad.

On CUDA the same rows show the per-call host overhead on top of a kernel launch. There
the two ``test_op`` goals of ``realize.realize`` are not judged, only recorded: a CUDA
``x.clone()`` alone costs about half of the test op (an H100, torch 2.11), so 0.5x would ask
realize to be faster than the clone it performs. Its goals against ``clone`` still hold.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch

import realize

NUMEL = 16
HAS_TEST_OP = importlib.util.find_spec("torch._inductor.test_operators") is not None

#: impl -> (the subject's goals: {baseline: max time ratio}) per grad mode
GOALS: dict[tuple[str, bool], dict[str, float]] = {
    ("realize", False): {"clone": 2.6, "test_op": 0.5},
    ("bare op", False): {"test_op bare op": 1.0},
    ("realize", True): {"clone": 2.0, "test_op": 0.5},
    ("bare op", True): {"test_op": 0.7},
}

#: (impl, baseline) pairs whose goal is judged on CPU only (see the module docstring)
CPU_ONLY_GOALS = {("realize", "test_op")}


@pytest.fixture
def one_thread() -> Iterator[None]:
    """``torch.set_num_threads(1)`` for the test, the previous count restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _impl(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    if name == "realize":
        return realize.realize
    if name == "bare op":
        return torch.ops.realize.realize.default  # type: ignore[no-any-return]
    if name == "clone":
        return torch.Tensor.clone
    if not HAS_TEST_OP:
        pytest.skip("this torch has no torch._inductor.test_operators.realize")
    from torch._inductor import test_operators

    if name == "test_op":
        return test_operators.realize  # type: ignore[no-any-return]
    return torch.ops._inductor_test.realize.default  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "device",
    [
        "cpu",
        pytest.param(
            "cuda",
            marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"),
        ),
    ],
)
@pytest.mark.parametrize("grad", [False, True], ids=["no grad", "requires grad"])
@pytest.mark.parametrize("impl", ["realize", "bare op", "clone", "test_op", "test_op bare op"])
def test_latency_16_float32(
    bench_run: Callable[..., Any], one_thread: None, impl: str, grad: bool, device: str
) -> None:
    if grad and impl == "test_op bare op":
        pytest.skip("PyTorch's bare test operator has no autograd formula")
    fn = _impl(impl)
    x = torch.ones(NUMEL, dtype=torch.float32, device=device, requires_grad=grad)
    goals = GOALS.get((impl, grad), {})
    paired = {name: _impl(name) for name in goals}
    goal = [
        {"case": f"latency {device} 16 x float32, {'requires grad' if grad else 'no grad'}: "
         f"{impl}", "against": name, "max_time_ratio": limit}
        for name, limit in goals.items()
        if device == "cpu" or (impl, name) not in CPU_ONLY_GOALS
    ]  # fmt: skip
    with torch.enable_grad() if grad else torch.no_grad():
        out = bench_run(
            fn,
            x,
            device=device,
            impl=impl,
            group=f"latency {device} 16 x float32, 1 thread, "
            + ("x requires grad" if grad else "no grad"),
            suite="latency",
            mode="eager",
            dtype="float32",
            layout="contiguous",
            nbytes=x.numel() * x.element_size(),
            requires_grad=grad,
            # Many rounds of about 1 ms: a steady median on a busy machine.
            round_s=1e-3,
            budget_s=0.4,
            min_rounds=100,
            max_rounds=400,
            paired=paired,
            paired_rounds=51,
            goal=goal or None,
        )
    assert torch.equal(out, x) and out.requires_grad == grad
