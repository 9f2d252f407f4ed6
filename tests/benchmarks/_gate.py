"""The regression gate's first run on a machine: nothing saved yet, nothing to compare.

``tox run -e bench`` always passes ``--benchmark-autosave --benchmark-compare
--benchmark-compare-fail=...``. On a machine's first run there is no earlier run, and
pytest-benchmark stops with "--benchmark-compare-fail requires valid --benchmark-compare".
``baseline_on_first_run`` turns that run into the baseline instead: it only saves.

It must run before pytest-benchmark's own ``pytest_configure`` (a ``trylast`` hook) reads
the options, i.e. from a conftest that pytest loads at start-up (``tests/benchmarks`` on
the command line, as in the tox env).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

__all__ = ["baseline_on_first_run", "saved_runs"]

_RUN_FILES = "[0-9][0-9][0-9][0-9]_*.json"  # what pytest-benchmark's file storage saves


def saved_runs(storage: str) -> list[Path] | None:
    """Runs saved for this machine under ``storage`` (``file://`` or a path); None if remote."""
    from pytest_benchmark.utils import get_machine_id

    if storage.startswith("file://"):
        storage = storage[len("file://") :]
    elif "://" in storage:
        return None  # elasticsearch: let pytest-benchmark decide
    root = Path(storage)
    return [*root.joinpath(get_machine_id()).glob(_RUN_FILES), *root.glob(_RUN_FILES)]


def baseline_on_first_run(config: Any) -> bool:
    """Drop the comparison when nothing is saved to compare with; True if it did."""
    option = config.option
    if getattr(option, "benchmark_compare", None) is not True:  # bare --benchmark-compare
        return False
    if not getattr(option, "benchmark_compare_fail", None):
        return False
    storage = getattr(option, "benchmark_storage", "file://./.benchmarks")
    if saved_runs(storage) != []:
        return False
    option.benchmark_compare = []
    option.benchmark_compare_fail = None
    config.issue_config_time_warning(
        pytest.PytestConfigWarning(
            f"no earlier benchmark run saved for this machine in {storage}: nothing to "
            "compare with, so this run is only saved, as the baseline of the next one."
        ),
        stacklevel=2,
    )
    return True
