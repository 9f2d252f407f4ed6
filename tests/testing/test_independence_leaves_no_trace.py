"""``assert_independent`` leaves no trace on the tensors it checks (issue 11, point 8)."""

from __future__ import annotations

import pytest
import torch

import realize
import realize.testing as rt
from realize.testing._bits import storage_bytes
from realize.testing._version_counter import restorable


def _trace(t: torch.Tensor) -> tuple[int, torch.Tensor]:
    return t._version, storage_bytes(t).clone()


@pytest.mark.parametrize("form", ["result", "callable"])
def test_versions_and_bytes_are_as_before(form: str) -> None:
    x = torch.randn(3, 4).t()  # non-contiguous: clone's strides differ
    y = realize.realize(x)
    before_x, before_y = _trace(x), _trace(y)
    if form == "result":
        rt.assert_independent(y, x)
    else:
        rt.assert_independent(lambda t: y, x)
    for before, t in ((before_x, x), (before_y, y)):
        assert t._version == before[0]
        torch.testing.assert_close(storage_bytes(t), before[1], rtol=0, atol=0)


def test_backward_through_the_result_still_works() -> None:
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    y = realize.realize(x)
    loss = (y * y).sum()  # mul saves y for backward: a bumped version counter breaks it
    rt.assert_independent(y, x)
    loss.backward()
    assert x.grad is not None
    torch.testing.assert_close(x.grad, 2 * x.detach(), rtol=0, atol=0)


def test_a_shared_version_counter_is_still_caught() -> None:
    x = torch.randn(4)
    version = x._version
    with pytest.raises(AssertionError, match="_version after bumping"):
        rt.assert_independent(torch.Tensor.detach, x)
    assert x._version == version  # caught, and set back all the same


def test_this_torch_can_set_version_counters_back() -> None:
    # Not a skip: on the torch versions we support the no-trace path must be the one taken.
    assert restorable()
