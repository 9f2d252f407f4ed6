"""A conformance matrix: every property of clone, for clone-like targets, in every mode.

``python -m realize.harness.conformance --out docs/conformance.md`` runs the
installed property suite (``realize/harness/test_properties.py``) once per target
and mode, with known upstream bugs set aside (``--realize-known-bugs=xfail``), and
writes a Markdown table: one row per target and mode, one column per property,
each cell ``pass``, ``known bug`` (linked in the notes), ``limitation`` (the reason
torch gives, e.g. Dynamo cannot trace sparse tensors) or ``FINDING`` (a failure
nothing explains: a new bug, in the target or in torch). Each run is a pytest
process of its own; compiled modes reuse Inductor's on-disk graph cache between
runs.

Targets: ``torch.clone``, ``torch.Tensor.clone``, ``realize.realize``,
``realize.barrier`` and two clone idioms (``realize.harness.idioms``). Modes:
``uncompiled``, and ``torch.compile`` with the ``eager``, ``aot_eager`` and
``inductor`` backends, each with and without ``dynamic=True`` (``+dynamic``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["MODES", "TARGETS", "Cell", "cells_of", "classify", "main", "rows_of", "run_one"]

TARGETS = (
    "torch:clone",
    "torch:Tensor.clone",
    "realize:realize",
    "realize:barrier",
    "realize.harness.idioms:empty_like_copy",
    "realize.harness.idioms:to_copy",
)

#: name -> the harness flags of that mode
MODES: dict[str, tuple[str, ...]] = {
    "uncompiled": (),
    "eager": ("--realize-compile=eager",),
    "eager+dynamic": ("--realize-compile=eager", "--realize-dynamic"),
    "aot_eager": ("--realize-compile=aot_eager",),
    "aot_eager+dynamic": ("--realize-compile=aot_eager", "--realize-dynamic"),
    "inductor": ("--realize-compile=inductor",),
    "inductor+dynamic": ("--realize-compile=inductor", "--realize-dynamic"),
}

_RANK = {"n/a": 0, "pass": 1, "limitation": 2, "known bug": 3, "FINDING": 4}
_DEVICELESS = "any"  # tests that take no device parameter (meta matches cpu, compiled call)


@dataclass
class Cell:
    """What one property did for one target, mode and device: the worst outcome, and why."""

    status: str = "n/a"
    #: (status, why): each outcome keeps its own reasons (a cell can hold several)
    notes: set[tuple[str, str]] = field(default_factory=set)

    def add(self, status: str, note: str = "") -> None:
        if _RANK[status] > _RANK[self.status]:
            self.status = status
        if note:
            self.notes.add((status, note))


def classify(classname: str, name: str) -> tuple[str, str]:
    """A junit test case -> (property column, device).

    ``test_transform[torch:clone-cpu-vmap]`` -> ("transform vmap", "cpu");
    ``test_corpus.py::test_independence[torch:clone-cpu-bits8]`` -> ("corpus independence",
    "cpu"): the corpus's dtype is folded into its property.
    """
    match = re.match(r"test_(\w+)(?:\[(.*)\])?$", name)
    if not match:
        return name, _DEVICELESS
    prop, params = match.group(1).replace("_", " "), (match.group(2) or "").split("-")
    devices = [p for p in params if p in ("cpu", "meta") or re.fullmatch(r"cuda(:\d+)?", p)]
    device = devices[0] if devices else _DEVICELESS
    extra = params[params.index(device) + 1 :] if devices else []
    if classname.rsplit(".", 1)[-1] == "test_corpus":
        return f"corpus {prop}", device
    return ": ".join([prop.removesuffix(" of layouts"), *extra]), device


def known_bugs(message: str) -> list[tuple[str, str]]:
    """The (status, entry name) of each known-bug table entry an xfail reason cites."""
    found = re.findall(r"(known upstream bug|documented limitation) ([\w-]+)", message)
    return [("limitation" if kind.startswith("doc") else "known bug", name) for kind, name in found]


def cells_of(report: Path) -> dict[tuple[str, str], Cell]:
    """Cells by (property, device) from a pytest junit-xml report."""
    cells: dict[tuple[str, str], Cell] = defaultdict(Cell)
    for case in ET.parse(report).getroot().iter("testcase"):
        cell = cells[classify(case.get("classname", ""), case.get("name", "?"))]
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        skipped = case.find("skipped")
        if failure is not None:
            # All lines, cut at 300 characters: a corpus report names its case first
            lines = [line.strip() for line in (failure.get("message") or "").splitlines()]
            cell.add("FINDING", " ".join(filter(None, lines))[:300] or "failed")
        elif skipped is None:
            cell.add("pass")
        elif skipped.get("type") == "pytest.xfail":
            for status, bug in known_bugs(skipped.get("message") or "") or [("known bug", "?")]:
                cell.add(status, bug)
        elif "limitation" in (message := skipped.get("message") or ""):
            cell.add("limitation", message[:300])
        else:
            cell.add("n/a", message[:300])
    return cells


def run_one(
    target: str,
    mode: str,
    devices: Sequence[str],
    workers: int,
    extra: Sequence[str] = (),
    keep: Path | None = None,
) -> tuple[dict[tuple[str, str], Cell], float]:
    """Run the installed suite on ``target`` in ``mode``: cells by (property, device), seconds.

    ``keep``: a directory where the run's junit XML and pytest output are kept (the
    cells cut a failure to 300 characters; triage needs the whole text)."""
    with tempfile.TemporaryDirectory(prefix="realize-conformance-") as tmp:
        report = Path(tmp) / "report.xml"
        # No path: the plugin runs the installed suite (properties and corpus).
        command = [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            f"--realize-target={target}", "--realize-known-bugs=xfail",
            *MODES[mode], *(f"--realize-device={d}" for d in devices),
            f"--junitxml={report}", "-o", "junit_family=xunit1", *extra,
        ]  # fmt: skip
        if workers > 1:
            command += ["-n", str(workers)]
        # Run in an empty directory (no conftest, no rootdir surprises), but resolve
        # the targets as from where the command was given: mypkg.ops:my_clone works.
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), env.get("PYTHONPATH")]))
        start = time.perf_counter()
        done = subprocess.run(
            command, cwd=tmp, env=env, capture_output=True, text=True, check=False
        )
        seconds = time.perf_counter() - start
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            stem = re.sub(r"[^\w.+-]+", "_", f"{target}-{mode}")
            (keep / f"{stem}.log").write_text(done.stdout + done.stderr)
            if report.exists():
                (keep / f"{stem}.xml").write_bytes(report.read_bytes())
        if not report.exists():
            cells: dict[tuple[str, str], Cell] = defaultdict(Cell)
            tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
            cells["the run", _DEVICELESS].add("FINDING", f"pytest wrote no report: {tail[0]}")
            return cells, seconds
        return cells_of(report), seconds


Row = tuple[str, str, str]  # target, mode, device


def rows_of(
    results: dict[tuple[str, str], dict[tuple[str, str], Cell]],
) -> dict[Row, dict[str, Cell]]:
    """One row per target, mode and device; device-less tests join every device's row."""
    rows: dict[Row, dict[str, Cell]] = {}
    for (target, mode), cells in results.items():
        devices = sorted({d for _, d in cells if d != _DEVICELESS}) or [_DEVICELESS]
        for device in devices:
            row = rows.setdefault((target, mode, device), defaultdict(Cell))
            for (prop, where), cell in cells.items():
                if where in (device, _DEVICELESS):
                    row[prop].add(cell.status)
                    row[prop].notes |= cell.notes
    return rows


