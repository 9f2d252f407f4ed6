"""The properties on a fixed corpus: every clonable dtype in every layout, on every device.

Independent of the Hypothesis profile: this is what makes the suite catch a bug
that lives in a single dtype or layout deterministically (see ``_corpus.py``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from realize.harness import checker
from realize.harness._corpus import CORPUS_DTYPES, carries_grad, clonable_dtypes

GRAD_DTYPES = tuple(d for d in CORPUS_DTYPES if carries_grad(d))


def _id(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _require(dtype: torch.dtype, device: str) -> None:
    if dtype not in clonable_dtypes(device):
        pytest.skip(f"torch cannot clone {dtype} on {device}")


@pytest.mark.parametrize("dtype", CORPUS_DTYPES, ids=_id)
def test_clone_semantics(
    realize_target: Callable,
    realize_device: str,
    request: pytest.FixtureRequest,
    dtype: torch.dtype,
) -> None:
    _require(dtype, realize_device)
    assert checker(request).corpus("clone_semantics", dtype, realize_device) > 20


@pytest.mark.parametrize("dtype", CORPUS_DTYPES, ids=_id)
def test_independence(
    realize_target: Callable,
    realize_device: str,
    request: pytest.FixtureRequest,
    dtype: torch.dtype,
) -> None:
    _require(dtype, realize_device)
    assert checker(request).corpus("independence", dtype, realize_device) > 20


@pytest.mark.parametrize("dtype", GRAD_DTYPES, ids=_id)
def test_identity_backward(
    realize_target: Callable,
    realize_device: str,
    request: pytest.FixtureRequest,
    dtype: torch.dtype,
) -> None:
    _require(dtype, realize_device)
    assert checker(request).corpus("identity_backward", dtype, realize_device) > 20


@pytest.mark.parametrize("dtype", [torch.float64, torch.complex128], ids=_id)
def test_gradcheck(
    realize_target: Callable,
    realize_device: str,
    request: pytest.FixtureRequest,
    dtype: torch.dtype,
) -> None:
    if realize_device == "meta":
        pytest.skip("gradcheck compares numbers: the meta device has none")
    assert checker(request).corpus("gradcheck", dtype, realize_device) >= 5
