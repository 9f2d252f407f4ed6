"""The properties on a fixed corpus: every clonable dtype in every layout, on every device.

Independent of the Hypothesis profile: this is what makes the suite catch a bug
that lives in a single dtype or layout deterministically (see ``_corpus.py``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

import tests.properties.known_bugs as known_bugs
from realize.testing import assert_gradcheck
from tests.properties._checks import CORPUS_DTYPES, run_corpus
from tests.properties._corpus import carries_grad, clonable_dtypes

GRAD_DTYPES = tuple(d for d in CORPUS_DTYPES if carries_grad(d))


def _id(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _require(dtype: torch.dtype, device: str) -> None:
    if dtype not in clonable_dtypes(device):
        pytest.skip(f"torch cannot clone {dtype} on {device}")


@pytest.mark.parametrize("dtype", CORPUS_DTYPES, ids=_id)
def test_clone_semantics(realize_target: Callable, device: str, dtype: torch.dtype) -> None:
    _require(dtype, device)
    assert run_corpus("clone_semantics", realize_target, dtype, device) > 20


@pytest.mark.parametrize("dtype", CORPUS_DTYPES, ids=_id)
def test_independence(realize_target: Callable, device: str, dtype: torch.dtype) -> None:
    _require(dtype, device)
    assert run_corpus("independence", realize_target, dtype, device) > 20


@pytest.mark.parametrize("dtype", GRAD_DTYPES, ids=_id)
def test_identity_backward(realize_target: Callable, device: str, dtype: torch.dtype) -> None:
    _require(dtype, device)
    assert run_corpus("identity_backward", realize_target, dtype, device) > 20


def _finite_inputs(dtype: torch.dtype, device: str) -> dict[str, torch.Tensor]:
    # small: gradcheck's numerical Jacobian costs two calls per element
    base = (torch.arange(24, dtype=torch.float64) / 7 - 1.5).to(device)
    if dtype.is_complex:
        base = torch.complex(base, base.flip(0))
    base = base.view(2, 3, 4)
    cases = {
        "permuted": base[:, :2, :2].permute(2, 0, 1),
        "step_sliced": base[::2, ::2, 1::2],
        "storage_offset": base[1, 1:],
        "expanded": base[:1, :1, :2].expand(2, 2, 2),
        "zero_dim": base[1, 2, 3],
    }
    if dtype.is_complex:
        cases["conj"] = base.conj()
    return cases


@pytest.mark.parametrize("dtype", [torch.float64, torch.complex128], ids=_id)
def test_gradcheck(realize_target: Callable, device: str, dtype: torch.dtype) -> None:
    if device == "meta":
        pytest.skip("gradcheck compares numbers: the meta device has none")
    for name, x in _finite_inputs(dtype, device).items():
        try:
            with known_bugs.checking("gradcheck", realize_target, x, ()):
                assert_gradcheck(realize_target, x)
        except AssertionError as e:
            raise AssertionError(f"gradcheck case {name}:\n{e}") from None
