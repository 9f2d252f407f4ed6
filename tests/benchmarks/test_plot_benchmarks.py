"""tools/plot_benchmarks.py renders a benchmark JSON into charts and tables (normal suite)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "plot_benchmarks.py"
KiB, MiB = 1024, 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def tool(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("plot_benchmarks", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "plot_benchmarks", module)  # dataclasses look it up
    spec.loader.exec_module(module)
    return module


def _copy(device: str, impl: str, nbytes: int, median: float, **info: Any) -> dict[str, Any]:
    extra: dict[str, Any] = {"suite": "copy", "impl": impl, "device": device, "mode": "eager"}
    extra |= {"dtype": "float32", "layout": "contiguous", "nbytes": nbytes, **info}
    name = f"test_copy[{device}-{impl}]"
    return {"name": name, "fullname": f"tests/x.py::{name}", "extra_info": extra,
            "group": None, "stats": {"median": median}}  # fmt: skip


def _synthetic() -> dict[str, Any]:
    """Two devices, three sizes, three impls; GB/s given for some, derived for others."""
    benchmarks = []
    for device, peak in (("cpu", 10.0), ("cuda:0", 3000.0)):
        for nbytes in (4 * KiB, 1 * MiB, 64 * MiB):
            for impl, gbps in (("realize", peak * 0.9), ("clone", peak), ("copy_", peak)):
                median = 2 * nbytes / (gbps * 1e9)
                info = {"GBps": gbps} if impl == "clone" else {}
                benchmarks.append(_copy(device, impl, nbytes, median, **info))
    benchmarks.append(_copy("cpu", "realize", 4 * KiB, 1e-6, mode="compiled"))
    for case, rates in (("floats 10x10", (4000.0, 1000.0)), ("1000x1000", (50.0, 10.0))):
        for impl, rate in zip(("strategies.tensors", "hypothesis.extra.numpy"), rates, strict=True):
            benchmarks.append(
                {
                    "name": f"test_draw[{impl}]",
                    "fullname": "tests/benchmarks/test_bench_strategies.py::test_draw",
                    "group": case,
                    "extra_info": {"impl": impl, "case": case, "examples": 10},
                    "stats": {"median": 10 / rate},
                }
            )
    machine = {"torch_version": "2.13.0", "devices": {"cpu": "Test CPU", "cuda:0": "Test GPU"}}
    goal = {"case": "copy cpu eager float32 contiguous 64MiB", "goal": "realize/clone time"}
    goals = [{**goal, "value": 1.11, "status": "MISS", "detail": "medians: ..."}]
    return {"machine_info": machine, "benchmarks": benchmarks, "realize_goals": goals}


def test_renders_charts_and_tables(
    tool: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib", reason="the plot tool needs matplotlib (bench extra)")
    source = tmp_path / "bench.json"
    source.write_text(json.dumps(_synthetic()))
    out = tmp_path / "img"

    assert tool.main([str(source), "--out", str(out), "--tables"]) == 0

    expected = {"bandwidth-cpu.png", "bandwidth-cuda0.png", "strategies.png"}
    assert {p.name for p in out.iterdir()} == expected
    for name in expected:
        data = (out / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 10_000, name
    printed = capsys.readouterr().out
    # GB/s read from extra_info (clone) and derived from the median (realize: 0.9 x 10;
    # compiled realize: 8 KiB moved in 1 us).
    assert "| 4 KiB | 9 | 10 | 10 | 8.19 |" in printed, printed
    assert "| 64 MiB | 2700 | 3000 | 3000 |" in printed, printed
    assert "| 1000x1000 | 10 | 50 |" in printed, printed  # examples/s: hnp, then ours
    assert "| MISS |" in printed, printed


def test_nothing_to_plot_is_an_error(tool: ModuleType, tmp_path: Path) -> None:
    source = tmp_path / "empty.json"
    source.write_text(json.dumps({"machine_info": {}, "benchmarks": []}))
    assert tool.main([str(source), "--out", str(tmp_path / "img")]) == 1
    assert list((tmp_path / "img").iterdir()) == []


def test_matplotlib_is_imported_lazily() -> None:
    code = f"import runpy, sys; runpy.run_path({str(TOOL)!r}); print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "False", result.stdout + result.stderr


def test_without_arguments_it_reads_the_last_run_and_writes_under_benchmarks(
    tool: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("matplotlib", reason="the plot tool needs matplotlib (bench extra)")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".benchmarks").mkdir()
    (tmp_path / ".benchmarks" / "last-run.json").write_text(json.dumps(_synthetic()))
    assert tool.main([]) == 0
    assert {p.name for p in (tmp_path / ".benchmarks" / "plots").iterdir()} == {
        "bandwidth-cpu.png", "bandwidth-cuda0.png", "strategies.png",
    }  # fmt: skip


def test_the_newest_saved_run_when_there_is_no_last_run(tool: ModuleType, tmp_path: Path) -> None:
    machine = tmp_path / ".benchmarks" / "Linux-CPython-3.11-64bit"
    machine.mkdir(parents=True)
    for name in ("0001_old.json", "0002_new.json", "0010_newest.json"):
        (machine / name).write_text("{}")
    assert [p.name for p in tool.default_inputs(tmp_path)] == ["0010_newest.json"]
    assert tool.default_inputs(tmp_path / "nowhere") == []


def test_before_any_benchmark_run_it_says_what_to_run(
    tool: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    assert tool.main([]) == 2
    assert "pytest tests/benchmarks --benchmark-only --benchmark-json=" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # a named file that is not there
        tool.main(["missing.json"])
    message = str(exit_info.value.code)
    assert "missing.json does not exist" in message and "tox run -e bench" in message


def test_the_log_axis_fits_the_data_not_an_outlier(tool: ModuleType) -> None:
    core = [5.0, 8.0, 12.0]  # realize, clone, copy_ GB/s
    lo, hi = tool.fitted_log_range(core, [*core, 3.0, 1e-3])  # 1e-3: a stalled compiled run
    assert 1.0 < lo < 3.0 and 12.0 < hi < 40.0
    assert tool._ratio_range([1.02, 0.97]) == (0.5, 2.0)
    assert tool._ratio_range([500.0]) == (1 / 20, 20.0)


def test_points_whose_rounds_disagree_are_flagged_as_noise(tool: ModuleType) -> None:
    """A median whose rounds spread over more than half of it is machine noise, not data:
    the tables say so (and the chart rings it) instead of drawing it as the code's speed."""
    steady = _copy("cpu", "clone", 1 * MiB, 1e-3)
    steady["stats"] |= {"q1": 0.95e-3, "q3": 1.05e-3}
    noisy = _copy("cpu", "realize", 1 * MiB, 8e-3)
    noisy["stats"] |= {"q1": 1e-3, "q3": 9e-3}
    points = tool.copy_points([{"benchmarks": [steady, noisy]}])
    assert {p.impl: p.noisy for p in points} == {"clone": False, "realize": True}
    text = tool.tables(points, [])
    assert "(noisy)" in text and "interquartile range is over 50%" in text
    assert text.count("(noisy)") == 2  # the one noisy cell, and the note explaining it
