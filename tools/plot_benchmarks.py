"""Turn pytest-benchmark JSON into the charts and tables of docs/benchmarks.md.

    python tools/plot_benchmarks.py [BENCH.json ...] [--out DIR] [--tables]

Right after the README's benchmark command (``pytest tests/benchmarks --benchmark-only
--benchmark-json=.benchmarks/last-run.json``, or ``tox run -e bench``) it needs no argument:
it reads ``.benchmarks/last-run.json`` (else the newest run saved under ``.benchmarks/``) and
writes into ``.benchmarks/plots/``, which git ignores. Several files (a CPU machine's and a
GPU machine's) are merged. Writes:

``bandwidth-<device>.png``
    GB/s against size for float32 contiguous tensors on each device: realize, clone and the
    device's measured copy peak (``copy_`` into a preallocated tensor), the other
    implementations thinner, compiled ones dashed; below, realize's time over clone's.
``strategies.png``
    Examples per second of the strategies benchmarks, ours against hypothesis.extra.numpy,
    per case (only when the JSON holds strategies benchmarks).

``--tables`` also prints Markdown tables of the same numbers, the dtype x layout matrix and
the goal check, ready to paste. matplotlib (the ``bench`` extra) is imported only to draw.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

# Drawn in this order; the first three are the point of the chart.
IMPL_STYLE: dict[str, dict[str, Any]] = {
    "realize": {"color": "tab:blue", "linewidth": 2.5, "label": "realize.realize"},
    "clone": {"color": "tab:orange", "linewidth": 2.0, "label": "x.clone()"},
    "copy_": {"color": "black", "linewidth": 1.5, "linestyle": ":", "label": "copy peak (copy_)"},
    "op": {"color": "tab:green", "linewidth": 1.0, "label": "operator"},
    "empty_like_copy": {"color": "tab:purple", "linewidth": 1.0, "label": "empty_like+copy_"},
    "test_op": {"color": "tab:red", "linewidth": 1.0, "label": "test_operators.realize"},
}


#: A point whose interquartile range exceeds this share of its median is flagged as noise.
NOISY_SPREAD = 0.5


@dataclass(frozen=True)
class Point:
    """One copy benchmark, reduced to what the charts need."""

    device: str
    device_name: str
    torch_version: str
    mode: str
    impl: str
    dtype: str
    layout: str
    nbytes: int
    median: float
    gbps: float
    spread: float = 0.0  # interquartile range of the rounds over their median

    @property
    def noisy(self) -> bool:
        """The rounds disagree too much for the median to be the code's speed: load on a
        shared machine (a burst, page reclaim, another job) drawn as data."""
        return self.spread > NOISY_SPREAD


def format_size(nbytes: int) -> str:
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if nbytes >= size and nbytes % size == 0:
            return f"{nbytes // size} {unit}"
    return f"{nbytes} B"


DEFAULT_JSON = Path(".benchmarks") / "last-run.json"
DEFAULT_OUT = Path(".benchmarks") / "plots"
RUN_FIRST = (
    "run the benchmarks first, e.g.\n"
    "    pytest tests/benchmarks --benchmark-only --benchmark-json=.benchmarks/last-run.json\n"
    "or `tox run -e bench`; then run this again (or pass the JSON file to plot)."
)


def default_inputs(root: Path = Path(".")) -> list[Path]:
    """``.benchmarks/last-run.json``, else the newest run pytest-benchmark saved
    (``--benchmark-autosave``: ``.benchmarks/<machine>/NNNN_*.json``), else nothing."""
    last = root / DEFAULT_JSON
    if last.is_file():
        return [last]
    saved = sorted(root.glob(".benchmarks/*/[0-9][0-9][0-9][0-9]_*.json"), key=lambda p: p.name)
    return saved[-1:]


def load(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """The JSON documents, each as pytest-benchmark wrote it; a missing or unreadable file
    stops the tool with what to run first (not a traceback)."""
    docs = []
    for path in paths:
        try:
            docs.append(json.loads(Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError:
            sys.exit(f"plot_benchmarks: {path} does not exist: {RUN_FIRST}")
        except (OSError, ValueError) as error:
            sys.exit(f"plot_benchmarks: cannot read {path} as pytest-benchmark JSON ({error})")
    return docs


def _device_name(doc: dict[str, Any], device: str) -> str:
    names = (doc.get("machine_info") or {}).get("devices") or {}
    return str(names.get(device, ""))


def copy_points(docs: Iterable[dict[str, Any]]) -> list[Point]:
    """Every benchmark of the copy suite (``extra_info["suite"] == "copy"``) with a median."""
    points = []
    for doc in docs:
        for bench in doc.get("benchmarks", []):
            info, stats = bench.get("extra_info") or {}, bench.get("stats") or {}
            if info.get("suite") != "copy" or not {"impl", "device", "nbytes"} <= set(info):
                continue
            median = stats.get("median")
            if not median:
                continue
            nbytes = int(info["nbytes"])
            gbps = info.get("GBps") or info.get("bytes_moved", 2 * nbytes) / median / 1e9
            iqr = (stats.get("q3") or median) - (stats.get("q1") or median)
            points.append(
                Point(
                    device=str(info["device"]),
                    device_name=_device_name(doc, str(info["device"])),
                    torch_version=str((doc.get("machine_info") or {}).get("torch_version", "?")),
                    mode=str(info.get("mode", "eager")),
                    impl=str(info["impl"]),
                    dtype=str(info.get("dtype", "")),
                    layout=str(info.get("layout", "")),
                    nbytes=nbytes,
                    median=float(median),
                    gbps=float(gbps),
                    spread=float(iqr) / float(median),
                )
            )
    return points


def strategy_rows(docs: Iterable[dict[str, Any]]) -> list[tuple[str, str, float]]:
    """(case, implementation, examples per second) for each strategies benchmark.

    A strategies benchmark is one whose ``extra_info["suite"]`` is ``"strategies"`` or whose
    test lives in a ``*strategies*`` file. The case is ``extra_info["case"]`` (else the
    group, else the test name), the implementation ``extra_info["impl"]`` (or ``library``),
    the rate ``extra_info["examples_per_s"]``, else ``extra_info["examples"]`` (examples
    drawn per timed call, default 1) over the median.
    """
    rows = []
    for doc in docs:
        for bench in doc.get("benchmarks", []):
            info, stats = bench.get("extra_info") or {}, bench.get("stats") or {}
            fullname = str(bench.get("fullname", ""))
            if info.get("suite") != "strategies" and "strategies" not in fullname.split("::")[0]:
                continue
            impl = str(info.get("impl") or info.get("library") or bench.get("param") or "?")
            case = str(info.get("case") or bench.get("group") or bench.get("name"))
            rate = info.get("examples_per_s")
            if rate is None and stats.get("median"):
                rate = float(info.get("examples", 1)) / float(stats["median"])
            if rate:
                rows.append((case, impl, float(rate)))
    return rows


# --------------------------------------------------------------------------- charts


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        sys.exit(
            "plot_benchmarks needs matplotlib: pip install -e '.[bench]' (the bench extra) "
            "in this checkout, or pip install matplotlib"
        )
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


# Implementations whose GB/s set the y range: an outlier elsewhere (a compiled 4 KiB case
# that waited on a busy machine) must not squash the lines the chart is about.
_CORE_IMPLS = ("realize", "clone", "copy_")


def fitted_log_range(core: Sequence[float], others: Sequence[float]) -> tuple[float, float]:
    """A log-axis range that shows every core value with a margin, and the others only
    as far as they stay within 30x of the core's lowest (the rest are marked off-scale)."""
    core = [v for v in core if v > 0] or [v for v in others if v > 0] or [1.0]
    lo = min(core) / 1.6
    floor = min(core) / 30
    lo = min(lo, *(v / 1.3 for v in others if v >= floor), lo)
    hi = max([*core, *others]) * 1.6
    return lo, hi


