"""A plain benchmark run reports a missed goal; ``tox run -e bench``'s gate fails on it.

Runs in the normal suite. A tiny benchmark stands in for the latency suite: "realize" is
``x.clone()`` plus an injected delay, paired with ``clone`` as the real one is. A fresh pytest
process with this folder's conftest as a plugin runs it:

1. with the delay and no gate (a plain ``pytest --benchmark-only``): exit 0, and the goals
   summary says MISSED and that the run does not fail;
2. with the delay and the gate's environment read from tox.ini's ``[testenv:bench]``: fails;
3. without the delay, gated: passes (the gate does not fail on a healthy run).
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

BENCH = """
import os
import time

import torch

DELAY_S = float(os.environ["GATE_DELAY_S"])


def slow_realize(x):
    time.sleep(DELAY_S)
    return x.clone()


# Healthy: the very function it is compared with, so the ratio is 1 whatever the load.
REALIZE = slow_realize if DELAY_S else torch.Tensor.clone


def test_latency(bench_run):
    x = torch.ones(16)
    bench_run(
        REALIZE, x, device="cpu", impl="realize", suite="latency", mode="eager",
        dtype="float32", layout="contiguous", nbytes=64, round_s=1e-3, budget_s=0.02,
        min_rounds=5, max_rounds=10, paired={"clone": torch.Tensor.clone}, paired_rounds=9,
        goal=[{"case": "latency cpu gate", "against": "clone", "max_time_ratio": 2.6}],
    )
"""


def _gate_env() -> dict[str, str]:
    """``REALIZE_BENCH_GOALS`` as tox.ini's bench env sets it (its default, if from env)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "tox.ini", encoding="utf-8")
    setenv = parser.get("testenv:bench", "setenv", fallback="")
    match = re.search(
        r"REALIZE_BENCH_GOALS\s*=\s*(?:\{env:REALIZE_BENCH_GOALS:(\w+)\}|(\w+))", setenv
    )
    assert match, f"tox.ini's [testenv:bench] does not set REALIZE_BENCH_GOALS:\n{setenv}"
    return {"REALIZE_BENCH_GOALS": match[1] or match[2]}


def _run(folder: Path, delay_s: float, env_extra: dict[str, str]) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "REALIZE_"))}
    env.update(
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        GATE_DELAY_S=str(delay_s),
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
        **env_extra,
    )
    command = [
        sys.executable, "-m", "pytest", "-p", "pytest_benchmark.plugin",
        "-p", "tests.benchmarks.conftest", "-p", "no:cacheprovider", "test_gate_bench.py",
        "--benchmark-only", "-q",
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.slow
def test_the_gate_fails_on_a_missed_goal_and_a_plain_run_reports_it(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the repo's config
    (tmp_path / "test_gate_bench.py").write_text(BENCH)
    delay_s = 0.002  # ~1000x a 16-element clone: far beyond any noise

    code, output = _run(tmp_path, delay_s, {})
    assert code == 0, output
    summary = output[output.index("realize performance goals") :]
    assert re.search(r"^MISSED +latency cpu .*realize/clone", summary, re.M), output
    assert "does not fail" in summary, output

    code, output = _run(tmp_path, delay_s, _gate_env())
    assert code != 0, f"the gate let a {delay_s * 1e3:g} ms slowdown pass:\n{output}"
    assert "the run fails" in output, output

    code, output = _run(tmp_path, 0.0, _gate_env())
    assert code == 0, output
    assert re.search(r"^(met|too noisy) +latency cpu .*realize/clone", output, re.M), output
