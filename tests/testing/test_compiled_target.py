"""realize.testing.compiled leaves no trace of torch's own in the user's project."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from realize.harness import known_bugs


def test_a_compiled_target_leaves_no_debug_dumps_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Inductor's failing min-cut partitioner writes min_cut_failed_graph*.txt into the
    # working directory; realize.testing.compiled runs it elsewhere.
    from realize.testing import compiled

    monkeypatch.chdir(tmp_path)
    x = torch.empty(3, device="meta", requires_grad=True)
    torch._dynamo.reset()
    in_range = known_bugs.entry("inductor-meta-requires-grad").in_range()
    try:
        compiled(torch.clone, "inductor")(x)
    except torch._dynamo.exc.BackendCompilerFailed:
        assert in_range
    assert not list(tmp_path.iterdir())
    if in_range:
        # the control: torch.compile alone does write one here
        with pytest.raises(torch._dynamo.exc.BackendCompilerFailed):
            torch.compile(torch.clone, fullgraph=True)(x)
        assert [p.name for p in tmp_path.iterdir()] == ["min_cut_failed_graph.txt"]
