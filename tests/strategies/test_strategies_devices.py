"""devices(): lazy discovery, REALIZE_DEVICES, clear errors (issue point 3)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch
from hypothesis.errors import InvalidArgument
from strategy_helpers import PLUGIN_INSTALLED, sample

from realize.strategies import available_devices, devices, tensors

ENV = "REALIZE_DEVICES"


def _run(code: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != ENV}
    environ.update(env)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=environ,
        check=True,
        timeout=120,
    )
    return result.stdout.strip().splitlines()[-1]


def test_imports_are_lazy_and_never_initialise_cuda() -> None:
    # One subprocess (a torch import costs seconds) checks each stage:
    # `import hypothesis` runs the plugin without importing torch; importing torch
    # afterwards registers st.from_type (when the package is installed); importing
    # and building strategies, and drawing on cpu, never initialise CUDA.
    out = _run(
        """
        import sys, hypothesis
        from hypothesis import strategies as st
        stages = ["torch" in sys.modules]
        import torch
        stages.append(repr(st.from_type(torch.Tensor)))
        import realize.strategies
        from realize.strategies import tensors, devices, dtypes, shapes
        s = tensors(device=devices(), dtype=dtypes(), shape=shapes())
        repr(s)
        stages.append(torch.cuda.is_initialized())
        tensors(device="cpu").example()
        stages.append(torch.cuda.is_initialized())
        print(stages)
        """
    )
    torch_by_hypothesis, from_type, *cuda = eval(out)
    assert not torch_by_hypothesis
    assert cuda == [False, False]
    if PLUGIN_INSTALLED:
        assert from_type.startswith("tensors(dtype=dtypes(")


def test_default_devices_are_the_present_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    found = available_devices()
    assert found[0] == torch.device("cpu")
    cuda = [torch.device("cuda", i) for i in range(torch.cuda.device_count())]
    assert all(d in found for d in cuda)
    assert torch.device("meta") not in found
    assert torch.device("meta") in available_devices(allow_meta=True)
    drawn = sample(devices(), 30)
    assert set(drawn) == set(found)


def test_meta_only_on_request() -> None:
    assert torch.device("meta") in sample(devices(allow_meta=True), 50)
    assert {t.device.type for t in sample(tensors(device="meta"), 10)} == {"meta"}


def test_environment_restricts_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "cpu")
    assert available_devices() == (torch.device("cpu"),)
    assert {t.device.type for t in sample(tensors(), 30)} == {"cpu"}


def test_environment_naming_a_missing_device_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV, "cpu,cuda:99")
    with pytest.raises(InvalidArgument, match=r"REALIZE_DEVICES='cpu,cuda:99' names 'cuda:99'"):
        devices().validate()
    monkeypatch.setenv(ENV, "cpu,gpu0")
    with pytest.raises(InvalidArgument, match="not a torch device"):
        devices().validate()


@pytest.mark.parametrize("name", ["cuda:99", "mps:3", "xpu:7"])
def test_unavailable_explicit_device_is_an_invalid_argument(name: str) -> None:
    strategy = tensors(device=name)
    with pytest.raises(InvalidArgument, match=rf"device=.{name}. is not available"):
        strategy.validate()


def test_non_device_is_an_invalid_argument() -> None:
    with pytest.raises(InvalidArgument, match=r"Expected a torch.device or str but got device=3"):
        tensors(device=3).validate()  # type: ignore[arg-type]


def test_drawn_tensors_live_on_each_available_device() -> None:
    drawn = sample(tensors(), 120)
    assert {t.device for t in drawn} == set(available_devices())


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_tensors_are_drawn() -> None:
    from realize.strategies import supported_dtypes

    drawn = sample(tensors(device="cuda:0"), 60)
    assert all(t.device == torch.device("cuda", 0) for t in drawn)
    assert {t.dtype for t in drawn} <= set(supported_dtypes("cuda:0"))
    assert any(not t.is_contiguous() for t in drawn)


def test_other_accelerators_are_discovered_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    # An XPU machine, as torch without torch.accelerator support for it reports one: the
    # one registry finds it, so devices() draws it and the benchmarks run on it.
    from realize.strategies._devices import present_devices
    from tests.benchmarks import _devices as bench

    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setattr(torch.xpu, "is_available", lambda: True)
    monkeypatch.setattr(torch.xpu, "device_count", lambda: 2)
    xpus = [torch.device("xpu", 0), torch.device("xpu", 1)]
    assert present_devices()[-2:] == tuple(xpus)
    assert present_devices(allow_meta=True)[-1] == torch.device("meta")
    assert set(xpus) <= set(available_devices())
    assert set(xpus) <= set(sample(devices(), 60))
    assert bench.available_devices() == [str(d) for d in present_devices()]
    assert bench.is_present("xpu:1") and not bench.is_present("xpu:2")