def _ratio_range(ratios: Sequence[float]) -> tuple[float, float]:
    """A log range around 1 that holds every ratio, at least 0.5-2, at most 1/20-20."""
    spread = max([2.0, *(max(r, 1 / r) * 1.3 for r in ratios if r > 0)])
    spread = min(spread, 20.0)
    return 1 / spread, spread


def plot_bandwidth(points: list[Point], out: Path) -> list[Path]:
    """One chart per device: GB/s against size, float32 contiguous."""
    sweep = [p for p in points if p.dtype == "float32" and p.layout == "contiguous"]
    if not sweep:
        return []
    plt = _pyplot()
    written = []
    for device in sorted({p.device for p in sweep}):
        mine = [p for p in sweep if p.device == device]
        fig, (top, bottom) = plt.subplots(
            2, 1, figsize=(11, 7.5), sharex=True, gridspec_kw={"height_ratios": [3, 1.3]}
        )
        core = [p.gbps for p in mine if p.impl in _CORE_IMPLS and p.mode == "eager"]
        lo, hi = fitted_log_range(core, [p.gbps for p in mine])
        off_scale = []
        noisy_points = 0
        for impl, style in IMPL_STYLE.items():
            for mode in ("eager", "compiled"):
                line = sorted((p.nbytes, p.gbps) for p in mine if p.impl == impl and p.mode == mode)
                if not line:
                    continue
                kwargs = dict(style)
                label = str(kwargs.pop("label"))
                if mode == "compiled":  # measured at a few sizes only: points, no line
                    kwargs.update(linestyle="none", marker="x", markersize=8)
                    label += " (compiled)"
                else:
                    kwargs.update(marker="o", markersize=3)
                off_scale += [(label, n, g) for n, g in line if g < lo]
                xs, ys = zip(*((n, max(g, lo)) for n, g in line), strict=True)
                top.plot(xs, ys, label=label, **kwargs)
                noise = [
                    (p.nbytes, max(p.gbps, lo))
                    for p in mine
                    if p.impl == impl and p.mode == mode and p.noisy
                ]
                if noise:  # hollow rings: spread too wide to be the code's speed
                    nx, ny = zip(*noise, strict=True)
                    top.scatter(nx, ny, s=110, facecolors="none", edgecolors=style["color"])
                    noisy_points += len(noise)
        top.set_xscale("log", base=2)
        top.set_yscale("log")
        top.set_ylim(lo, hi)
        top.set_ylabel("GB/s (bytes read + written / median)", fontsize=10)
        top.grid(True, which="both", alpha=0.3)
        top.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        if off_scale:
            note = "drawn at the bottom edge (slower than shown):\n" + "\n".join(
                f"{label} {format_size(n)}: {g:.2g} GB/s" for label, n, g in off_scale[:6]
            )
            top.text(1.01, 0.0, note, transform=top.transAxes, fontsize=8, va="bottom")
        if noisy_points:
            top.text(
                0.0, -0.02,
                f"ringed: {noisy_points} point(s) whose rounds spread over more than "
                f"{NOISY_SPREAD:.0%} of the median (IQR) -- machine noise, not the code's "
                "speed; rerun on a quiet machine",
                transform=top.transAxes, fontsize=8, va="top", color="dimgray",
            )  # fmt: skip
        name = next((p.device_name for p in mine if p.device_name), "")
        versions = ", ".join(sorted({p.torch_version for p in mine}))
        top.set_title(
            f"Copy bandwidth, float32 contiguous, on {device}{f' ({name})' if name else ''}"
            f"\ntorch {versions}; more is better",
            fontsize=12,
        )

        all_ratios = []
        for mode in ("eager", "compiled"):
            times: dict[int, dict[str, float]] = defaultdict(dict)
            for p in mine:
                if p.mode == mode:
                    times[p.nbytes][p.impl] = p.median
            ratio = sorted(
                (n, t["realize"] / t["clone"])
                for n, t in times.items()
                if {"realize", "clone"} <= set(t)
            )
            if ratio:
                xs, ys = zip(*ratio, strict=True)
                all_ratios += ys
                style = (
                    {"marker": "o", "markersize": 3}
                    if mode == "eager"
                    else {"linestyle": "none", "marker": "x", "markersize": 8}
                )
                bottom.plot(xs, ys, color="tab:blue", label=mode, **style)
        bottom.axhline(1.0, color="gray", linewidth=0.8)
        bottom.set_yscale("log")
        low, high = _ratio_range(all_ratios)
        bottom.set_ylim(low, high)
        ticks = [t for t in (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20) if low <= t <= high]
        bottom.set_yticks(ticks, [f"{t:g}x" for t in ticks], fontsize=9)
        bottom.minorticks_off()
        bottom.set_ylabel("realize / clone\n(time, 1 = same)", fontsize=10)
        bottom.set_xlabel("tensor size", fontsize=10)
        bottom.grid(True, which="both", alpha=0.3)
        bottom.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        sizes = sorted({p.nbytes for p in mine})
        bottom.set_xticks(sizes, [format_size(s) for s in sizes], rotation=45, fontsize=9)
        fig.tight_layout()
        path = out / f"bandwidth-{device.replace(':', '')}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        written.append(path)
    return written


