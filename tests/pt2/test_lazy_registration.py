"""The lowering and the DTensor rule cost nothing at import, and cannot be skipped by a cache.

Both run in fresh interpreters: what is being tested is process state (which
modules are imported, what sits in Inductor's on-disk cache).
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest

from tests.pt2._helpers import run_python

IMPORT_BUDGET_S = 0.3

_IMPORT_COST = """
import json, sys, time
import torch
start = time.perf_counter()
import realize
cost = time.perf_counter() - start
print(json.dumps({
    "cost": cost,
    "heavy": [m for m in ("torch._inductor.lowering", "torch._inductor", "torch.distributed.tensor")
              if m in sys.modules],
}))
"""


def test_import_realize_stays_within_budget_of_import_torch() -> None:
    # ``import torch, realize`` minus ``import torch``, measured inside each
    # interpreter (no start-up noise); best of three (stops at the first success).
    runs = []
    for _ in range(3):
        runs.append(json.loads(run_python(_IMPORT_COST).stdout.splitlines()[-1]))
        assert runs[-1]["heavy"] == [], runs
        if runs[-1]["cost"] < IMPORT_BUDGET_S:
            break
    best = min(run["cost"] for run in runs)
    assert best < IMPORT_BUDGET_S, f"import realize took {best:.3f}s after import torch: {runs}"


_COMPILE_AND_REPORT = """
import json, torch, realize
from torch._dynamo.utils import counters
from torch._inductor import metrics
from torch._inductor.utils import run_and_get_code
from realize import _lowering

def f(x):
    return realize.{name}(x)

x = torch.arange(12.0).reshape(3, 4)
report = []
for attempt in range(2):  # the second attempt must be served from the cache
    torch._dynamo.reset()
    metrics.reset()
    counters.clear()
    out, code = run_and_get_code(torch.compile(f, fullgraph=True), x)
    assert torch.equal(out, x) and out.data_ptr() != x.data_ptr()
    report.append({
        "status": _lowering.status(),
        "kernels": metrics.generated_kernel_count,
        "fallback": any(  # a call of the operator, not a comment naming it
            "realize.{name}" in line.split("#", 1)[0]
            for line in "".join(code).splitlines()
        ),
        "hits": counters["inductor"]["fxgraph_cache_hit"]
        + counters["aot_autograd"]["autograd_cache_hit"],
    })
print(json.dumps(report))
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", ["realize", "barrier"])
def test_cache_entry_without_lowering_is_not_served_with_it(name: str) -> None:
    # A cache key tag of its own gives this test empty FX graph and AOTAutograd
    # caches, while the C++ build cache stays shared (a fresh TORCHINDUCTOR_CACHE_DIR
    # would rebuild Inductor's C++ prelude: tens of seconds on a small machine).
    env = {
        "TORCH_COMPILE_CACHE_KEY_TAG": f"realize-test-{uuid.uuid4()}",
        "TORCHINDUCTOR_FX_GRAPH_CACHE": "1",
        "TORCHINDUCTOR_COMPILE_THREADS": "1",
    }

    # First a process with the lowering switched off: the op is a fallback kernel,
    # and that graph goes into the cache.
    without = json.loads(
        run_python(
            _COMPILE_AND_REPORT.replace("{name}", name),
            env={**env, "REALIZE_DISABLE_LOWERING": "1"},
        ).stdout.splitlines()[-1]
    )
    assert without[0]["status"].startswith("disabled"), without
    assert without[0]["fallback"], without
    assert without[1]["hits"] >= 1, f"the cache does not work at all here: {without}"

    # Then the same graph with the lowering: it must be compiled afresh, with the
    # barrier; and be served from the cache the second time.
    with_lowering = json.loads(
        run_python(
            _COMPILE_AND_REPORT.replace("{name}", name),
            env={**env, "REALIZE_DISABLE_LOWERING": "0"},
        ).stdout.splitlines()[-1]
    )
    first, second = with_lowering
    assert first["status"] == "registered", with_lowering
    assert first["hits"] == 0, f"served the fallback graph from the cache: {with_lowering}"
    assert (first["kernels"], first["fallback"]) == (1, False), with_lowering
    assert second["hits"] >= 1 and not second["fallback"], with_lowering


def test_when_imported_runs_after_the_module_body_or_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import _realize_hooks
    from _realize_hooks import when_imported

    (tmp_path / "realize_hook_probe.py").write_text("VALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "realize_hook_probe", raising=False)
    seen: list[tuple[str, int]] = []

    hook = {"what": "probe", "fallback": "nothing."}
    when_imported("realize_hook_probe", lambda m: seen.append(("deferred", m.VALUE)), **hook)
    assert seen == []  # nothing imported on our side
    assert "realize_hook_probe" not in sys.modules
    import realize_hook_probe  # type: ignore[import-not-found]  # noqa: F401

    assert seen == [("deferred", 42)]  # after the body ran: VALUE exists
    when_imported("realize_hook_probe", lambda m: seen.append(("at once", m.VALUE)), **hook)
    assert seen == [("deferred", 42), ("at once", 42)]
    assert "realize_hook_probe" not in _realize_hooks._pending  # one shot
