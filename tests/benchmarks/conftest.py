"""pytest wiring for the benchmarks in this folder (pytest-benchmark).

Run them with ``pytest tests/benchmarks --benchmark-only`` (or ``tox run -e bench``).
pyproject's ``addopts`` carry ``--benchmark-skip``, so a plain ``pytest`` (with or without
``-n auto``) skips every benchmark; ``--benchmark-only`` overrides it. Benchmarks measure
nothing under xdist: never add ``-n`` to ``--benchmark-only`` (``-p no:xdist`` or ``-n0`` if
your options carry one; see ``pytest_configure`` below). docs/benchmarks.md has the rest.

Everything below is optional for a benchmark module; nothing changes a benchmark that does
not ask for it.

Fixtures
    ``bench_run(fn, *args, device, impl, **extra_info)``
        Benchmarks ``fn(*args)`` with ``benchmark.pedantic``: warm-up, iterations per round
        calibrated to about 2 ms, rounds to about 0.1 s (``round_s``, ``budget_s``,
        ``min_rounds``, ``max_rounds`` override), a timer that drains ``device``'s queue at
        both ends of each round, ``group`` if given. It fills ``extra_info`` with ``impl``,
        ``device``, ``threads``, the keywords passed (``mode``, ``dtype``, ``layout``,
        ``nbytes``, ...) and ``GBps`` = ``bytes_moved`` (default ``2 * nbytes``: one read, one
        write) / median, and keeps the record for the goal check. ``paired={name: other_fn}``
        also times ``fn`` against each ``other_fn`` in interleaved rounds (``_paired.py``) and
        stores the per-round ratios in ``extra_info["paired"]``: what the goals are judged
        on. Returns ``fn``'s result.
    ``bench_record(benchmark)``
        Keeps a plain ``benchmark`` fixture's result for the goal check (its ``extra_info``
        may declare a goal, see ``_goals.py``).
    ``bench_device``
        Parametrizes a test over every device (``cpu``, each ``cuda:N``; ``$REALIZE_DEVICES``
        narrows it); a requested device that is absent is a skip with a reason.
    ``synchronize``
        ``synchronize(device)`` waits for the device's queue (no-op on CPU).
    For your own ``benchmark`` calls: ``from ._devices import sync_timer, syncing_on`` and
    ``@pytest.mark.benchmark(timer=sync_timer)`` plus ``with syncing_on(device): ...``.

Hooks
    ``pytest_benchmark_update_machine_info``: torch and realize versions, CUDA version,
    device names, torch's thread count, CPU count.
    ``pytest_benchmark_update_json``: ``GBps`` for any benchmark with ``nbytes`` but none;
    the goal results under ``"realize_goals"``.
    ``pytest_sessionfinish``/``pytest_terminal_summary``: the performance goals
    (``_goals.py``) on the benchmarks that ran, one line each (met, MISSED, too noisy) and
    a last line that adds them up. A missed goal only fails the run when asked to:
    ``REALIZE_BENCH_GOALS=fail`` (``tox run -e bench`` sets it), so a plain
    ``pytest --benchmark-only`` on a busy machine reports and exits 0. Nothing happens when
    no benchmark ran.
    ``pytest_configure``: with ``--benchmark-compare --benchmark-compare-fail`` and no
    earlier run saved for this machine, the run becomes the baseline instead of a usage error;
    ``--benchmark-only -n N`` runs in one process (as ``-n0``) instead of measuring nothing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

import pytest
import torch

from ._devices import (
    available_devices,
    device_name,
    is_present,
    sync_timer,
    syncing_on,
    time_calls,
)
from ._devices import synchronize as _synchronize
from ._gate import baseline_on_first_run
from ._goals import GoalResult, evaluate, format_results
from ._paired import paired_ratios

_RECORDS = pytest.StashKey[list[dict[str, Any]]]()
_GOALS = pytest.StashKey[list[GoalResult]]()

# Calibration: a round of about ROUND_S seconds (well above the timer's and a device sync's
# cost), about BUDGET_S seconds of rounds per benchmark, within [MIN_ROUNDS, MAX_ROUNDS].
ROUND_S = 2e-3
BUDGET_S = 0.1
MIN_ROUNDS = 10
MAX_ROUNDS = 200
_CALIBRATE_S = 0.02


# --------------------------------------------------------------------------- configuration


def pytest_configure(config: pytest.Config) -> None:
    _one_process_for_benchmarks(config)
    baseline_on_first_run(config)


_XDIST_MESSAGE = (
    "pytest-benchmark measures nothing under xdist (-n): run --benchmark-only with "
    "-p no:xdist or -n0"
)


def _one_process_for_benchmarks(config: pytest.Config) -> None:
    """``--benchmark-only -n N``: run in one process, as ``-n0`` would, instead of measuring
    nothing. Takes effect when this conftest loads at start-up (``pytest tests/benchmarks``);
    otherwise xdist workers run the benchmarks and their results are lost (with the repo's
    ``--benchmark-skip`` in addopts, pytest-benchmark does not notice xdist), so ``bench_run``
    fails each one with the same advice."""
    option = config.option
    if not getattr(option, "benchmark_only", False) or getattr(option, "dist", "no") == "no":
        return
    option.numprocesses, option.dist, option.tx = 0, "no", []
    config.issue_config_time_warning(
        pytest.PytestConfigWarning(f"{_XDIST_MESSAGE}; running in one process."), stacklevel=2
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "bench_device" in metafunc.fixturenames:
        metafunc.parametrize("bench_device", available_devices(), indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # pytest-benchmark reads its timer from the `benchmark` marker when the fixture is made:
    # give every test that uses bench_run the synchronising timer (keeping its other marker
    # arguments, and its own timer if it set one).
    for item in items:
        if "bench_run" not in getattr(item, "fixturenames", ()):
            continue
        marker = item.get_closest_marker("benchmark")
        kwargs = dict(marker.kwargs) if marker else {}
        if "timer" not in kwargs:
            kwargs["timer"] = sync_timer
            item.add_marker(pytest.mark.benchmark(**kwargs))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def bench_device(request: pytest.FixtureRequest) -> str:
    device: str = request.param
    if not is_present(device):
        pytest.skip(f"device {device} is not present on this machine")
    return device


@pytest.fixture
def synchronize() -> Callable[[str | torch.device], None]:
    return _synchronize


def _calibrate(
    fn: Callable[..., Any], args: tuple[Any, ...], device: str, round_s: float, budget_s: float,
    min_rounds: int, max_rounds: int,
) -> tuple[int, int]:  # fmt: skip
    """Warm ``fn`` up, then pick (iterations per round, rounds) from its time per call."""
    for _ in range(2):  # first calls allocate, fill caches, finish lazy initialisation
        fn(*args)
    calls, elapsed = time_calls(
        lambda: fn(*args), device, at_least_s=_CALIBRATE_S, max_calls=1 << 20
    )
    per_call = max(elapsed / calls, 1e-9)
    iterations = max(1, round(round_s / per_call))
    rounds = math.ceil(budget_s / (iterations * per_call))
    return iterations, min(max(rounds, min_rounds), max_rounds)


@pytest.fixture
def bench_run(benchmark: Any, request: pytest.FixtureRequest) -> Callable[..., Any]:
    records = request.config.stash.setdefault(_RECORDS, [])

    def run(
        fn: Callable[..., Any],
        *args: Any,
        device: str,
        impl: str,
        group: str | None = None,
        bytes_moved: int | None = None,
        round_s: float = ROUND_S,
        budget_s: float = BUDGET_S,
        min_rounds: int = MIN_ROUNDS,
        max_rounds: int = MAX_ROUNDS,
        paired: Mapping[str, Callable[..., Any]] | None = None,
        paired_rounds: int = 31,
        **extra_info: Any,
    ) -> Any:
        if group is not None:
            benchmark.group = group
        benchmark.extra_info.update(
            impl=impl, device=str(device), threads=torch.get_num_threads(), **extra_info
        )
        if hasattr(request.config, "workerinput"):  # an xdist worker: results are dropped
            pytest.fail(_XDIST_MESSAGE, pytrace=False)
        if benchmark.disabled:  # --benchmark-disable: run once, measure nothing
            return benchmark.pedantic(fn, args=args)
        iterations, rounds = _calibrate(fn, args, device, round_s, budget_s, min_rounds, max_rounds)
        with syncing_on(device):
            result = benchmark.pedantic(
                fn, args=args, iterations=iterations, rounds=rounds, warmup_rounds=1
            )
        if paired:
            benchmark.extra_info["paired"] = paired_ratios(
                fn, paired, *args, device=device, rounds=paired_rounds, round_s=round_s
            )
        stats = benchmark.stats.stats
        nbytes = extra_info.get("nbytes")
        if bytes_moved is None and nbytes is not None:
            bytes_moved = 2 * int(nbytes)
        if bytes_moved is not None:
            benchmark.extra_info["bytes_moved"] = bytes_moved
            benchmark.extra_info["GBps"] = bytes_moved / stats.median / 1e9
        records.append(_record(benchmark))
        return result

    return run


def _record(benchmark: Any) -> dict[str, Any]:
    stats = benchmark.stats.stats
    return {
        "name": benchmark.name,
        "extra_info": benchmark.extra_info,
        "stats": {
            "median": stats.median,
            "min": stats.min,
            "q1": stats.q1,
            "q3": stats.q3,
            "rounds": stats.rounds,
        },
    }


@pytest.fixture
def bench_record(request: pytest.FixtureRequest) -> Callable[[Any], None]:
    records = request.config.stash.setdefault(_RECORDS, [])

    def record(benchmark: Any) -> None:
        if not benchmark.disabled and benchmark.stats is not None:
            records.append(_record(benchmark))

    return record


# --------------------------------------------------------------------------- pytest-benchmark hooks


def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict) -> None:
    import realize

    machine_info["torch_version"] = torch.__version__
    machine_info["torch_cuda_version"] = torch.version.cuda
    machine_info["realize_version"] = realize.__version__
    machine_info["torch_num_threads"] = torch.get_num_threads()
    machine_info["cpu_count"] = os.cpu_count()
    machine_info["devices"] = {d: device_name(d) for d in available_devices() if is_present(d)}
    machine_info["command"] = " ".join(["pytest", *config.invocation_params.args])


def pytest_benchmark_update_json(
    config: pytest.Config, benchmarks: list, output_json: dict
) -> None:
    for bench in output_json.get("benchmarks", []):
        info, median = bench.get("extra_info") or {}, (bench.get("stats") or {}).get("median")
        if "nbytes" in info and "GBps" not in info and median:
            info["GBps"] = info.get("bytes_moved", 2 * int(info["nbytes"])) / median / 1e9
    output_json["realize_goals"] = [asdict(r) for r in evaluate(output_json.get("benchmarks", []))]


# --------------------------------------------------------------------------- the goal check


def gate_enabled() -> bool:
    """Does a missed goal fail the run? Only with ``REALIZE_BENCH_GOALS=fail`` (opt-in)."""
    return os.environ.get("REALIZE_BENCH_GOALS", "report").strip().lower() == "fail"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    records = session.config.stash.get(_RECORDS, [])
    if not records:
        return
    results = session.config.stash[_GOALS] = evaluate(records)
    missed = any(r.missed for r in results)
    if missed and gate_enabled() and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(trylast=True)  # after pytest-benchmark's tables: the run ends with the goals
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    results = config.stash.get(_GOALS, None)
    if not results:
        return
    missed = any(r.missed for r in results)
    terminalreporter.section("realize performance goals", sep="=", red=missed, green=not missed)
    lines = format_results(results, gate=gate_enabled())
    for line, result in zip(lines, [*results, None], strict=True):
        status = result.status if result else ""
        terminalreporter.write_line(line, red=status == "MISS", yellow=status == "noisy")