def plot_strategies(rows: list[tuple[str, str, float]], out: Path) -> list[Path]:
    """Grouped horizontal bars: examples per second for each case, one bar per library."""
    if not rows:
        return []
    import textwrap

    plt = _pyplot()
    cases = sorted({c for c, _, _ in rows})
    impls = sorted({i for _, i, _ in rows})
    rate = {(c, i): r for c, i, r in rows}
    height = 0.8 / len(impls)
    fig, ax = plt.subplots(figsize=(10, 1.5 + 0.5 * len(cases) * len(impls)))
    for k, impl in enumerate(impls):
        ys = [j + k * height for j, c in enumerate(cases) if (c, impl) in rate]
        xs = [rate[c, impl] for c in cases if (c, impl) in rate]
        bars = ax.barh(ys, xs, height=height, label=impl)
        ax.bar_label(bars, [_number(x) for x in xs], padding=3, fontsize=8)
    labels = [textwrap.fill(c.removeprefix("strategies: "), 34) for c in cases]
    ax.set_yticks([j + 0.4 - height / 2 for j in range(len(cases))], labels, fontsize=9)
    ax.invert_yaxis()  # first case on top
    ax.set_xscale("log")
    ax.set_xlim(min(rate.values()) / 2, max(rate.values()) * 4)  # room for the value labels
    ax.set_xlabel("examples per second (more is better)", fontsize=10)
    ax.grid(True, axis="x", which="both", alpha=0.3)
    # Below the axes, never over the bars.
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(impls),
              frameon=False)  # fmt: skip
    ax.set_title(
        "Generating tensors: realize.strategies against hypothesis.extra.numpy", fontsize=12
    )
    fig.tight_layout()
    path = out / "strategies.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return [path]


