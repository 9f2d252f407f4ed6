"""The benchmark regression gate fails a run that got slower (runs in the normal suite).

The gate is ``tox run -e bench``: ``--benchmark-autosave --benchmark-compare
--benchmark-compare-fail=<expr>``. This test takes those flags from the tox config, runs a
tiny benchmark three times in a fresh pytest process with its own storage, exactly as the
tox env would on a fresh machine, and checks each outcome:

1. the first run has nothing to compare with: it passes and is saved as the baseline;
2. the second run, with a slowdown injected far beyond the threshold, fails;
3. the third run, back to normal speed, compares with the second (the newest saved run)
   and passes: a failing run is saved too, which is how a slowdown is accepted.
"""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The benchmark under the gate: 1 ms of sleep per call, plus the injected delay. Sleeping
# (not spinning) keeps the baseline steady on a busy machine and costs no CPU.
BENCH = """
import os
import time


def test_tiny(benchmark):
    delay = 0.001 + float(os.environ["GATE_EXTRA_DELAY_S"])
    benchmark.pedantic(time.sleep, args=(delay,), rounds=9, iterations=1)
"""

# The first-run rule lives in tests/benchmarks/_gate.py; load it as the tox env does.
CONFTEST = """
from tests.benchmarks._gate import baseline_on_first_run


def pytest_configure(config):
    baseline_on_first_run(config)
"""


def _gate_flags() -> list[str]:
    """The gate's flags, read from tox.ini's [testenv:bench] so the test checks the real gate."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "tox.ini", encoding="utf-8")
    if not parser.has_option("testenv:bench", "commands"):
        pytest.fail("no [testenv:bench] commands in tox.ini")
    commands = parser.get("testenv:bench", "commands")
    flags = re.findall(r"--benchmark-(?:autosave|compare(?:-fail=\S+)?)(?=\s|$)", commands)
    assert "--benchmark-autosave" in flags and "--benchmark-compare" in flags, commands
    assert any(f.startswith("--benchmark-compare-fail=") for f in flags), commands
    return flags


def _threshold_pct(flags: list[str]) -> float:
    expr = next(f for f in flags if f.startswith("--benchmark-compare-fail="))
    match = re.fullmatch(r"--benchmark-compare-fail=\w+:(\d+(?:\.\d+)?)%", expr)
    assert match, f"{expr} is not a percentage threshold"
    return float(match[1])


def _run(folder: Path, flags: list[str], extra_delay_s: float) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}  # xdist, addopts
    env.update(
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",  # only pytest-benchmark: a quick start
        GATE_EXTRA_DELAY_S=str(extra_delay_s),
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
    )
    command = [
        sys.executable, "-m", "pytest", "-p", "pytest_benchmark.plugin", "-p", "no:cacheprovider",
        "test_tiny_bench.py", "--benchmark-only", "-q",
        f"--benchmark-storage=file://{folder / 'storage'}", *flags,
    ]  # fmt: skip
    return subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_gate_fails_on_an_injected_slowdown(tmp_path: Path) -> None:
    flags = _gate_flags()
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the repo's config
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_tiny_bench.py").write_text(BENCH)
    # At least 4x slower, and 3x the threshold: the noise of a 1 ms sleep cannot hide it.
    slowdown_s = 0.001 * max(3.0, 3 * _threshold_pct(flags) / 100)

    first = _run(tmp_path, flags, 0.0)
    output = first.stdout + first.stderr
    assert first.returncode == 0, output
    assert "nothing to compare with" in output, output
    assert len(list(tmp_path.glob("storage/*/0001_*.json"))) == 1, output

    slowed = _run(tmp_path, flags, slowdown_s)
    output = slowed.stdout + slowed.stderr
    assert slowed.returncode != 0, (
        f"the gate let a {slowdown_s * 1e3:.0f} ms slowdown pass:\n{output}"
    )
    assert "Performance has regressed" in output, output
    assert "test_tiny" in output, output

    recovered = _run(tmp_path, flags, 0.0)
    output = recovered.stdout + recovered.stderr
    assert recovered.returncode == 0, output
    assert len(list(tmp_path.glob("storage/*/0003_*.json"))) == 1, output
