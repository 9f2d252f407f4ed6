"""Settings profiles for torch suites, and what st.from_type(torch.Tensor) draws (point 6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from strategy_helpers import PLUGIN_INSTALLED, sample

from realize.strategies import PROFILES, load_profile
from realize.strategies._registration import uncommon_dtypes


@pytest.fixture
def restore_profile() -> Iterator[None]:
    before = settings.default
    yield
    settings.register_profile("_restore", parent=before)
    settings.load_profile("_restore")


@pytest.mark.usefixtures("restore_profile")
def test_one_line_loads_a_profile_fit_for_first_call_latency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    loaded = load_profile()
    assert settings.default.deadline == loaded.deadline
    assert loaded.deadline is not None and loaded.deadline >= timedelta(seconds=1)
    assert not loaded.derandomize  # even though this suite's own `ci` profile derandomizes
    assert loaded.max_examples == settings.get_profile("default").max_examples
    assert HealthCheck.too_slow in loaded.suppress_health_check
    monkeypatch.setenv("CI", "true")
    ci = load_profile()
    assert ci.derandomize and ci.database is None and ci.deadline == loaded.deadline
    assert load_profile("realize-torch-ci").derandomize  # the full name works too
    assert set(PROFILES) == {"realize-torch", "realize-torch-ci"}
    for name in PROFILES:  # registered: --hypothesis-profile=NAME works
        assert settings.get_profile(name).deadline == loaded.deadline


@pytest.mark.usefixtures("restore_profile")
def test_a_slow_first_call_passes_under_the_profile() -> None:
    import time

    calls = []
    load_profile("torch-ci")

    @settings(max_examples=3)  # on top of the loaded profile
    @given(st.integers())
    def first_call_is_slow(_: int) -> None:
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.6)  # lazy initialisation, as torch's first op

    first_call_is_slow()  # Hypothesis' default 200 ms deadline would fail this


def test_an_unknown_profile_names_the_choices() -> None:
    with pytest.raises(InvalidArgument, match=r"name='fast' is not a realize profile.*'torch'"):
        load_profile("fast")


@pytest.mark.skipif(not PLUGIN_INSTALLED, reason="st.from_type needs the installed plugin")
def test_from_type_draws_common_dtypes_only() -> None:
    uncommon = set(uncommon_dtypes())
    assert {torch.complex32, torch.uint64, torch.float8_e4m3fn} <= uncommon
    drawn = {x.dtype for x in sample(st.from_type(torch.Tensor), 150)}
    assert not drawn & uncommon, drawn & uncommon
    assert {torch.float32, torch.int64, torch.bool, torch.complex64} <= drawn
