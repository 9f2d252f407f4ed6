"""The bare operator's error for a non-tensor argument (issue 11, point 7).

``realize.realize(x)`` checks its argument in Python; the bare operator
``torch.ops.realize.realize.default`` is parsed by PyTorch's schema code first, which
raises ``RuntimeError`` for ``"x"`` or ``3`` (as ``aten::clone`` does) before any kernel
of ours runs; ``realize/_overload_call.py`` checks ``self`` first.
"""

from __future__ import annotations

import pytest
import torch

import realize

NON_TENSORS = ["x", None, 3, 2.5, [1.0, 2.0], object()]


def _ids(value: object) -> str:
    return type(value).__name__


@pytest.mark.parametrize("value", NON_TENSORS, ids=_ids)
@pytest.mark.parametrize(
    "op",
    [realize.realize, realize.realize_op, realize.barrier, realize.barrier_op],
    ids=["realize", "realize-op", "barrier", "barrier-op"],
)
def test_any_non_tensor_is_a_type_error_naming_the_argument(op: object, value: object) -> None:
    with pytest.raises(TypeError, match=rf"expected a (torch\.)?Tensor.*, but got {_ids(value)}"):
        op(value)  # type: ignore[operator]


def test_the_operator_still_takes_tensors() -> None:
    x = torch.arange(6.0).reshape(2, 3).t()
    torch.testing.assert_close(realize.realize_op(x), torch.clone(x), rtol=0, atol=0)