def _summary(row: dict[str, Cell]) -> str:
    counts = {s: sum(c.status == s for c in row.values()) for s in _RANK}
    shown = [f"{n} {s}" for s, n in counts.items() if n and s != "n/a"]
    return ", ".join(reversed(shown)) or "n/a"


def made_here() -> str:
    """Where and when a run is made: date, machine, Python, torch, realize (stored per run,
    so that a page re-rendered elsewhere, ``--resume``, still names the machine of each)."""
    import torch

    import realize

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (
        f"{datetime.date.today().isoformat()} on {platform.machine()} ({os.cpu_count()} CPUs, "
        f"{gpu}), Python {platform.python_version()}, torch {torch.__version__}, realize "
        f"{realize.__version__}"
    )


def _where(places: dict[tuple[str, str], str], keys: Sequence[tuple[str, str]]) -> str:
    by_place: dict[str, list[str]] = {}
    for target, mode in keys:
        place = places.get((target, mode)) or "at an unrecorded date and machine (an older store)"
        by_place.setdefault(place, []).append(f"{target} {mode}")
    if len(by_place) == 1:
        return f"made {next(iter(by_place))}"
    return "runs made " + "; ".join(f"{p} ({', '.join(ks)})" for p, ks in by_place.items())


def _markdown(
    results: dict[tuple[str, str], dict[tuple[str, str], Cell]],
    seconds: dict[tuple[str, str], float],
    profiles: dict[tuple[str, str], str],
    commands: Sequence[str],
    findings: str | None = "findings.md",
    places: dict[tuple[str, str], str] | None = None,
    compare: tuple[str, dict, dict[tuple[str, str], str]] | None = None,
) -> str:
    """The page. ``findings``: the link to realize's findings page from where the page is
    written (``docs/``, beside it), or ``None`` elsewhere: then entries are named, unlinked.
    ``places``: where each run was made (``made_here()``), default here and now.
    ``compare``: another page's name, results and places (``--compare``), for a section on
    where the devices of the two differ."""
    rows = rows_of(results)
    props = sorted({p for row in rows.values() for p in row})
    modes = [m for m in MODES if any(m == mode for _, mode in results)]
    targets = list(dict.fromkeys(t for t, _ in results))
    devices = sorted({d for _, _, d in rows}, key=lambda d: (d == "meta", d))
    if places is None:
        here = made_here()
        places = {key: here for key in results}
    lines = [
        "# Conformance of clone-like targets to clone, eager and compiled",
        "",
        f"Generated by {' then '.join(f'`{c}`' for c in commands)}; "
        f"{_where(places, list(results))}; {sum(seconds.values()) / 60:.1f} minutes in all.",
        "",
        "Each target and mode is one run of the installed property suite "
        "(`realize/harness/test_properties.py` and `test_corpus.py`) with known upstream "
        "bugs set aside (`--realize-known-bugs=xfail`). A mode is the target called as it "
        "is (`uncompiled`) or inside `torch.compile(backend=...)`, `+dynamic` with "
        "`dynamic=True`. Each cell is the worst outcome over that property's examples and "
        "parameters on that device:",
        "",
        "- `pass`: every example held.",
        "- `known bug`: the only failures are ones the known-bug table explains "
        "(`realize/harness/known_bugs.py`"
        + (f", [findings]({findings})" if findings else "")
        + "), named below.",
        "- `limitation`: skipped with the reason torch gives (below), a documented "
        "limitation of `torch.compile`.",
        "- `n/a`: the property does not apply there (no numbers on meta, the layout does "
        "not exist on that device, the target is not an operator).",
        "- `FINDING`: a failure nothing explains: a new bug, in the target or in torch.",
        "",
        "## Summary: properties per outcome",
        "",
        "| target | device | " + " | ".join(modes) + " |",
        "|" + "---|" * (len(modes) + 2),
    ]
    for target in targets:
        for device in devices:
            cells = [
                _summary(rows[target, m, device]) if (target, m, device) in rows else ""
                for m in modes
            ]
            lines.append(f"| `{target}` | {device} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Seconds per run, and its Hypothesis profile",
        "",
        "Compiled runs take a quarter of the profile's examples (every new dtype, layout or "
        "shape is a compilation); the corpus is the same in every profile.",
        "",
        "| target | " + " | ".join(modes) + " |",
        "|" + "---|" * (len(modes) + 1),
    ]
    for target in targets:
        times = [
            f"{seconds[target, m]:.0f} ({profiles[target, m]})" if (target, m) in seconds else ""
            for m in modes
        ]
        lines.append(f"| `{target}` | " + " | ".join(times) + " |")
    notes: dict[tuple[str, str], set[str]] = defaultdict(set)
    for target in targets:
        for device in devices:
            lines += ["", f"## `{target}` on {device}", ""]
            lines.append("| property | " + " | ".join(modes) + " |")
            lines.append("|" + "---|" * (len(modes) + 1))
            for prop in props:
                cells = []
                for mode in modes:
                    cell = rows.get((target, mode, device), {}).get(prop)
                    cells.append(cell.status if cell else "")
                    for status, note in cell.notes if cell is not None else ():
                        if status != "n/a":
                            notes[status, note].add(f"`{target}` {mode} {device}: {prop}")
                lines.append(f"| {prop} | " + " | ".join(cells) + " |")
    from realize.harness.known_bugs import KNOWN_BUGS

    entries = {b.name: b for b in KNOWN_BUGS}
    lines += ["", "## Why a cell is not `pass`", ""]
    for status in ("FINDING", "known bug", "limitation"):
        for (kind, note), where in sorted(notes.items()):
            if kind == status:
                entry = entries.get(note)
                link = f"[{note}]({findings}#{note})" if findings else f"`{note}`"
                said = f"{link}: {entry.summary}" if entry else note
                lines.append(f"- **{kind}**: {said}; {len(where)} cell(s), e.g. {min(where)}")
    lines += ["", "## Where the devices differ", ""]
    real = [d for d in devices if _is_real(d)]
    if len(real) > 1:
        same = "Nowhere: each property has one outcome on every device."
    else:
        same = f"This page has one device ({', '.join(real) or 'none'}) besides meta."
    lines += _differences(rows, props) or [same]
    if compare is not None:
        name, other, made = compare
        lines += [
            "",
            f"## Against `{name}`",
            "",
            f"Outcomes that differ from the devices of `{name}`, whose runs were "
            f"{_where(made, list(other))}. A difference there is the device's or the torch "
            "version's; the entries name the cause.",
            "",
        ]
        lines += _against(rows, rows_of(other), name) or [
            "No difference: every target, mode and property in both has the same outcome "
            "and the same reasons."
        ]
    return "\n".join(lines) + "\n"


