"""The built wheel, installed (not editable), runs the harness in an empty directory.

As a user would: ``pip install dist/realize-*.whl`` into a fresh virtual
environment, then, in a directory holding only ``mypkg/__init__.py`` and
``mypkg/ops.py``, ``pytest --realize-target=mypkg.ops:...`` with the ``pytest``
script (which, unlike ``python -m pytest``, does not put the directory on
``sys.path``). The environment borrows torch, Hypothesis and pytest from this
one through a ``.pth`` line (installing torch again would cost minutes); realize
itself comes from the wheel alone, which the first test checks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

OPS = '''
import os

import torch


def my_clone(x):
    """Correct."""
    return x.clone()


def contiguous_clone(x):
    """Broken: loses the input's strides."""
    return x.contiguous().clone()


def aborts_on_large(x):
    """Kills the process on inputs above 1000 elements, as a crashing kernel would."""
    if x.numel() > 1000:
        os.abort()
    return x.clone()
'''


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel of this checkout installed."""
    base = tmp_path_factory.mktemp("wheel")
    # from a copy of what git would commit: an in-tree build/ left by an earlier
    # build could put files that no longer exist into the wheel
    source = base / "source"
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split("\0")  # fmt: skip
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    dist = base / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(dist), str(source)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    (wheel,) = dist.glob("realize-*.whl")
    env_dir = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # torch, hypothesis, pytest, pip from this environment; its .pth files (the
    # editable install of realize) are not processed from a path added this way
    Path(purelib, "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        # --ignore-installed: the borrowed path holds this checkout's editable install
        [python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed",
         "-q", str(wheel)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    script = env_dir / "bin" / "pytest"  # as pip writes console scripts
    script.write_text(
        f"#!{python}\nimport sys\nfrom pytest import console_main\nsys.exit(console_main())\n"
    )
    script.chmod(0o755)
    return env_dir


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    (tmp_path / "mypkg" / "ops.py").write_text(OPS)
    return tmp_path


def _run(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("REALIZE_", "PYTEST_", "HYPOTHESIS_", "PYTHON"))
    }
    env.update(CI="true", PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    return subprocess.run(
        [str(venv / "bin" / "pytest"), "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_realize_comes_from_the_wheel(venv: Path, project: Path) -> None:
    where = subprocess.run(
        [venv / "bin" / "python", "-c",
         "import realize, _realize_pytest; print(realize.__file__, _realize_pytest.__file__)"],
        cwd=project, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert where.count(str(venv)) == 2, where


def test_a_correct_clone_passes_every_property(venv: Path, project: Path) -> None:
    run = _run(venv, project, "--realize-target=mypkg.ops:my_clone")
    assert run.returncode == 0, run.stdout[-5000:]
    assert "realize: target mypkg.ops:my_clone" in run.stdout
    assert " passed" in run.stdout and "failed" not in run.stdout


def test_a_broken_clone_fails_with_the_report(venv: Path, project: Path) -> None:
    run = _run(venv, project, "--realize-target=mypkg.ops:contiguous_clone", "-x")
    assert run.returncode == 1, run.stdout[-5000:]
    assert "clone semantics: stride=" in run.stdout
    assert "realize.testing.assert_clone_semantics(mypkg.ops.contiguous_clone, x)" in run.stdout


def _failures(out: str) -> str:
    """The lines of a run's output that say what failed (for the assertion message)."""
    keep = ("FAILED", "ERROR", "E   ", "Error")
    return "\n".join(line for line in out.splitlines() if line.startswith(keep))[-6000:]


def test_compiled_mode_works_there(venv: Path, project: Path) -> None:
    run = _run(
        venv, project, "--pyargs", "realize.harness.test_properties",
        "--realize-target=mypkg.ops:my_clone", "--realize-compile=inductor",
        "--realize-known-bugs=xfail", "--hypothesis-profile=realize-dev",
        "--hypothesis-seed=0", "-k", "test_independence and cpu and not layouts", "-rfE",
    )  # fmt: skip
    assert run.returncode == 0, _failures(run.stdout) or run.stdout[-3000:]
    assert "compiled with backend='inductor', every call proven compiled" in run.stdout
    summary = run.stdout.strip().splitlines()[-1]
    # passed, or an expected failure naming a known upstream bug: never a failure
    assert "1 passed" in summary or "1 xfailed" in summary, summary


def test_an_aborting_target_is_reported_and_the_run_completes(venv: Path, project: Path) -> None:
    run = _run(
        venv, project, "--pyargs", "realize.harness.test_properties",
        "--realize-target=mypkg.ops:aborts_on_large", "--realize-isolate",
        "-k",
        "cpu and (test_clone_semantics or test_independence or test_result_stays) and not layouts",
    )  # fmt: skip
    assert run.returncode == 1, run.stdout[-5000:]
    assert "clone semantics: call=crashed the process (SIGABRT, exit code -6)" in run.stdout
    assert "independence: call=crashed the process (SIGABRT, exit code -6)" in run.stdout
    assert "[mypkg.ops.aborts_on_large(x)]" in run.stdout
    assert "Fatal Python error: Aborted" in run.stdout
    summary = run.stdout.strip().splitlines()[-1]
    assert "2 failed, 1 passed" in summary, summary  # the run went on after each crash
