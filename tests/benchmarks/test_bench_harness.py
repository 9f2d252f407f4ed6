"""What the installed harness costs: pytest start-up where unused, and its throughput.

Goals, judged with the other performance goals at the end of the run:

* **Start-up, unused.** In a project with realize installed that uses none of the
  harness, ``pytest --collect-only`` with the plugin against the same run with
  ``-p no:realize``, in interleaved rounds of fresh processes: the plugin adds at
  most 20 ms (median of the per-round differences). Measured as the CPU time
  (user + system) of each process, which a busy machine changes far less than
  wall time (a process waiting for a core costs no CPU time); the wall times
  are recorded too.
* **Throughput.** ``test_clone_semantics``'s examples per second: Hypothesis
  drawing ``inputs("clone_semantics", "cpu")`` and checking each example through
  the harness's :class:`Checker` (known-bug table, flight record), against the
  same draws checked by the bare property (``realize.harness.check``): the
  harness's machinery costs at most 10% (time ratio <= 1.10). The same run under
  ``--realize-isolate`` (a child process) is recorded, not judged.

Run with ``pytest tests/benchmarks/test_bench_harness.py --benchmark-only``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from realize.harness import check, inputs
from realize.harness._checker import Checker
from realize.harness._flight import FlightRecorder
from realize.harness._isolation import IsolatedWorker
from realize.harness._targets import Target

from ._paired import paired_differences, paired_ratios, summarise

STARTUP_GOAL_S = 0.020
THROUGHPUT_GOAL = 1.10
EXAMPLES = 200

UNRELATED_TEST = """
def test_unrelated():
    assert sum(range(4)) == 6
"""


def _pytest_collect(project: Path, *extra: str) -> Callable[[], float]:
    """A run of ``pytest --collect-only`` in ``project``; returns its CPU seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REALIZE_", "PYTEST_"))}
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]

    def run() -> float:
        process = subprocess.Popen(
            [*command, *extra],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        assert process.returncode == 0, f"pytest --collect-only exited {process.returncode}"
        return usage.ru_utime + usage.ru_stime

    return run


def _cpu_differences(a: Callable[[], float], b: Callable[[], float], rounds: int) -> dict:
    """Per-round ``cpu(a) - cpu(b)``, alternating which goes first, summarised."""
    a(), b()  # warm the file system cache
    diffs = []
    for r in range(rounds):
        if r % 2:
            cost_b, cost_a = b(), a()
        else:
            cost_a, cost_b = a(), b()
        diffs.append(cost_a - cost_b)
    return summarise(diffs)


def test_startup_cost_where_unused(
    benchmark: Any, bench_record: Callable[[Any], None], tmp_path: Path
) -> None:
    (tmp_path / "test_unrelated.py").write_text(UNRELATED_TEST)
    with_plugin = _pytest_collect(tmp_path)
    without = _pytest_collect(tmp_path, "-p", "no:realize")
    benchmark.group = "harness: pytest start-up in a project that does not use it"
    benchmark.pedantic(with_plugin, rounds=5, iterations=1, warmup_rounds=1)
    cpu = _cpu_differences(with_plugin, without, rounds=21)
    _record(
        benchmark,
        "with the plugin",
        paired_extra={"-p no:realize": cpu},
        wall_extra=paired_differences(with_plugin, {"-p no:realize": without}, rounds=5),
        goal={
            "case": "harness: pytest --collect-only, unrelated project",
            "against": "-p no:realize",
            "max_extra_s": STARTUP_GOAL_S,
        },
    )
    bench_record(benchmark)


def _record(benchmark: Any, impl: str, **extra: Any) -> None:
    """The ``extra_info`` every benchmark record carries (see ``conftest.py``)."""
    benchmark.extra_info.update(
        impl=impl, device="cpu", dtype="any", layout="any", nbytes=0, mode="eager", GBps=0.0,
        suite="harness", **extra,
    )  # fmt: skip


def _examples(checker: Callable[[Any], None]) -> Callable[[], int]:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=inputs("clone_semantics", "cpu"))
    def run(case: Any) -> None:
        checker(case)

    def count() -> int:
        run()
        return EXAMPLES

    return count


@pytest.fixture(scope="module")
def target() -> Target:
    return Target.of("realize:realize")


@pytest.fixture
def flight() -> Iterator[FlightRecorder]:
    recorder = FlightRecorder(Path(tempfile.mkdtemp(prefix="realize-bench-flight-")))
    yield recorder
    recorder.close()


def test_throughput_of_clone_semantics(
    benchmark: Any, bench_record: Callable[[Any], None], target: Target, flight: FlightRecorder
) -> None:
    harness = Checker(target, known_bugs="xfail", flight=flight, test="bench")
    through_harness = _examples(lambda case: harness("clone_semantics", case))
    bare = _examples(lambda case: check("clone_semantics", target.callable, *case.args))
    benchmark.group = "harness: test_clone_semantics, examples per second"
    benchmark.pedantic(through_harness, rounds=3, iterations=1, warmup_rounds=1)
    best = benchmark.stats.stats.min / EXAMPLES
    _record(
        benchmark,
        "through the harness",
        examples_per_s=1.0 / best,
        paired=paired_ratios(through_harness, {"bare property": bare}, device="cpu", rounds=7,
                             round_s=0.0),
        goal={
            "case": "harness: test_clone_semantics examples/s",
            "against": "bare property",
            "max_time_ratio": THROUGHPUT_GOAL,
        },
    )  # fmt: skip
    bench_record(benchmark)


def test_throughput_of_clone_semantics_isolated(
    benchmark: Any, bench_record: Callable[[Any], None], target: Target
) -> None:
    worker = IsolatedWorker()
    try:
        isolated = Checker(target, known_bugs="xfail", isolated=worker, test="bench")
        run = _examples(lambda case: isolated("clone_semantics", case))
        benchmark.group = "harness: test_clone_semantics, examples per second"
        benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=1)
    finally:
        worker.close()
    _record(benchmark, "--realize-isolate", examples_per_s=EXAMPLES / benchmark.stats.stats.min)
    bench_record(benchmark)