def _outcome(cell: Cell) -> str:
    """A cell's status with the known-bug and limitation entries behind it."""
    why = sorted(n for s, n in cell.notes if s in ("known bug", "limitation") and " " not in n)
    return cell.status + (f" ({', '.join(why)})" if why else "")


def _against(
    rows: dict[Row, dict[str, Cell]], other: dict[Row, dict[str, Cell]], name: str
) -> list[str]:
    """Cells whose outcome (status and entries) differs between this page's real devices and
    another page's, for each target, mode and property in both: where CPU and GPU differ."""

    here, there = _real_devices_by_run(rows), _real_devices_by_run(other)
    out = []
    for key in [k for k in here if k in there]:
        props = sorted({p for row in [*here[key].values(), *there[key].values()] for p in row})
        for prop in props:
            seen = {d: _outcome(row[prop]) for d, row in here[key].items() if prop in row}
            # the other page's devices, told apart from this one's where both have the device
            seen |= {
                d if d not in here[key] else f"{d} ({name})": _outcome(row[prop])
                for d, row in there[key].items()
                if prop in row
            }
            if len(set(seen.values())) > 1:
                said = "; ".join(f"{d}: {o}" for d, o in sorted(seen.items()))
                out.append(f"- `{key[0]}` {key[1]}, {prop}: {said}")
    return out