# --------------------------------------------------------------------------- tables


def _number(value: float) -> str:
    """Three significant digits, without an exponent for large values: 4240, 0.916."""
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def _micro(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1e6:.2f} us"


def _cell(point: Point) -> str:
    return _number(point.gbps) + (" (noisy)" if point.noisy else "")


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def describe_run(doc: dict[str, Any]) -> str:
    """One line on where and when a run was measured: what a table must carry."""
    machine = doc.get("machine_info") or {}
    commit = doc.get("commit_info") or {}
    cpu = (machine.get("cpu") or {}).get("brand_raw") or machine.get("processor") or "?"
    devices = ", ".join(f"{d} ({n})" for d, n in (machine.get("devices") or {}).items())
    when = str(doc.get("datetime") or commit.get("time") or "?")[:10]
    sha = str(commit.get("id") or "?")[:8] + (" (dirty)" if commit.get("dirty") else "")
    return (
        f"Measured {when} on {cpu}, {machine.get('cpu_count', '?')} CPUs, devices {devices}; "
        f"Python {machine.get('python_version', '?')}, torch {machine.get('torch_version', '?')}, "
        f"{machine.get('torch_num_threads', '?')} threads; realize "
        f"{machine.get('realize_version', '?')} at commit {sha}; "
        f"`{machine.get('command', 'pytest tests/benchmarks --benchmark-only')}`."
    )


