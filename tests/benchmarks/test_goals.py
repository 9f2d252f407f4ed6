"""The goal check classifies measured ratios correctly (normal suite, no timing involved)."""

from __future__ import annotations

from typing import Any

import pytest

from ._goals import GoalResult, evaluate, format_results

MiB = 1024 * 1024


def _bench(
    impl: str, median: float, *, spread: float = 0.0, device: str = "cpu", nbytes: int = 64 * MiB,
    suite: str = "copy", mode: str = "eager",
) -> dict[str, Any]:  # fmt: skip
    info: dict[str, Any] = {"suite": suite, "impl": impl, "device": device, "mode": mode}
    info |= {"dtype": "float32", "layout": "contiguous", "nbytes": nbytes}
    stats = {"median": median, "q1": median * (1 - spread), "q3": median * (1 + spread)}
    return {"extra_info": info, "stats": stats}


def _only(results: list[GoalResult]) -> GoalResult:
    assert len(results) == 1, results
    return results[0]


def test_cpu_large_within_five_percent() -> None:
    assert _only(evaluate([_bench("clone", 1.0), _bench("realize", 1.04)])).status == "ok"
    missed = _only(evaluate([_bench("clone", 1.0), _bench("realize", 1.06)]))
    assert missed.status == "MISS" and missed.missed
    assert missed.value is not None and abs(missed.value - 1.06) < 1e-12


def test_a_miss_inside_the_spread_is_inconclusive() -> None:
    benches = [_bench("clone", 1.0, spread=0.1), _bench("realize", 1.1, spread=0.1)]
    assert _only(evaluate(benches)).status == "noisy"
    benches = [_bench("clone", 1.0, spread=0.01), _bench("realize", 1.5, spread=0.01)]
    assert _only(evaluate(benches)).status == "MISS"


def test_cpu_small_at_most_three_times() -> None:
    small = 4096
    ok = [_bench("clone", 1.0, nbytes=small), _bench("realize", 2.9, nbytes=small)]
    bad = [_bench("clone", 1.0, nbytes=small), _bench("realize", 3.1, nbytes=small)]
    assert _only(evaluate(ok)).status == "ok"
    assert _only(evaluate(bad)).status == "MISS"
    middle = [_bench("clone", 1.0, nbytes=MiB), _bench("realize", 9.0, nbytes=MiB)]
    assert evaluate(middle) == []  # no goal between 4 KiB and 64 MiB


def test_gpu_against_the_copy_peak_in_any_mode() -> None:
    big = 256 * MiB
    peak = _bench("copy_", 1.0, device="cuda:0", nbytes=big)
    fast = _bench("realize", 1.1, device="cuda:0", nbytes=big, mode="compiled")
    slow = _bench("realize", 1.2, device="cuda:0", nbytes=big)
    results = {r.case.split()[2]: r for r in evaluate([peak, fast, slow])}
    assert results["compiled"].status == "ok"  # 1 / 1.1 = 0.91 of the peak
    assert results["eager"].status == "MISS"  # 1 / 1.2 = 0.83
    alone = _only(evaluate([_bench("realize", 1.0, device="cuda:0", nbytes=big)]))
    assert alone.status == "n/a"


def test_a_row_declares_its_goals_and_is_judged_on_its_paired_ratios() -> None:
    """The latency rows: each subject names its baselines and limits (``extra_info["goal"]``)."""
    row = _bench("bare op", 2.0, nbytes=64, suite="latency")
    row["extra_info"]["paired"] = {
        "clone": {"median": 2.0, "q1": 1.9, "q3": 2.1, "rounds": 51.0},
        "test_op": {"median": 0.67, "q1": 0.6, "q3": 0.7, "rounds": 51.0},
    }
    row["extra_info"]["goal"] = [
        {"case": "latency cpu", "against": "clone", "max_time_ratio": 2.6},
        {"case": "latency cpu", "against": "test_op", "max_time_ratio": 0.5},
        {"case": "latency cpu", "against": "unpaired", "max_time_ratio": 1.0},
    ]
    results = evaluate([row])
    assert [r.status for r in results] == ["ok", "MISS", "n/a"]  # 2.0 <= 2.6; 0.67 > 0.5
    assert results[0].goal == "bare op/clone time (goal <= 2.6)"
    assert "51 interleaved rounds" in results[1].detail
    summary = format_results(results)[-1]
    assert summary.startswith("Goals: 1 met, 1 missed, 0 too noisy to tell"), summary


def test_other_suites_are_ignored() -> None:
    other = [_bench("clone", 1.0, suite="strategies"), _bench("realize", 9.0, suite="strategies")]
    assert evaluate(other) == []