def _is_real(device: str) -> bool:
    """A device with numbers: not meta, not the device-less tests' pseudo-device."""
    return device not in ("meta", _DEVICELESS)


def _real_devices_by_run(
    rows: dict[Row, dict[str, Cell]],
) -> dict[tuple[str, str], dict[str, dict[str, Cell]]]:
    """Rows regrouped by (target, mode), then by real device."""
    by_run: dict[tuple[str, str], dict[str, dict[str, Cell]]] = defaultdict(dict)
    for (target, mode, device), row in rows.items():
        if _is_real(device):
            by_run[target, mode][device] = row
    return by_run


def _differences(rows: dict[Row, dict[str, Cell]], props: list[str]) -> list[str]:
    """Properties whose outcome differs between the real devices of one target and mode."""
    out = []
    for (target, mode), devices in _real_devices_by_run(rows).items():
        for prop in props:
            seen = {d: row[prop].status for d, row in devices.items() if prop in row}
            if len(set(seen.values())) > 1:
                said = ", ".join(f"{d}: {s}" for d, s in sorted(seen.items()))
                out.append(f"- `{target}` {mode}, {prop}: {said}")
    return out


def _save(
    path: Path,
    results: dict,
    seconds: dict[tuple[str, str], float],
    profiles: dict[tuple[str, str], str],
    commands: dict[tuple[str, str], str],
    places: dict[tuple[str, str], str],
) -> None:
    runs = [
        {
            "target": target,
            "mode": mode,
            "seconds": seconds[target, mode],
            "profile": profiles[target, mode],
            "command": commands[target, mode],
            "made": places.get((target, mode), ""),
            "cells": [
                {
                    "property": p,
                    "device": d,
                    "status": c.status,
                    "notes": sorted(map(list, c.notes)),
                }
                for (p, d), c in cells.items()
            ],
        }
        for (target, mode), cells in results.items()
    ]
    path.write_text(json.dumps(runs, indent=1))


