"""Installing realize never breaks a user's imports (issue 11, points 1 and 3)."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

ENTRY_POINT = "_realize_hooks:hypothesis_setup_hook"


def _entry_point_installed() -> bool:
    return any(
        ep.value == ENTRY_POINT for ep in importlib.metadata.entry_points(group="hypothesis")
    )


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # cwd first on sys.path (python -c), as a user's own project would have it.
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_nothing_generic_is_installed_at_top_level() -> None:
    dist = importlib.metadata.distribution("realize")
    top_level = {
        Path(f.parts[0]).stem
        for f in dist.files or []
        if f.suffix == ".py" and not f.parts[0].endswith((".dist-info", ".egg-info"))
    }
    # An editable install lists only its finder files; check the declared layout too.
    assert "strategies" not in top_level
    assert all(name.startswith(("realize", "_realize", "__editable__")) for name in top_level), (
        top_level
    )


@pytest.mark.skipif(not _entry_point_installed(), reason="realize is not pip-installed here")
def test_a_users_own_strategies_module_is_untouched(tmp_path: Path) -> None:
    (tmp_path / "strategies.py").write_text("WHOSE = 'the user'\n")
    result = _run(
        """
        import hypothesis                      # runs realize's entry point
        import strategies                      # the user's module
        import torch
        from hypothesis import strategies as st
        from realize.strategies import tensors
        print(strategies.WHOSE, strategies.__file__.endswith("strategies.py"))
        print(repr(st.from_type(torch.Tensor)), tensors(shape=(2,), device="cpu").example().shape)
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    user, ours = result.stdout.splitlines()
    assert user == "the user True"
    assert ours.startswith("tensors(") and ours.endswith(" torch.Size([2])"), ours


def test_the_entry_point_imports_no_torch(tmp_path: Path) -> None:
    result = _run(
        """
        import sys
        import _realize_hooks
        _realize_hooks.hypothesis_setup_hook()
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "realize")))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_failing_hook_warns_once_and_the_import_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import _realize_hooks

    (tmp_path / "realize_failing_probe.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "realize_failing_probe", raising=False)

    def explode(module: object) -> None:
        raise KeyError("a future torch renamed something")

    def exit_hard(module: object) -> None:
        raise SystemExit("a callback that exits")

    _realize_hooks.when_imported(
        "realize_failing_probe", explode, what="the probe registration", fallback="all else works."
    )
    _realize_hooks.when_imported(
        "realize_failing_probe", exit_hard, what="the exiting registration", fallback="fine."
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import realize_failing_probe  # type: ignore[import-not-found]

    assert realize_failing_probe.VALUE == 1  # the user's import completed
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 2, messages  # one warning per failed registration
    assert "the probe registration failed" in messages[0]
    assert "SystemExit" in _realize_hooks.failures()["the exiting registration"]
    assert "KeyError" in messages[0] and "all else works." in messages[0]
    assert "KeyError" in _realize_hooks.failures()["the probe registration"]


@pytest.mark.skipif(not _entry_point_installed(), reason="realize is not pip-installed here")
def test_profiles_are_registered_by_the_entry_point_without_torch(tmp_path: Path) -> None:
    """``--hypothesis-profile=realize-torch-ci`` works in a project that imports nothing of ours."""
    (tmp_path / "test_x.py").write_text(
        "import sys\n"
        "from hypothesis import settings\n\n\n"
        "def test_profile():\n"
        "    assert settings().derandomize and settings().database is None\n"
        "    assert 'torch' not in sys.modules and 'realize' not in sys.modules\n"
    )
    for profile in ("realize-torch-ci", "realize-ci"):
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             f"--hypothesis-profile={profile}"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
