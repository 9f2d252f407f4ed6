"""The performance goals of realize, checked on a finished benchmark run.

Everything here reads benchmark records shaped like pytest-benchmark's JSON
(``{"extra_info": {...}, "stats": {"median": seconds, ...}}``), so the same check
runs at the end of a ``--benchmark-only`` session and on a saved JSON file.

Goals (issue 6, and the latency goal of the foundation issue), each a ratio of
times measured side by side in the same run (per round where paired, see below):

* CPU, >= 64 MiB: ``realize`` within 5% of ``clone`` (ratio of times <= 1.05);
* CPU, <= 4 KiB: ``realize`` at most 3x ``clone``;
* accelerators, >= 256 MiB: ``realize`` moves at least 90% of the bytes per
  second of a device-to-device ``copy_`` into a preallocated tensor (the peak);
* latency, 16 float32 elements, one thread, with and without grad: the
  function and the bare operator against ``clone`` and PyTorch's test op (the
  rows of ``test_bench_latency.py`` declare them; on CUDA not the function's
  test-op ratio);
* compiled fusion barrier on accelerators, >= 256 MiB: ``barrier(x.sin()).cos()``
  costs at most 1.10 extra copies over the fused ``x.sin().cos()``, a copy being a
  device-to-device ``copy_`` of the tensor. Not checked on CPU, where the barrier's
  fresh buffer pays page faults that a preallocated ``copy_`` does not
  (docs/benchmarks.md);
* compiled ``realize(x.sin()).cos()`` at most 1.10x the time of the same graph with
  PyTorch's test op (Inductor generates the same kernels), every device and size;
* strategies (any record with ``extra_info["goal"]``): the time ratio it names, e.g.
  ``tensors()`` at most 0.5x the time of ``hypothesis.extra.numpy.arrays``.

Where a record carries ``extra_info["paired"]`` (``_paired.py``: the implementations timed
in the same, alternating rounds), a time-ratio goal is judged on those per-round ratios:
their median is the value, and the miss is real (``MISS``) only when the favourable
quartile misses too; otherwise it is ``noisy``. Without it, on the ratio of the two
benchmarks' medians, the quartiles of each deciding the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["GoalResult", "evaluate", "format_results", "format_size", "format_time"]

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

CPU_LARGE = 64 * MiB
CPU_LARGE_MAX_RATIO = 1.05
CPU_SMALL = 4 * KiB
CPU_SMALL_MAX_RATIO = 3.0
ACCEL_LARGE = 256 * MiB
ACCEL_MIN_FRACTION_OF_PEAK = 0.90
BARRIER_MAX_EXTRA_COPIES = 1.10
COMPILED_MAX_RATIO_TO_TEST_OP = 1.10


@dataclass(frozen=True)
class GoalResult:
    """One goal on one measured case.

    ``status`` is ``"ok"``; ``"MISS"`` when the ratio of medians misses the goal and so does
    the most favourable ratio of quartiles (the miss is beyond the measurements' spread);
    ``"noisy"`` when the medians miss but the quartiles overlap the goal (inconclusive: rerun
    on a quieter machine); ``"n/a"`` when the comparison was not measured.
    """

    case: str
    goal: str
    value: float | None
    status: str
    detail: str

    @property
    def missed(self) -> bool:
        return self.status == "MISS"

    @property
    def verdict(self) -> str:
        """What a reader sees: ``met``, ``MISSED``, ``too noisy``, ``not measured``."""
        return _VERDICTS.get(self.status, self.status)

    def line(self) -> str:
        value = "" if self.value is None else f" = {self.value:.3g}"
        return f"{self.verdict:<12} {self.case}: {self.goal}{value}  [{self.detail}]"


_VERDICTS = {"ok": "met", "MISS": "MISSED", "noisy": "too noisy", "n/a": "not measured"}


def format_size(nbytes: int) -> str:
    """``4096 -> '4KiB'``, ``1 << 30 -> '1GiB'``, ``64 -> '64B'``."""
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if nbytes >= size and nbytes % size == 0:
            return f"{nbytes // size}{unit}"
    return f"{nbytes}B"


def format_time(seconds: float) -> str:
    """Seconds in the unit that reads best: ``1.3e-6 -> '1.30 us'``."""
    if seconds < 0:
        return f"-{format_time(-seconds)}"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


_Key = tuple[str, str, str, str, str, int]


@dataclass(frozen=True)
class _Stat:
    median: float
    q1: float
    q3: float

    def __str__(self) -> str:
        spread = f"{format_time(self.q1)}-{format_time(self.q3)}"
        return f"{format_time(self.median)} (IQR {spread})"


_Paired = dict[_Key, Mapping[str, Mapping[str, float]]]


def _paired(benchmarks: Iterable[Mapping[str, Any]]) -> _Paired:
    """realize's paired ratios (``extra_info["paired"]``) by case key."""
    paired: _Paired = {}
    for bench in benchmarks:
        info = bench.get("extra_info") or {}
        if info.get("impl") == "realize" and info.get("paired") and "suite" in info:
            key = tuple(info[k] for k in ("suite", "device", "mode", "dtype", "layout"))
            paired[(*key, int(info["nbytes"]))] = info["paired"]  # type: ignore[index]
    return paired


def _index(benchmarks: Iterable[Mapping[str, Any]]) -> dict[_Key, dict[str, _Stat]]:
    """Statistics by (suite, device, mode, dtype, layout, nbytes), then by impl."""
    index: dict[_Key, dict[str, _Stat]] = {}
    for bench in benchmarks:
        info = bench.get("extra_info") or {}
        stats = bench.get("stats") or {}
        if info.get("suite") not in ("copy", "latency", "compiled_barrier") or not stats.get(
            "median"
        ):
            continue
        key = (
            info["suite"],
            info["device"],
            info["mode"],
            info["dtype"],
            info["layout"],
            int(info["nbytes"]),
        )
        median = float(stats["median"])
        stat = _Stat(median, float(stats.get("q1", median)), float(stats.get("q3", median)))
        index.setdefault(key, {})[info["impl"]] = stat
    return index


def _medians(stats: Mapping[str, _Stat], *impls: str) -> str:
    return "medians: " + ", ".join(f"{i} {stats[i]}" for i in impls if i in stats)


def _check(
    case: str, goal: str, num: _Stat, den: _Stat, limit: float, *, at_most: bool, detail: str
) -> GoalResult:
    """``num / den`` (medians) against ``limit``; the quartiles decide MISS from noisy."""
    value = num.median / den.median
    best = num.q1 / den.q3 if at_most else num.q3 / den.q1

    def meets(ratio: float) -> bool:
        return ratio <= limit if at_most else ratio >= limit

    status = "ok" if meets(value) else "noisy" if meets(best) else "MISS"
    return GoalResult(case, goal, value, status, detail)


def _paired_check(
    case: str, goal: str, ratio: Mapping[str, float], limit: float, *, invert: bool = False
) -> GoalResult:
    """A goal on per-round ratios ``subject / other <= limit`` (``invert``: ``other / subject
    >= limit``): met on the median; missed only if the favourable quartile misses too."""
    median, q1, q3 = ratio["median"], ratio["q1"], ratio["q3"]
    if invert:
        median, q1, q3 = 1 / median, 1 / q3, 1 / q1
        status = "ok" if median >= limit else "noisy" if q3 >= limit else "MISS"
    else:
        status = "ok" if median <= limit else "noisy" if q1 <= limit else "MISS"
    detail = f"{int(ratio['rounds'])} interleaved rounds, ratio IQR {q1:.3g}-{q3:.3g}"
    return GoalResult(case, goal, median, status, detail)


def _time_ratio(
    case: str,
    stats: Mapping[str, _Stat],
    other: str,
    limit: float,
    detail: str = "",
    paired: Mapping[str, Mapping[str, float]] | None = None,
) -> GoalResult:
    """``time(realize) / time(other) <= limit``: per round if paired, else of medians."""
    goal = f"realize/{other} time (goal <= {limit:g})"
    if paired and other in paired:
        return _paired_check(case, goal, paired[other], limit)
    if other not in stats:
        return GoalResult(case, goal, None, "n/a", f"{other} was not measured")
    detail = detail or _medians(stats, "realize", other)
    return _check(case, goal, stats["realize"], stats[other], limit, at_most=True, detail=detail)


def _declared_goals(benchmarks: Iterable[Mapping[str, Any]]) -> list[GoalResult]:
    """Goals that a record states itself (one, or a list): ``extra_info["goal"] = {"case",
    "against", "max_time_ratio"}`` judged on its ``extra_info["paired"][against]``, or
    ``{"case", "against", "max_extra_s"}`` judged on ``extra_info["paired_extra"][against]``
    (the per-round difference in seconds)."""
    results = []
    for bench in benchmarks:
        info = bench.get("extra_info") or {}
        goals = info.get("goal") or []
        for declared in [goals] if isinstance(goals, Mapping) else goals:
            if "max_extra_s" in declared:
                results.append(_extra_cost(info, declared))
                continue
            other, limit = declared["against"], float(declared["max_time_ratio"])
            goal = f"{info.get('impl')}/{other} time (goal <= {limit:g})"
            ratio = (info.get("paired") or {}).get(other)
            if ratio is None:
                results.append(
                    GoalResult(declared["case"], goal, None, "n/a", f"{other} not paired")
                )
            else:
                results.append(_paired_check(declared["case"], goal, ratio, limit))
    return results


def _extra_cost(info: Mapping[str, Any], declared: Mapping[str, Any]) -> GoalResult:
    """``time(subject) - time(against) <= max_extra_s``, on per-round differences."""
    other, limit = declared["against"], float(declared["max_extra_s"])
    goal = f"{info.get('impl')} - {other} time in ms (goal <= {limit * 1e3:g})"
    extra = (info.get("paired_extra") or {}).get(other)
    if extra is None:
        return GoalResult(declared["case"], goal, None, "n/a", f"{other} not paired")
    median, q1, q3 = extra["median"], extra["q1"], extra["q3"]
    status = "ok" if median <= limit else "noisy" if q1 <= limit else "MISS"
    detail = (
        f"{int(extra['rounds'])} interleaved rounds, difference IQR "
        f"{format_time(q1)} to {format_time(q3)}"
    )
    return GoalResult(declared["case"], goal, median * 1e3, status, detail)


def _barrier(case: str, fused: _Stat | None, realize: _Stat, copy: _Stat | None) -> GoalResult:
    """``(median(barrier) - median(fused)) / median(copy_) <= BARRIER_MAX_EXTRA_COPIES``."""
    goal = f"(barrier - fused) / copy_ time (goal <= {BARRIER_MAX_EXTRA_COPIES:g})"
    if fused is None or copy is None:
        return GoalResult(case, goal, None, "n/a", "fused or copy_ was not measured")
    value = (realize.median - fused.median) / copy.median
    best = (realize.q1 - fused.q3) / copy.q3
    status = (
        "ok"
        if value <= BARRIER_MAX_EXTRA_COPIES
        else "noisy"
        if best <= BARRIER_MAX_EXTRA_COPIES
        else "MISS"
    )
    detail = f"medians: fused {fused}, barrier {realize}, copy_ {copy}"
    return GoalResult(case, goal, value, status, detail)


def evaluate(benchmarks: Iterable[Mapping[str, Any]]) -> list[GoalResult]:
    """Every goal that the measured cases allow to check, in a stable order."""
    benchmarks = list(benchmarks)
    index, paired = _index(benchmarks), _paired(benchmarks)
    results: list[GoalResult] = []
    for key in sorted(index):
        suite, device, mode, dtype, layout, nbytes = key
        stats = index[key]
        if "realize" not in stats:
            continue
        case = f"{suite} {device} {mode} {dtype} {layout} {format_size(nbytes)}"
        pairs = paired.get(key)
        if suite == "compiled_barrier":
            if mode != "compiled":
                continue
            if "test_op" in stats:
                detail = _medians(stats, "realize", "test_op")
                results.append(
                    _time_ratio(
                        case, stats, "test_op", COMPILED_MAX_RATIO_TO_TEST_OP, detail, pairs
                    )
                )
            if device != "cpu" and nbytes >= ACCEL_LARGE and "barrier" in stats:
                copy = index.get((suite, device, "eager", dtype, layout, nbytes), {}).get("copy_")
                results.append(_barrier(case, stats.get("fused"), stats["barrier"], copy))
        elif suite == "latency":
            continue  # every latency row declares its own goals (test_bench_latency.py)
        elif device == "cpu":
            if nbytes >= CPU_LARGE:
                results.append(_time_ratio(case, stats, "clone", CPU_LARGE_MAX_RATIO, "", pairs))
            elif nbytes <= CPU_SMALL:
                results.append(_time_ratio(case, stats, "clone", CPU_SMALL_MAX_RATIO, "", pairs))
        elif nbytes >= ACCEL_LARGE:
            # The peak is the eager copy_ of the same tensor, whatever mode realize ran in.
            peak = index.get(("copy", device, "eager", dtype, layout, nbytes), {}).get("copy_")
            goal = f"realize GB/s / copy_ GB/s (goal >= {ACCEL_MIN_FRACTION_OF_PEAK:g})"
            if pairs and "copy_" in pairs:
                results.append(
                    _paired_check(
                        case, goal, pairs["copy_"], ACCEL_MIN_FRACTION_OF_PEAK, invert=True
                    )
                )
                continue
            if peak is None:
                results.append(GoalResult(case, goal, None, "n/a", "copy_ was not measured"))
                continue
            realize = stats["realize"]
            detail = f"medians: realize {realize}, copy_ {peak}"
            # Same bytes moved, so the ratio of times is the ratio of bandwidths.
            results.append(
                _check(case, goal, peak, realize, ACCEL_MIN_FRACTION_OF_PEAK, at_most=False,
                       detail=detail)
            )  # fmt: skip
    return results + _declared_goals(benchmarks)


def format_results(results: list[GoalResult], *, gate: bool = False) -> list[str]:
    """The lines of the goal report, one per goal, and a last line that says what they add
    up to and whether the run fails on them (``gate``)."""
    lines = [r.line() for r in results]
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "MISS", "noisy", "n/a")}
    total = (
        f"Goals: {counts['ok']} met, {counts['MISS']} missed, {counts['noisy']} too noisy to tell"
    )
    if counts["n/a"]:
        total += f", {counts['n/a']} not measured"
    if counts["MISS"] and gate:
        total += ". A goal was missed: the run fails (REALIZE_BENCH_GOALS=fail)."
    elif counts["MISS"]:
        total += (
            ". A goal was missed; this run reports it and does not fail "
            "(REALIZE_BENCH_GOALS=fail, as in `tox run -e bench`, makes it fail)."
        )
    elif counts["noisy"]:
        total += ". None missed beyond the noise; rerun on a quieter machine to tell the rest."
    else:
        total += ". All measured goals met."
    return [*lines, total]