def _load(path: Path) -> tuple[dict, dict, dict, dict, dict]:
    results: dict = {}
    seconds: dict[tuple[str, str], float] = {}
    profiles: dict[tuple[str, str], str] = {}
    commands: dict[tuple[str, str], str] = {}
    places: dict[tuple[str, str], str] = {}
    for run in json.loads(path.read_text()):
        key = run["target"], run["mode"]
        seconds[key], profiles[key] = run["seconds"], run["profile"]
        commands[key], places[key] = run.get("command", ""), run.get("made", "")
        results[key] = {
            (c["property"], c["device"]): Cell(c["status"], {(s, n) for s, n in c["notes"]})
            for c in run["cells"]
        }
    return results, seconds, profiles, commands, places


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m realize.harness.conformance")
    parser.add_argument("--out", type=Path, default=Path("docs/conformance.md"))
    parser.add_argument("--targets", nargs="+", default=list(TARGETS))
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES))
    parser.add_argument("--device", action="append", default=[], help="default: every present")
    parser.add_argument("-n", "--workers", type=int, default=0, help="pytest-xdist workers")
    parser.add_argument(
        "--profile", default=None, help="Hypothesis profile (default: the harness's own choice)"
    )
    parser.add_argument(
        "--reports",
        type=Path,
        default=None,
        help="keep each run's junit XML and pytest output in this directory",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the runs already in OUT's .json and do only the missing ones",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        default=None,
        help="another matrix's .json (e.g. the CPU page's): the page lists where the two differ",
    )
    args = parser.parse_args(argv)
    if args.compare is not None and not args.compare.is_file():
        parser.error(f"--compare: no such matrix store: {args.compare}")
    import _realize_hooks

    # The harness's own choice, made here so that each run records it
    profile = args.profile or ("realize-ci" if _realize_hooks.ci_flag() else "realize-dev")
    extra = [f"--hypothesis-profile={profile}"]
    store = args.out.with_suffix(".json")
    results, seconds, profiles, commands, places = (
        _load(store) if args.resume and store.exists() else ({}, {}, {}, {}, {})
    )
    shown = " ".join(["python -m realize.harness.conformance", *(argv or sys.argv[1:])])
    args.out.parent.mkdir(parents=True, exist_ok=True)

    compared = None
    if args.compare is not None:
        other, *_, made = _load(args.compare)
        compared = (str(args.compare), other, made)

    def write() -> None:
        made_by = list(dict.fromkeys(c for c in commands.values() if c))
        findings = "findings.md" if (args.out.parent / "findings.md").exists() else None
        page = _markdown(results, seconds, profiles, made_by, findings, places, compared)
        args.out.write_text(page)

    for target in args.targets:
        for mode in args.modes:
            if (target, mode) in results:
                continue
            cells, took = run_one(target, mode, args.device, args.workers, extra, args.reports)
            results[target, mode], seconds[target, mode] = cells, took
            profiles[target, mode], commands[target, mode] = profile, shown
            places[target, mode] = made_here()
            worst = max((c.status for c in cells.values()), key=_RANK.__getitem__, default="n/a")
            print(f"{target:45s} {mode:20s} {worst:10s} {took:6.0f} s", flush=True)
            # after every run: an interrupted matrix keeps what it has (see --resume)
            _save(store, results, seconds, profiles, commands, places)
            write()
    if results:  # also when --resume found nothing left to run: the page anew
        write()
    print(f"wrote {args.out} and {store}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