def test_barrier_costs_at_most_one_extra_copy_on_accelerators() -> None:
    big = 256 * MiB

    def case(impl: str, median: float, device: str = "cuda:0") -> dict[str, Any]:
        mode = "eager" if impl == "copy_" else "compiled"
        return _bench(impl, median, device=device, nbytes=big, suite="compiled_barrier", mode=mode)

    base = [case("fused", 1.0), case("realize", 1.0), case("copy_", 1.0), case("fallback", 3.0)]
    assert _only(evaluate([*base, case("barrier", 2.05)])).status == "ok"
    missed = _only(evaluate([*base, case("barrier", 2.3)]))
    assert missed.status == "MISS" and missed.value is not None and abs(missed.value - 1.3) < 1e-9
    assert "barrier - fused" in missed.goal
    cpu = [
        case(i, m, device="cpu")
        for i, m in (("fused", 1), ("realize", 1), ("copy_", 1), ("barrier", 9))
    ]
    assert evaluate(cpu) == []  # not a CPU goal: fresh-page faults dominate there
    no_copy = [case("fused", 1.0), case("realize", 1.0), case("barrier", 2.0)]
    assert _only(evaluate(no_copy)).status == "n/a"


@pytest.mark.parametrize("device", ["cpu", "cuda:0"])
def test_compiled_realize_costs_what_the_test_op_costs(device: str) -> None:
    def case(impl: str, median: float) -> dict[str, Any]:
        return _bench(impl, median, device=device, nbytes=MiB, suite="compiled_barrier",
                      mode="compiled")  # fmt: skip

    met = _only(evaluate([case("realize", 1.02), case("test_op", 1.0)]))
    assert met.status == "ok" and "test_op" in met.goal
    assert _only(evaluate([case("realize", 1.5), case("test_op", 1.0)])).status == "MISS"


def _paired_realize(ratio: float, q1: float, q3: float, **kwargs: Any) -> dict[str, Any]:
    bench = _bench("realize", 1.0, **kwargs)
    other = "copy_" if kwargs.get("device", "cpu") != "cpu" else "clone"
    bench["extra_info"]["paired"] = {other: {"median": ratio, "q1": q1, "q3": q3, "rounds": 31.0}}
    return bench


def test_paired_ratios_decide_over_the_separate_medians() -> None:
    # The separate medians say 10x (a burst of load hit clone's run), the paired rounds 1.02.
    clone = _bench("clone", 0.1)
    met = _only(evaluate([clone, _paired_realize(1.02, 1.0, 1.04)]))
    assert met.status == "ok" and met.value == 1.02 and "31 interleaved rounds" in met.detail
    noisy = _only(evaluate([clone, _paired_realize(1.08, 1.03, 1.2)]))  # q1 within the goal
    assert noisy.status == "noisy"
    missed = _only(evaluate([clone, _paired_realize(1.3, 1.2, 1.4)]))  # q1 beyond it too
    assert missed.status == "MISS"


def test_paired_peak_fraction_on_accelerators() -> None:
    big = 256 * MiB
    kwargs: dict[str, Any] = {"device": "cuda:0", "nbytes": big}
    peak = _bench("copy_", 1.0, **kwargs)
    assert _only(evaluate([peak, _paired_realize(1.05, 1.0, 1.1, **kwargs)])).status == "ok"
    assert _only(evaluate([peak, _paired_realize(1.2, 1.05, 1.3, **kwargs)])).status == "noisy"
    assert _only(evaluate([peak, _paired_realize(1.3, 1.25, 1.4, **kwargs)])).status == "MISS"


def test_a_declared_goal_is_judged_on_its_pairing() -> None:
    bench = {
        "extra_info": {
            "impl": "tensors()",
            "suite": "strategies",
            "goal": {"case": "strategies small", "against": "hnp", "max_time_ratio": 0.5},
            "paired": {"hnp": {"median": 0.3, "q1": 0.28, "q3": 0.35, "rounds": 7.0}},
        },
        "stats": {"median": 1.0, "q1": 1.0, "q3": 1.0},
    }
    result = _only(evaluate([bench]))
    assert (result.case, result.status, result.value) == ("strategies small", "ok", 0.3)
    bench["extra_info"]["paired"]["hnp"] |= {"median": 0.6, "q1": 0.55}
    assert _only(evaluate([bench])).status == "MISS"
    del bench["extra_info"]["paired"]
    assert _only(evaluate([bench])).status == "n/a"


def test_the_summary_names_each_verdict_and_ends_with_the_counts() -> None:
    clone = _bench("clone", 1.0)
    results = evaluate([clone, _paired_realize(1.3, 1.2, 1.4)])
    report = format_results(results)
    assert report[0].startswith("MISSED ")
    assert "does not fail" in report[-1] and "REALIZE_BENCH_GOALS=fail" in report[-1]
    assert "the run fails" in format_results(results, gate=True)[-1]
    met = format_results(evaluate([clone, _paired_realize(1.0, 0.9, 1.1)]))
    assert met[0].startswith("met ") and met[-1].endswith("All measured goals met.")
    noisy = format_results(evaluate([clone, _paired_realize(1.1, 1.0, 1.2)]))
    assert noisy[0].startswith("too noisy ") and "quieter machine" in noisy[-1]
