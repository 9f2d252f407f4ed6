"""The installed pytest plugin: inert where unused, the harness where asked for.

Each run is a fresh ``python -m pytest`` process in a project of its own (a
temporary directory), with realize installed as in this environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

UNRELATED_CONFTEST = """
import sys

import pytest


def pytest_addoption(parser):
    # a project of its own that defines --device: realize must not clash with it
    parser.addoption("--device", default="abacus", help="this project's own device")


@pytest.fixture
def device(request):
    return request.config.getoption("--device")


def pytest_sessionfinish(session):
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "realize"))
    with open("modules.txt", "w") as f:
        f.write(" ".join(loaded))
"""

UNRELATED_TESTS = """
import pytest


def test_own_device_fixture(device):
    assert device == "abacus"


@pytest.mark.parametrize("n", [1, 2])
def test_parametrized(n):
    assert n in (1, 2)


def test_fails():
    assert 1 == 2
"""


def _pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("REALIZE_", "PYTEST_", "HYPOTHESIS_")) and k != "CI"
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _outcome_lines(out: str) -> list[str]:
    keep = ("PASSED", "FAILED", "ERROR", "SKIPPED", "collected", "= ")
    lines = [line for line in out.splitlines() if line.startswith(keep)]
    return [line.split(" in ")[0] for line in lines]  # without the timing


@pytest.fixture
def unrelated(tmp_path: Path) -> Path:
    (tmp_path / "conftest.py").write_text(UNRELATED_CONFTEST)
    (tmp_path / "test_unrelated.py").write_text(UNRELATED_TESTS)
    return tmp_path


def test_an_unrelated_project_runs_as_without_realize(unrelated: Path) -> None:
    with_plugin = _pytest(unrelated)
    modules = (unrelated / "modules.txt").read_text()
    without = _pytest(unrelated, "-p", "no:realize")
    assert with_plugin.returncode == without.returncode == 1, with_plugin.stdout
    assert "plugins:" in with_plugin.stdout and "realize-" in with_plugin.stdout  # it was loaded
    assert modules == "", f"the plugin imported {modules}"
    assert "realize:" not in with_plugin.stdout  # no header lines
    assert _outcome_lines(with_plugin.stdout) == _outcome_lines(without.stdout)
    assert "PASSED test_unrelated.py::test_own_device_fixture" in with_plugin.stdout


def test_the_project_keeps_its_own_device_option(unrelated: Path) -> None:
    run = _pytest(unrelated, "--device=slide-rule", "-k", "own_device")
    assert run.returncode == 1, run.stdout  # its fixture sees its own option
    assert "assert 'slide-rule' == 'abacus'" in run.stdout
    assert "--realize-device" in _pytest(unrelated, "--help").stdout


def test_own_properties_on_the_harness_targets_and_devices(tmp_path: Path) -> None:
    """A project's own property, on the targets of --realize-target and every device."""
    (tmp_path / "mine.py").write_text("def my_clone(x):\n    return x.clone()\n")
    (tmp_path / "test_mine.py").write_text(
        textwrap.dedent(
            """
            from hypothesis import given, strategies as st
            from realize.harness import inputs


            @given(data=st.data())
            def test_result_is_fresh(realize_target, realize_device, data):
                (x,) = data.draw(inputs("clone_semantics", realize_device)).args
                y = realize_target(x)
                assert y.shape == x.shape and (x.numel() == 0 or y.data_ptr() != x.data_ptr())
            """
        )
    )
    run = _pytest(tmp_path, "test_mine.py", "--realize-target=mine:my_clone", "--device=cpu")
    assert run.returncode == 0, run.stdout
    assert "PASSED test_mine.py::test_result_is_fresh[mine:my_clone-cpu]" in run.stdout
    assert "realize: target mine:my_clone" in run.stdout


