"""Hypothesis internals are chosen by signature, and the public fallback works end to end.

``realize/_hypothesis_internals.py`` uses ``ConjectureData.draw_*`` only where the method accepts
the call it makes; signatures have changed between releases (Hypothesis 6.100's
``draw_bytes(size)`` made the first draw crash with "takes 2 positional arguments but 3
were given" when the guard looked at names only).
"""

from __future__ import annotations

import importlib
import math
from typing import Any

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategy_helpers import sample

from realize import _hypothesis_internals as _draw
from realize.strategies import tensors


def _names(chosen: dict[str, Any]) -> dict[str, str]:
    return {name: fn.__name__ for name, fn in chosen.items()}


class _Current:  # the signatures of recent Hypothesis releases
    def draw_integer(self, min_value=None, max_value=None, *, shrink_towards=0, forced=None): ...  # type: ignore[no-untyped-def]
    def draw_boolean(self, p=0.5, *, forced=None): ...  # type: ignore[no-untyped-def]
    def draw_float(
        self,
        min_value=-math.inf,
        max_value=math.inf,
        *,
        allow_nan=True,
        smallest_nonzero_magnitude=5e-324,
    ): ...  # type: ignore[no-untyped-def]
    def draw_bytes(self, min_size=0, max_size=10**10, *, forced=None): ...  # type: ignore[no-untyped-def]


class _Hypothesis6100(_Current):  # draw_bytes took one size
    def draw_bytes(self, size, *, forced=None): ...  # type: ignore[no-untyped-def, override]


class _Renamed:  # a future release without these methods
    pass


class _Incompatible:  # same names, calls that do not bind
    def draw_integer(self, min_value, max_value, weights): ...  # type: ignore[no-untyped-def]
    def draw_boolean(self): ...  # type: ignore[no-untyped-def]
    def draw_float(self, *, interval): ...  # type: ignore[no-untyped-def]
    def draw_bytes(self, *, size): ...  # type: ignore[no-untyped-def]


def test_each_primitive_is_chosen_by_what_its_signature_accepts() -> None:
    assert set(_names(_draw.select_primitives(_Current)).values()) == {
        "_native_integer", "_native_boolean", "_native_float", "_native_bytes_min_max",
    }  # fmt: skip
    assert _names(_draw.select_primitives(_Hypothesis6100))["draw_bytes"] == "_native_bytes_size"
    for cls in (_Renamed, _Incompatible, None):
        chosen = _names(_draw.select_primitives(cls))
        assert all(name.startswith("_public_") for name in chosen.values()), (cls, chosen)


def test_the_installed_hypothesis_takes_the_fast_path() -> None:
    # Not a skip: falling back silently would cost several times the generation speed.
    assert _draw.HAS_PRIMITIVES, _names(_draw.PRIMITIVES)


_FALLBACK = _draw.select_primitives(None)


@given(st.data())
def test_the_fallback_primitives_draw_what_they_promise(data: st.DataObject) -> None:
    conjecture = data.conjecture_data  # the ConjectureData behind st.data()
    assert 3 <= _FALLBACK["draw_integer"](conjecture, 3, 7) <= 7
    assert _FALLBACK["draw_boolean"](conjecture, 0.0) is False
    assert _FALLBACK["draw_boolean"](conjecture, 1.0) is True
    x = _FALLBACK["draw_float"](
        conjecture, -2.0, 2.0, allow_nan=False, smallest_nonzero_magnitude=2.2250738585072014e-308
    )
    assert -2.0 <= x <= 2.0
    assert len(_FALLBACK["draw_bytes"](conjecture, 5)) == 5


_CONSUMERS = [
    "realize._hypothesis_internals",
    *(
        f"realize.strategies.{name}"
        for name in ("_devices", "_dtypes", "_samplers", "_layouts", "_shapes", "_tensors")
    ),
]


@pytest.fixture
def fallback_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every strategy module draws through the public fallback, as with a Hypothesis whose
    internals do not fit."""
    for name in _CONSUMERS:
        module = importlib.import_module(name)
        for primitive, fn in _FALLBACK.items():
            if hasattr(module, primitive):
                monkeypatch.setattr(module, primitive, fn)


@pytest.mark.usefixtures("fallback_everywhere")
def test_tensors_work_through_the_fallback() -> None:
    examples = sample(tensors(device="cpu"), 60)
    assert all(isinstance(x, torch.Tensor) for x in examples)
    assert len({x.dtype for x in examples}) > 3  # dtypes still vary
    bounded = sample(
        tensors(torch.float32, (4,), device="cpu", elements={"min_value": -1, "max_value": 1}), 30
    )
    assert all(bool(((x >= -1) & (x <= 1)).all()) for x in bounded)


def test_the_other_fenced_internals_work_on_this_hypothesis(tmp_path: Any) -> None:
    """Run on the floor (tox -e min: 6.126) and the newest: each guard picks what exists."""
    from hypothesis import settings
    from hypothesis import strategies as st

    from realize import _hypothesis_internals as internals

    assert internals.StrategyBase is st.SearchStrategy
    assert internals.is_empty(st.nothing()) and not internals.is_empty(st.integers())
    before = internals.current_profile_name()
    settings.register_profile("realize-fence-probe", max_examples=3)
    settings.load_profile("realize-fence-probe")
    try:
        assert internals.current_profile_name() == "realize-fence-probe"
    finally:
        settings.load_profile(before)
    assert internals.examples_directory().name == "examples"
