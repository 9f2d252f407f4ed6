"""The latency of one tiny call: where realize's Python overhead would show.

On a 16-element float32 CPU tensor, with one thread and no grad, ``realize.realize(x)``
must take at most 2.6x ``x.clone()`` and at most 0.5x
``torch._inductor.test_operators.realize(x)`` (an autograd.Function around a custom op,
the way PyTorch's own tests spell a materialisation point). The three run one after the
other in the same session; the goal check in ``conftest.py`` compares their medians and
reports all three. The realize row also times realize against the other two in
interleaved rounds (``bench_run(paired=...)``): the goals are judged on those ratios.
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
    if name == "clone":
        return torch.Tensor.clone
    if not HAS_TEST_OP:
        pytest.skip("this torch has no torch._inductor.test_operators.realize")
    from torch._inductor import test_operators

    return test_operators.realize  # type: ignore[no-any-return]


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
@pytest.mark.parametrize("impl", ["realize", "clone", "test_op"])
def test_latency_16_float32(
    bench_run: Callable[..., Any], one_thread: None, impl: str, device: str
) -> None:
    # The goal is stated for CPU; on CUDA the same three show the per-call
    # host overhead on top of a kernel launch.
    fn = _impl(impl)
    x = torch.ones(NUMEL, dtype=torch.float32, device=device)
    paired = {}
    if impl == "realize":
        paired["clone"] = _impl("clone")
        if HAS_TEST_OP:
            paired["test_op"] = _impl("test_op")
    with torch.no_grad():
        out = bench_run(
            fn,
            x,
            device=device,
            impl=impl,
            group=f"latency {device} 16 x float32, 1 thread, no grad",
            suite="latency",
            mode="eager",
            dtype="float32",
            layout="contiguous",
            nbytes=x.numel() * x.element_size(),
            # Many rounds of about 1 ms: a steady median on a busy machine.
            round_s=1e-3,
            budget_s=0.4,
            min_rounds=100,
            max_rounds=400,
            paired=paired,
            paired_rounds=51,
        )
    assert torch.equal(out, x)