def test_without_a_path_the_target_option_runs_the_installed_suite(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text("def my_clone(x):\n    return x.clone()\n")
    run = _pytest(tmp_path, "--realize-target=mine:my_clone", "--co", "-q", "--device=cpu")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "test_properties.py::test_clone_semantics[mine:my_clone-cpu]" in run.stdout
    assert "test_corpus.py::test_independence[mine:my_clone-cpu-float32]" in run.stdout
    assert "::test_opcheck[mine:my_clone-cpu]" in run.stdout  # collected, skipped: not an op


def test_pyargs_runs_the_suite_on_every_operator_of_realize(tmp_path: Path) -> None:
    run = _pytest(tmp_path, "--pyargs", "realize.harness", "--co", "-q", "--device=cpu")
    assert run.returncode == 0, run.stdout + run.stderr
    for target in (
        "realize.realize",
        "realize.barrier",
        "torch.ops.realize.realize.default",
        "torch.ops.realize.barrier.default",
    ):
        assert f"::test_clone_semantics[{target}-cpu]" in run.stdout, target
    assert "::test_opcheck[torch.ops.realize.barrier.default-cpu]" in run.stdout
    assert "::test_opcheck[realize.barrier-cpu]" not in run.stdout  # needs an operator


def test_usage_errors_are_early_and_clear(tmp_path: Path) -> None:
    bad_backend = _pytest(tmp_path, "--realize-target=torch:clone", "--realize-compile=tvm")
    assert bad_backend.returncode == pytest.ExitCode.USAGE_ERROR
    assert "--realize-compile='tvm' is not one of eager, aot_eager, inductor" in bad_backend.stderr
    bad_mode = _pytest(tmp_path, "--realize-known-bugs=sometimes")
    assert bad_mode.returncode == pytest.ExitCode.USAGE_ERROR
    assert "is not auto, xfail, fail or fail=NAME[,NAME]" in bad_mode.stderr
    typo = _pytest(tmp_path, "--realize-target=torch:clone", "--realize-device=cpu,gpu")
    assert typo.returncode == pytest.ExitCode.USAGE_ERROR  # not "94 skipped", exit 0
    assert "--realize-device: 'gpu' is not a torch device" in typo.stderr
    alone = _pytest(tmp_path, "--realize-target=torch:clone", "--realize-dynamic")
    assert alone.returncode == pytest.ExitCode.USAGE_ERROR  # not eager mode, silently
    assert "--realize-dynamic compiles with dynamic=True, so it needs --realize-compile" in (
        alone.stderr
    )


def test_a_failing_compiled_test_does_not_print_torchs_structured_trace(tmp_path: Path) -> None:
    """pytest >= 9.1 captures non-propagating loggers, torch's always-DEBUG trace among them:
    a failure printed thousands of ``DEBUG torch.__trace`` lines. Not in harness runs."""
    (tmp_path / "test_compiled.py").write_text(
        textwrap.dedent(
            """
            import logging
            import torch


            def test_compiled(realize_target, realize_device):
                f = torch.compile(torch.sin, backend="aot_eager")
                f(torch.ones(3, device=realize_device))
                logging.getLogger("torch.__trace").debug("a trace record")  # as torch's are
                logging.getLogger("mine").warning("the project's own log")
                assert False
            """
        )
    )
    run = _pytest(tmp_path, "test_compiled.py", "--realize-target=torch:clone", "--device=cpu")
    assert run.returncode == 1, run.stdout
    captured = run.stdout.split("Captured log call")[-1]
    assert "WARNING  mine:test_compiled.py" in captured  # the project's logs still show
    assert "torch.__trace" not in captured


@pytest.mark.skipif(
    tuple(int(p) for p in pytest.__version__.split(".")[:2]) < (8, 2),
    reason="pytest reads arguments from @file since 8.2",
)
def test_the_installed_suite_shards_by_test_id_as_the_readme_shows(tmp_path: Path) -> None:
    """Its collected ids are relative to its folder: prefixed with it they run from a file."""
    import realize.harness

    (tmp_path / "mine.py").write_text("def my_clone(x):\n    return x.clone()\n")
    options = ("--realize-target=mine:my_clone", "--device=cpu")
    listed = _pytest(tmp_path, "--collect-only", "-q", *options)
    ids = [line for line in listed.stdout.splitlines() if "::" in line]
    assert ids and ids[0].startswith("test_"), listed.stdout[-2000:]
    harness = Path(realize.harness.__file__).parent
    shard = ids[:: len(ids) // 3][:3]
    (tmp_path / "shard.txt").write_text("".join(f"{harness}/{i}\n" for i in shard))
    run = _pytest(tmp_path, "-q", *options, "@shard.txt")
    assert run.returncode == 0 and "3 passed" in run.stdout, run.stdout[-2000:]
