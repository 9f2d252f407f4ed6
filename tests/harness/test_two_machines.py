"""Two "machines" share failing examples through a real Redis server.

Each machine is a separate pytest process with its own working directory and
its own local example database (``HYPOTHESIS_STORAGE_DIRECTORY``), and nothing of
this repository: ``--realize-db`` comes from the installed pytest plugin, the
profiles from realize's Hypothesis entry point, as in any project. The property
under test writes every example it is called with to a log, so the logs show
which example each run tried first.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests._ports import free_port
from tests.harness._redis_server import redis_contents

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 180

PROPERTIES = """
import os
from pathlib import Path

from hypothesis import given, strategies as st


def _seen(name, example):
    with open(Path(os.environ["EXAMPLES_LOG"]) / f"{name}.log", "a") as f:
        f.write(f"{example!r}\\n")


@given(st.integers(0, 10**6))
def test_found_on_machine_a(x):
    _seen("found_on_machine_a", x)
    assert x < 777


@given(st.lists(st.integers(0, 100)))
def test_found_on_machine_b(xs):
    _seen("found_on_machine_b", xs)
    assert sum(xs) < 50
"""


class Machine:
    """A checkout of its own: working directory, local example database, logs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.logs = root / "logs"
        self.logs.mkdir(parents=True)
        (root / "pytest.ini").write_text("[pytest]\n")
        (root / "test_shared_failure.py").write_text(PROPERTIES)

    def start(self, *args: str, profile: str, **environ: str) -> subprocess.Popen[str]:
        """Start ``pytest ARGS`` here under profile ``realize-<profile>``, plus ``environ``."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("REALIZE_", "HYPOTHESIS_", "PYTEST_", "CI"))
        }
        env.update(
            HYPOTHESIS_STORAGE_DIRECTORY=str(self.root / ".hypothesis"),
            EXAMPLES_LOG=str(self.logs),
            **environ,
        )
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:benchmark"]
        return subprocess.Popen(
            [
                *command,
                f"--hypothesis-profile=realize-{profile}",
                "-rA",
                "test_shared_failure.py",
                *list(args),
            ],
            cwd=self.root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    @staticmethod
    def finish(run: subprocess.Popen[str], returncode: int) -> str:
        """Wait for ``run``; check its exit status; return its output."""
        try:
            out = run.communicate(timeout=RUN_TIMEOUT_S)[0]
        finally:
            if run.poll() is None:
                run.kill()
                run.communicate()
        assert run.returncode == returncode, out
        return out

    def examples(self, test: str) -> list[str]:
        return (self.logs / f"{test}.log").read_text().splitlines()

    def saved_locally(self) -> list[Path]:
        return [p for p in (self.root / ".hypothesis" / "examples").rglob("*") if p.is_file()]


@pytest.mark.slow  # three pytest processes and an xdist worker, each importing torch
def test_a_failure_found_on_one_machine_replays_first_on_another(
    redis_url: str, tmp_path: Path
) -> None:
    # Machine A (random `dev` profile) finds the failure and shrinks it to 777.
    # Meanwhile, as the control, machine C runs the derandomized `ci` profile with
    # Redis down (a dead port): it starts elsewhere, warns once, still finds and
    # shrinks the failure, and keeps it in its local database.
    a, c = Machine(tmp_path / "machine-a"), Machine(tmp_path / "machine-c")
    dead = f"redis://127.0.0.1:{free_port()}/0"
    run_a = a.start(f"--realize-db={redis_url}", "-k", "found_on_machine_a", profile="dev")
    run_c = c.start(f"--realize-db={dead}", "-k", "found_on_machine_a", profile="ci")
    assert "Warning" not in Machine.finish(run_a, returncode=1)
    assert a.examples("found_on_machine_a")[-1] == "777"
    shared = redis_contents(redis_url)
    assert shared, "machine A saved nothing to Redis"

    out_c = Machine.finish(run_c, returncode=1)
    assert c.examples("found_on_machine_a")[0] != "777"
    assert c.examples("found_on_machine_a")[-1] == "777"
    assert out_c.count(f"shared example database {dead} is unreachable") == 1, out_c
    assert "SharedDatabaseUnavailable" in out_c
    assert f"local .hypothesis/examples only ({dead} unreachable)" in out_c
    assert c.saved_locally(), "the failure found while Redis was down was not kept locally"

    # Machine B: another directory, empty local database, the same derandomized `ci`
    # profile as C, but Redis up and read-only (a fork's pull request), and the
    # tests on an xdist worker; configured through the environment this time. Its
    # first example is A's failure, where C's was not.
    b = Machine(tmp_path / "machine-b")
    run_b = b.start("-n", "1", profile="ci", REALIZE_DB=redis_url, REALIZE_DB_READONLY="1")
    out_b = Machine.finish(run_b, returncode=1)
    assert f"realize: example database {redis_url} read-only + local" in out_b
    assert b.examples("found_on_machine_a")[0] == "777", "B did not start from A's failure"
    assert "Warning" not in out_b, out_b  # e.g. Hypothesis's conftest side-effect warning
    assert "FAILED test_shared_failure.py::test_found_on_machine_b" in out_b
    # read-only: B's own new failure stayed local; Redis is exactly as A left it
    assert b.saved_locally()
    assert redis_contents(redis_url) == shared


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://x:1/", "has an unsupported scheme 'http'"),
        ("redis://127.0.0.1:1/0", "needs the redis client, which is not installed"),
    ],
)
def test_bad_database_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # as if the redis extra were missing
    monkeypatch.delitem(sys.modules, "hypothesis.extra.redis", raising=False)
    monkeypatch.chdir(ROOT)
    run = pytester.runpytest_inprocess(
        f"--realize-db={url}", "--co", "-p", "no:cacheprovider", f"--rootdir={ROOT}", __file__
    )
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    assert f"--realize-db={url}: url={url!r} {message}" in run.stderr.str()
    if "redis client" in message:
        assert 'pip install -e ".[redis]"' in run.stderr.str()
