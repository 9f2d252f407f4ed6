"""torch.export keeps realize in the graph, and a saved program runs where realize is imported.

Oracle: the eager module (``realize`` replaced by nothing but its value, i.e.
the arithmetic around it) on inputs of sizes other than the example's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.export import Dim

import realize
from tests.pt2._helpers import run_python, seeded

OP = torch.ops.realize.realize.default


class Model(torch.nn.Module):
    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor] = realize.realize) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x + 1) * 2


def _export(strict: bool, model: torch.nn.Module | None = None) -> torch.export.ExportedProgram:
    dims = {"x": {0: Dim("rows", min=2, max=1024), 1: Dim("cols", min=2, max=1024)}}
    return torch.export.export(
        model or Model(), (seeded(4, 3),), dynamic_shapes=dims, strict=strict
    )


def _ops(ep: torch.export.ExportedProgram) -> list[object]:
    return [node.target for node in ep.graph.nodes if node.op == "call_function"]


@pytest.mark.parametrize(
    ("fn", "op"),
    [(realize.realize, OP), (realize.barrier, torch.ops.realize.barrier.default)],
    ids=["realize", "barrier"],
)
@pytest.mark.parametrize("strict", [True, False], ids=["strict", "non_strict"])
def test_export_keeps_the_operator_with_dynamic_dims(strict: bool, fn: Any, op: Any) -> None:
    ep = _export(strict, Model(fn))
    decomposed = ep.run_decompositions()
    for program in (ep, decomposed):
        assert _ops(program).count(op) == 1, program.graph
        x = seeded(7, 5, seed=3)  # not the example's shape
        torch.testing.assert_close(program.module()(x), (x + 1) * 2, rtol=0, atol=0)


_LOAD = """
import json, torch
path = {path!r}
report = {{}}
try:  # before realize is imported: the operator is unknown
    torch.export.load(path)
    report["without_import"] = "loaded"
except Exception as exc:
    report["without_import"] = f"{{type(exc).__name__}}: {{exc}}"
import realize
ep = torch.export.load(path)
x = torch.arange(30.0).reshape(6, 5)
out = ep.module()(x)
report["ops"] = [str(n.target) for n in ep.graph.nodes if n.op == "call_function"]
report["equal"] = torch.equal(out, (x + 1) * 2)
print(json.dumps(report))
"""


def test_save_then_load_in_a_fresh_process(tmp_path: Path) -> None:
    path = tmp_path / "realize.pt2"
    torch.export.save(_export(strict=False), path)
    proc = run_python(_LOAD.format(path=str(path)))
    report = json.loads(proc.stdout.splitlines()[-1])
    # Without ``import realize``: a RuntimeError, and torch logs the reason.
    assert report["without_import"].startswith("RuntimeError"), report
    assert "failed to resolve torch.ops.realize.realize.default" in proc.stderr, proc.stderr
    assert "realize.realize.default" in report["ops"], report
    assert report["equal"], report
