"""Interleaved, paired timing: how the goals compare implementations, like with like.

On a shared 2-core machine, load comes in bursts from milliseconds to seconds long. Two
implementations measured one after the other (one pytest-benchmark test each) can land on
either side of a burst, and the ratio of their medians then says more about the machine
than about the code. Here the implementations compared run in the same rounds instead,
alternating (A B, then B A, so neither always goes first), and the ratio is taken round by
round: a burst slows both sides of that round's ratio, not one side of the comparison.
The median of the per-round ratios is the goal's value; its quartiles decide between a
real miss and "too noisy to tell" (``_goals.py``).
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping
from typing import Any

from ._devices import synchronize, time_calls

__all__ = ["paired_differences", "paired_ratios", "summarise"]


def _iterations(fn: Callable[[], Any], device: str, round_s: float) -> int:
    """Calls of ``fn`` that take about ``round_s``."""
    calls, elapsed = time_calls(fn, device, at_least_s=round_s / 4, max_calls=1 << 16)
    return max(1, round(calls * round_s / max(elapsed, 1e-9)))


BLOCKS = 3


def _timed(fn: Callable[[], Any], calls: int, device: str) -> float:
    """Seconds per call: the best of ``BLOCKS`` blocks of ``calls / BLOCKS`` calls, the
    device's queue drained at both ends of each. A block during which the process was
    descheduled (milliseconds, on a shared machine) is dropped instead of skewing the
    round's ratio tenfold."""
    per_block = max(1, calls // BLOCKS)
    best = math.inf
    for _ in range(BLOCKS):
        synchronize(device)
        start = time.perf_counter()
        for _ in range(per_block):
            fn()
        synchronize(device)
        best = min(best, (time.perf_counter() - start) / per_block)
    return best


def _paired_times(
    subject: Callable[..., Any],
    others: Mapping[str, Callable[..., Any]],
    args: tuple[Any, ...],
    device: str,
    rounds: int,
    round_s: float,
) -> dict[str, list[float]]:
    """Seconds per call of the subject (key ``""``) and of each other, round by round."""
    fns = {"": lambda: subject(*args)} | {
        name: (lambda fn=fn: fn(*args)) for name, fn in others.items()
    }
    for fn in fns.values():  # warm up: allocations, caches, lazy initialisation
        fn()
        fn()
    calls = {name: _iterations(fn, device, round_s) for name, fn in fns.items()}
    times: dict[str, list[float]] = {name: [] for name in fns}
    order = list(fns)
    for r in range(rounds):
        for name in order if r % 2 == 0 else reversed(order):
            times[name].append(_timed(fns[name], calls[name], device))
    return times


def summarise(values: list[float]) -> dict[str, float]:
    """Median, quartiles and count of per-round values (JSON-ready)."""
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {"median": median, "q1": q1, "q3": q3, "rounds": float(len(values))}


def paired_ratios(
    subject: Callable[..., Any],
    others: Mapping[str, Callable[..., Any]],
    *args: Any,
    device: str,
    rounds: int = 31,
    round_s: float = 2e-3,
) -> dict[str, dict[str, float]]:
    """``time(subject) / time(other)`` per round, for each of ``others``, summarised.

    Every round times each implementation once (``round_s`` worth of calls), in
    alternating order. Returns ``{other: {"median", "q1", "q3", "rounds"}}`` of the
    per-round ratios: JSON-ready, for ``extra_info["paired"]``.
    """
    times = _paired_times(subject, others, args, device, rounds, round_s)
    return {
        name: summarise([a / b for a, b in zip(times[""], times[name], strict=True)])
        for name in others
    }


def paired_differences(
    subject: Callable[..., Any],
    others: Mapping[str, Callable[..., Any]],
    *args: Any,
    device: str = "cpu",
    rounds: int = 11,
    round_s: float = 0.0,
) -> dict[str, dict[str, float]]:
    """``time(subject) - time(other)`` in seconds per round, summarised like
    :func:`paired_ratios`: for an absolute cost (``extra_info["paired_extra"]``)."""
    times = _paired_times(subject, others, args, device, rounds, round_s)
    return {
        name: summarise([a - b for a, b in zip(times[""], times[name], strict=True)])
        for name in others
    }
