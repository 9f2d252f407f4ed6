"""Which devices the benchmarks run on, and how to wait for one of them.

A CUDA kernel launch returns before the kernel has run, so a plain wall-clock
timer measures the launch only. ``sync_timer`` drains the queue of the device
being benchmarked before it reads the clock; ``syncing_on(device)`` says which
device that is for the duration of one measurement.
"""

from __future__ import annotations

import contextlib
import os
import platform
import time
from collections.abc import Callable, Iterator
from typing import Any

import torch

from realize.strategies._devices import is_available, present_devices

__all__ = [
    "available_devices",
    "device_name",
    "is_present",
    "sync_timer",
    "synchronize",
    "syncing_on",
]

# The device ``sync_timer`` drains; ``None`` while a CPU benchmark (or none) runs.
_active: list[torch.device] = []


def available_devices() -> list[str]:
    """Devices to benchmark: ``cpu`` and every accelerator, or ``$REALIZE_DEVICES``.

    The present devices come from the strategies' device registry
    (``realize.strategies._devices.present_devices``: cpu, cuda, mps, xpu, ...).
    ``REALIZE_DEVICES`` (set by the root conftest's ``--device``) is a comma-separated
    list such as ``cpu,cuda:0``; a device it names that is absent stays in the list,
    so the benchmark shows up as a skip with a reason instead of vanishing. ``meta`` is
    left out.
    """
    requested = os.environ.get("REALIZE_DEVICES", "").strip()
    if not requested:
        return [str(d) for d in present_devices()]
    # meta tensors hold no data: there is no copy to time.
    names = (d.strip() for d in requested.split(","))
    return [d for d in names if d and torch.device(d).type != "meta"]


def is_present(device: str | torch.device) -> bool:
    """True when ``device`` exists on this machine."""
    return is_available(device)


def synchronize(device: str | torch.device) -> None:
    """Wait until every kernel queued on ``device`` has finished (no-op on CPU)."""
    dev = torch.device(device)
    if dev.type == "cpu":
        return
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
        return
    accelerator = getattr(torch, "accelerator", None)  # torch >= 2.6
    if accelerator is not None and hasattr(accelerator, "synchronize"):
        accelerator.synchronize(dev)
    else:  # pragma: no cover - older torch with mps/xpu
        getattr(torch, dev.type).synchronize()


def time_calls(
    fn: Callable[[], Any], device: str, *, at_least_s: float, max_calls: int
) -> tuple[int, float]:
    """(calls, seconds) of the first batch of ``fn`` calls that takes ``at_least_s``:
    1, 4, 16, ... calls, the device's queue drained at both ends, up to ``max_calls``."""
    calls = 1
    while True:
        synchronize(device)
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        synchronize(device)
        elapsed = time.perf_counter() - start
        if elapsed >= at_least_s or calls >= max_calls:
            return calls, elapsed
        calls *= 4


def sync_timer() -> float:
    """``time.perf_counter`` after draining the device set by ``syncing_on``.

    Use it as pytest-benchmark's timer (``@pytest.mark.benchmark(timer=sync_timer)``):
    the timer is read before and after each round, so a round then covers every
    kernel its calls launched, and the sync cost is paid twice a round, not per call.
    """
    if _active:
        synchronize(_active[-1])
    return time.perf_counter()


@contextlib.contextmanager
def syncing_on(device: str | torch.device) -> Iterator[None]:
    """Make ``sync_timer`` drain ``device`` inside the block (nothing for CPU)."""
    dev = torch.device(device)
    if dev.type == "cpu":
        yield
        return
    _active.append(dev)
    try:
        yield
    finally:
        _active.pop()


def device_name(device: str | torch.device) -> str:
    """A human name for ``device``: the GPU model, or the CPU's."""
    dev = torch.device(device)
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    if dev.type == "cpu":
        return _cpu_name()
    return str(dev)


def _cpu_name() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()
