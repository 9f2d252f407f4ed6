"""The conformance matrix: reading pytest's report into cells, and a real run of each kind."""

# ruff: noqa: E501  (junit XML lines)

from __future__ import annotations

import json
from pathlib import Path

import pytest

from realize.harness import conformance
from realize.harness.conformance import cells_of, classify, rows_of, run_one

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
<testcase classname="test_properties" name="test_clone_semantics[torch:clone-cpu]"/>
<testcase classname="test_properties" name="test_clone_semantics[torch:clone-meta]"/>
<testcase classname="test_properties" name="test_independence[torch:clone-cpu]">
  <failure message="AssertionError: independence: shares memory">...</failure></testcase>
<testcase classname="test_properties" name="test_transform[torch:clone-cpu-jvp]">
  <skipped type="pytest.xfail" message="known upstream bug dynamo-make-dual-symbolic-storage-offset (x) on 2 input(s): y"/></testcase>
<testcase classname="test_properties" name="test_gradcheck[torch:clone-cpu]">
  <skipped type="pytest.xfail" message="documented limitation aot-autograd-no-double-backward (x) on 1 input(s): y"/></testcase>
<testcase classname="test_properties" name="test_gradcheck[torch:clone-meta]">
  <skipped type="pytest.skip" message="gradcheck compares numbers: the meta device has none"/></testcase>
<testcase classname="test_properties" name="test_clone_semantics_of_layouts[torch:clone-cpu-sparse]">
  <skipped type="pytest.skip" message="torch.compile(backend='eager') cannot compile clone of a sparse tensor (a limitation of torch.compile, not of the target): Unsupported"/></testcase>
