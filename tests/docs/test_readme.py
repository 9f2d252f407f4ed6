"""The README stays true where that is cheap to check: its code runs, its names exist.

* Every ```python block runs, each in a fresh interpreter (some register global
  Hypothesis strategies), after a prelude that binds the names the fragments use
  (``my_op``, ``x``, ``grad_output``); test functions a block defines are called.
* Every ``--realize-*`` flag it names is an option of the installed plugin, every
  ``REALIZE_*`` variable is read by the code, every ``tox run -e NAME`` is an
  environment of tox.ini, and every repository path in backticks exists.
"""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()

# Only the names a fragment leaves to the reader; torch and realize are not imported for
# it, so a block that forgets an import fails here as it would for a user.
PRELUDE = """
import torch as _torch

my_op = _torch.clone
x = _torch.randn(3, 4, requires_grad=True)
grad_output = _torch.randn(3, 4)
"""

# Call the test functions a block defines.
EPILOGUE = """
for _name, _fn in list(globals().items()):
    if _name.startswith("test_") and callable(_fn):
        _fn()
"""

#: Blocks whose tests ask for the plugin's fixtures run under pytest with the plugin, as the
#: README tells users to run them: every device, meta included.
FIXTURES = ("realize_target", "realize_device")


def _python_blocks() -> list[str]:
    return [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", README, re.S)]


@pytest.mark.parametrize("block", _python_blocks(), ids=lambda b: b.strip().splitlines()[0][:40])
def test_every_python_block_runs(block: str, tmp_path: Path) -> None:
    if any(f in block for f in FIXTURES):
        (tmp_path / "test_block.py").write_text(block)
        command = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "test_block.py",
                   "--realize-target=torch:clone"]  # fmt: skip
    else:
        command = ["-c", PRELUDE + block + EPILOGUE]
    run = subprocess.run(
        [sys.executable, *command], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    output = (run.stdout + run.stderr)[-3000:]
    assert run.returncode == 0, f"{block}\n--- output:\n{output}"


def test_every_flag_named_is_an_option_of_the_plugin() -> None:
    flags = set(re.findall(r"--realize-[a-z-]+", README)) | {"--device"}
    help_text = subprocess.run(
        [sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    ).stdout  # fmt: skip
    missing = {f for f in flags if f not in help_text}
    assert not missing, f"the README names flags the plugin does not have: {missing}"


def test_every_environment_variable_named_is_read() -> None:
    names = set(re.findall(r"\bREALIZE_[A-Z_]+[A-Z]\b", README))
    code = "\n".join(
        p.read_text() for p in [*ROOT.glob("realize/**/*.py"), *ROOT.glob("_realize_*.py")]
    )
    code += (ROOT / "tox.ini").read_text() + (ROOT / "tests/benchmarks/conftest.py").read_text()
    missing = {n for n in names if f'"{n}"' not in code and f"{n} =" not in code}
    assert not missing, f"the README names variables nothing reads: {missing}"


def test_every_tox_environment_named_exists() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "tox.ini")
    envs = {s.removeprefix("testenv:") for s in parser.sections()} | set(
        parser.get("tox", "env_list").replace(",", " ").split()
    )
    named = set(re.findall(r"tox run -e (\w+)", README))
    assert named and named <= envs, f"README names tox environments not in tox.ini: {named - envs}"


def test_every_repository_path_named_exists() -> None:
    paths = set(re.findall(r"`((?:tests|realize|docs|tools|constraints|\.ci)/[\w./-]+?)`", README))
    missing = sorted(p for p in paths if not (ROOT / p.rstrip("/")).exists())
    assert paths and not missing, f"the README names paths that do not exist: {missing}"