def tables(points: list[Point], docs: Sequence[dict[str, Any]]) -> str:
    """Markdown: the run, the size sweep in GB/s, the dtype x layout matrix, strategies,
    latency, goals."""
    parts = [describe_run(doc) for doc in docs]
    sweep = [p for p in points if p.dtype == "float32" and p.layout == "contiguous"]
    for device in sorted({p.device for p in sweep}):
        cols = [(m, i) for m in ("eager", "compiled") for i in IMPL_STYLE]
        cols = [c for c in cols if any(p.device == device and (p.mode, p.impl) == c for p in sweep)]
        gbps = {(p.nbytes, p.mode, p.impl): p for p in sweep if p.device == device}
        rows = [
            [
                format_size(n),
                *(_cell(gbps[n, m, i]) if (n, m, i) in gbps else "" for m, i in cols),
            ]
            for n in sorted({n for n, _, _ in gbps})
        ]
        header = ["size", *(i if m == "eager" else f"{i} (compiled)" for m, i in cols)]
        note = (
            f"\n\n(noisy): the rounds' interquartile range is over {NOISY_SPREAD:.0%} of "
            "their median; the number says more about the machine than the code."
            if any(p.noisy for p in gbps.values())
            else ""
        )
        parts.append(f"GB/s on {device}, float32 contiguous:\n\n" + _table(header, rows) + note)

    matrix: dict[tuple[str, int], dict[tuple[str, str], dict[str, float]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for p in points:
        if p.mode == "eager":
            matrix[p.device, p.nbytes][p.dtype, p.layout][p.impl] = p.median
    for (device, nbytes), cells in sorted(matrix.items()):
        dtypes = sorted({d for d, _ in cells})
        layouts = sorted({lay for _, lay in cells})
        if len(dtypes) < 2 or len(layouts) < 2:
            continue
        rows = []
        for dtype in dtypes:
            row = [dtype]
            for layout in layouts:
                t = cells.get((dtype, layout), {})
                row.append(
                    f"{t['realize'] / t['clone']:.2f}" if {"realize", "clone"} <= set(t) else ""
                )
            rows.append(row)
        parts.append(
            f"realize / clone (median time, eager) on {device} at {format_size(nbytes)}:\n\n"
            + _table(["dtype", *layouts], rows)
        )

    strat = strategy_rows(docs)
    if strat:
        impls = sorted({i for _, i, _ in strat})
        rate = {(c, i): r for c, i, r in strat}
        rows = [
            [case, *(_number(rate[case, i]) if (case, i) in rate else "" for i in impls)]
            for case in sorted({c for c, _, _ in strat})
        ]
        parts.append("Examples per second:\n\n" + _table(["case", *impls], rows))

    latency: dict[tuple[str, str], dict[bool, float]] = defaultdict(dict)
    for doc in docs:
        for bench in doc.get("benchmarks", []):
            info, stats = bench.get("extra_info") or {}, bench.get("stats") or {}
            if info.get("suite") == "latency" and stats.get("median"):
                key = (str(info.get("device")), str(info.get("impl")))
                latency[key][bool(info.get("requires_grad"))] = float(stats["median"])
    if latency:
        rows = [
            [device, impl, *(_micro(t.get(g)) for g in (False, True))]
            for (device, impl), t in sorted(latency.items())
        ]
        parts.append(
            "Latency of one call, 16 float32 elements, one thread (median):\n\n"
            + _table(["device", "call", "no grad", "x requires grad"], rows)
        )

    goals = [g for doc in docs for g in doc.get("realize_goals", [])]
    if goals:
        rows = [
            [g["case"], g["goal"], "" if g["value"] is None else f"{g['value']:.3f}",
             str(g.get("status", "")), g["detail"]]
            for g in goals
        ]  # fmt: skip
        parts.append("Goals:\n\n" + _table(["case", "goal", "value", "", "detail"], rows))
    return "\n\n".join(parts) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "json", nargs="*", type=Path,
        help=f"pytest-benchmark JSON file(s); default {DEFAULT_JSON}, else the newest saved run",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT,
        help=f"folder for the PNG files (default {DEFAULT_OUT}, ignored by git)",
    )  # fmt: skip
    parser.add_argument("--tables", action="store_true", help="also print Markdown tables")
    args = parser.parse_args(argv)

    paths = args.json or default_inputs()
    if not paths:
        print(
            f"plot_benchmarks: no benchmark results in .benchmarks/: {RUN_FIRST}", file=sys.stderr
        )
        return 2
    docs = load(paths)
    points = copy_points(docs)
    args.out.mkdir(parents=True, exist_ok=True)
    written = plot_bandwidth(points, args.out) + plot_strategies(strategy_rows(docs), args.out)
    if not written:
        print(
            f"nothing to plot: no copy or strategies benchmarks in {', '.join(map(str, paths))}",
            file=sys.stderr,
        )
        return 1
    for path in written:
        print(f"wrote {path}")
    if args.tables:
        print()
        print(tables(points, docs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