<testcase classname="realize.harness.test_corpus" name="test_independence[torch:clone-cpu-bits8]"/>
<testcase classname="realize.harness.test_corpus" name="test_independence[torch:clone-cpu-int8]"/>
<testcase classname="test_properties" name="test_meta_matches_cpu[torch:clone]"/>
</testsuite></testsuites>
"""


@pytest.mark.parametrize(
    ("classname", "name", "expected"),
    [
        ("test_properties", "test_clone_semantics[torch:clone-cpu]", ("clone semantics", "cpu")),
        (
            "test_properties",
            "test_transform[m:f-cuda:0-vmap_grad]",
            ("transform: vmap_grad", "cuda:0"),
        ),
        (
            "test_properties",
            "test_independence_of_layouts[m:f-meta-nested_jagged]",
            ("independence: nested_jagged", "meta"),
        ),
        ("x.test_corpus", "test_gradcheck[m:f-cpu-float64]", ("corpus gradcheck", "cpu")),
        ("test_properties", "test_meta_matches_cpu[m:f]", ("meta matches cpu", "any")),
    ],
)
def test_a_test_id_names_its_property_and_device(
    classname: str, name: str, expected: tuple[str, str]
) -> None:
    assert classify(classname, name) == expected


def test_each_outcome_becomes_its_status(tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    report.write_text(REPORT)
    cells = cells_of(report)
    status = {key: cell.status for key, cell in cells.items()}
    assert status == {
        ("clone semantics", "cpu"): "pass",
        ("clone semantics", "meta"): "pass",
        ("independence", "cpu"): "FINDING",
        ("transform: jvp", "cpu"): "known bug",
        ("gradcheck", "cpu"): "limitation",
        ("gradcheck", "meta"): "n/a",
        ("clone semantics: sparse", "cpu"): "limitation",
        ("corpus independence", "cpu"): "pass",
        ("meta matches cpu", "any"): "pass",
    }
    assert cells["transform: jvp", "cpu"].notes == {
        ("known bug", "dynamo-make-dual-symbolic-storage-offset")
    }
    rows = rows_of({("torch:clone", "eager"): cells})
    assert set(rows) == {("torch:clone", "eager", "cpu"), ("torch:clone", "eager", "meta")}
    # a device-less test joins every device's row
    assert rows["torch:clone", "eager", "meta"]["meta matches cpu"].status == "pass"


_FEW = ["-k", "test_properties and (clone_semantics or independence) and not layouts"]


@pytest.mark.parametrize(
    ("target", "expected"),
    [("torch:clone", "pass"), ("tests.harness.broken:returns_input", "FINDING")],
)
def test_a_run_of_the_installed_suite_finds_a_broken_target_and_passes_clone(
    target: str, expected: str, tmp_path: Path
) -> None:
    cells, seconds = run_one(target, "uncompiled", ["cpu"], 0, _FEW, keep=tmp_path)
    assert seconds > 0
    assert {c.status for c in cells.values()} == {expected}, dict(cells)
    assert {p for p, _ in cells} == {"clone semantics", "independence"}
    # --reports keeps the whole pytest output and report, named by target and mode
    stem = target.replace(":", "_") + "-uncompiled"
    assert sorted(f.name for f in tmp_path.iterdir()) == [f"{stem}.log", f"{stem}.xml"]
    log = (tmp_path / f"{stem}.log").read_text()
    assert ("failed" in log) == (expected == "FINDING"), log[-2000:]


def test_the_matrix_page_names_every_outcome(tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    report.write_text(REPORT)
    results = {("torch:clone", "eager"): cells_of(report)}
    page = conformance._markdown(
        results, {("torch:clone", "eager"): 12.0}, {("torch:clone", "eager"): "p"}, ["python -m x"]
    )
    assert "| independence | FINDING |" in page
    assert "[dynamo-make-dual-symbolic-storage-offset](findings.md#dynamo-make-dual" in page
    assert "**FINDING**: AssertionError: independence: shares memory" in page
    # written outside realize's docs/ (no findings.md beside it): named, not a dead link
    elsewhere = conformance._markdown(
        results, {("torch:clone", "eager"): 12.0}, {("torch:clone", "eager"): "p"},
        ["python -m x"], findings=None,
    )  # fmt: skip
    assert "findings.md" not in elsewhere
    assert "`dynamo-make-dual-symbolic-storage-offset`: " in elsewhere


def test_the_matrix_reads_the_reasons_the_recorder_writes() -> None:
    from realize.harness._recorder import Recorder
    from realize.harness.known_bugs import KNOWN_BUGS

    for bug in KNOWN_BUGS:
        verdict = Recorder(mode="xfail", failed={bug.name: 3}).verdict()
        assert verdict is not None and verdict[0] == "xfail"
        status = "limitation" if bug.limitation else "known bug"
        assert conformance.known_bugs(verdict[1]) == [(status, bug.name)]


def test_an_interrupted_matrix_resumes_where_it_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[tuple[str, str]] = []

    def fake_run(target: str, mode: str, *args: object) -> tuple[dict, float]:
        ran.append((target, mode))
        cells = {("clone semantics", "cpu"): conformance.Cell("pass")}
        if mode == "inductor":
            cells["gradcheck", "cpu"] = conformance.Cell(
                "known bug", {("known bug", "inductor-ignores-negative-bit")}
            )
        return cells, 1.0

    monkeypatch.setattr(conformance, "run_one", fake_run)
    out = tmp_path / "m.md"
    argv = ["--out", str(out), "--targets", "a:b", "--modes", "uncompiled", "--profile", "p"]
    conformance.main(argv)
    conformance.main([*argv[:-4], "--modes", "uncompiled", "inductor", "--resume"])
    assert ran == [("a:b", "uncompiled"), ("a:b", "inductor")]  # the first run kept
    page = out.read_text()
    assert "| gradcheck |  | known bug |" in page
    assert "1 (p)" in page and out.with_suffix(".json").exists()
    # the page names the commands that made its runs, in order
    assert "--modes uncompiled --profile p` then `python -m realize.harness.conformance" in page
    # and where each run was made, kept in the store: a page re-rendered on another
    # machine (a GPU run merged with --resume) names each run's own machine
    assert f"made {conformance.made_here()};" in page
    monkeypatch.setattr(conformance, "made_here", lambda: "2026-01-01 on an abacus")
    conformance.main([*argv[:-4], "--modes", "uncompiled", "inductor", "eager", "--resume"])
    page = out.read_text()
    assert "runs made " in page and "(a:b uncompiled, a:b inductor)" in page
    assert "2026-01-01 on an abacus (a:b eager)" in page
    # a store from before runs recorded their place says so, rather than naming this machine
    store = out.with_suffix(".json")
    runs = json.loads(store.read_text())
    for run in runs:
        del run["made"]
    store.write_text(json.dumps(runs))
    conformance.main([*argv[:-4], "--modes", "uncompiled", "--resume"])
    assert "made at an unrecorded date and machine (an older store);" in out.read_text()


def test_a_matrix_compared_with_another_lists_where_their_devices_differ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run_on(device: str, grad: str) -> None:
        def fake_run(target: str, mode: str, *args: object) -> tuple[dict, float]:
            cells = {("clone semantics", device): conformance.Cell("pass")}
            why = {("known bug", "inductor-ignores-negative-bit")} if grad == "known bug" else set()
            cells["transform: grad", device] = conformance.Cell(grad, why)
            cells["clone semantics", "meta"] = conformance.Cell("n/a")
            return cells, 1.0

        monkeypatch.setattr(conformance, "run_one", fake_run)

    argv = ["--targets", "a:b", "--modes", "inductor", "--profile", "p"]
    run_on("cpu", "pass")
    monkeypatch.setattr(conformance, "made_here", lambda: "2026-01-01 on an abacus")
    conformance.main(["--out", str(tmp_path / "cpu.md"), *argv])
    run_on("cuda:0", "known bug")
    monkeypatch.setattr(conformance, "made_here", lambda: "2026-01-02 on a GPU")
    gpu = tmp_path / "gpu.md"
    conformance.main(["--out", str(gpu), *argv, "--compare", str(tmp_path / "cpu.json")])
    page = gpu.read_text()
    assert "This page has one device (cuda:0) besides meta." in page
    assert "whose runs were made 2026-01-01 on an abacus." in page
    assert (
        "- `a:b` inductor, transform: grad: cpu: pass; "
        "cuda:0: known bug (inductor-ignores-negative-bit)" in page
    )
    assert "clone semantics: cpu" not in page  # the same outcome on both: not listed
    # the same outcomes: said so
    conformance.main(
        ["--out", str(gpu), *argv, "--resume", "--compare", str(gpu.with_suffix(".json"))]
    )
    assert "No difference: every target, mode and property in both" in gpu.read_text()
    # two pages of one device (two torch versions, say): each side keeps its own outcome
    run_on("cpu", "known bug")
    other = tmp_path / "cpu2.md"
    conformance.main(["--out", str(other), *argv])
    cpu = tmp_path / "cpu.md"
    compare = ["--compare", str(other.with_suffix(".json"))]
    conformance.main(["--out", str(cpu), *argv, "--resume", *compare])
    assert (
        f"transform: grad: cpu: pass; cpu ({other.with_suffix('.json')}): known bug"
        in cpu.read_text()
    )
    with pytest.raises(SystemExit) as stopped:
        conformance.main(["--out", str(gpu), *argv, "--compare", str(tmp_path / "none.json")])
    assert stopped.value.code == 2
