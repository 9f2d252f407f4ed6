"""Speed of ``strategies.tensors`` against ``hypothesis.extra.numpy.arrays`` (issue 3, point 7).

Both sides run the same way, in the same session: a ``@given`` test with
``max_examples=N`` over the strategy, derandomized, generate phase only, and an
empty body, so a round costs what Hypothesis needs to produce N examples. Both
use the *same* shape strategy object, so the shape distribution is identical
(``strategies.shapes`` and ``hnp.array_shapes`` with the same bounds do not draw
the same distribution: numpy's favours more dimensions).

Goals, judged with the other performance goals at the end of the run (met, MISSED or
too noisy, never a failed test unless ``REALIZE_BENCH_GOALS=fail``). Each of our rows also
times ours against numpy's in interleaved rounds (``_paired.py``), and the goal is judged on
those per-round time ratios:

* float32, 1-4 dims, sides 1-16, both sides drawing shapes from
  ``strategies.shapes``: at least 2x the examples/s of
  ``arrays(...).map(torch.from_numpy)``. With ``hnp.array_shapes`` on both
  sides the speedup is recorded (``extra_info["speedup_vs_hnp"]``) but not
  asserted: drawing those shapes (a list strategy, ~16 choices and ~15 spans)
  costs more than our whole tensor, and both sides pay it;
* one 1000x1000 float32 tensor: at most 0.25x the time of numpy's.

Run with ``pytest tests/benchmarks/test_bench_strategies.py --benchmark-only``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.strategies import SearchStrategy

from realize.strategies import shapes, tensors

from ._paired import paired_ratios

np = pytest.importorskip("numpy")
hnp = pytest.importorskip("hypothesis.extra.numpy")

SMALL_EXAMPLES = 100
LARGE_EXAMPLES = 10
ROUNDS = 5
NUMPY = "hnp.arrays.map(from_numpy)"
SPEEDUP_GOAL = 2.0  # examples/s of ours over numpy's, small tensors
LARGE_TIME_GOAL = 0.25  # our time over numpy's, 1000x1000

# Two shape strategies, each feeding both sides (same object, same distribution):
# ours (one choice per dimension) and numpy's (a list strategy, costlier to draw).
SHAPES = {
    "shapes": shapes(min_dims=1, max_dims=4, min_side=1, max_side=16),
    "array_shapes": hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=16),
}


def _small(shape_strategy: SearchStrategy[tuple[int, ...]]) -> dict[str, tuple[str, Any]]:
    return {
        NUMPY: ("contiguous", hnp.arrays(np.float32, shape_strategy).map(torch.from_numpy)),
        "tensors(contiguous=True)": (
            "contiguous",
            tensors(torch.float32, shape_strategy, device="cpu", contiguous=True),
        ),
        "tensors(any layout)": ("any", tensors(torch.float32, shape_strategy, device="cpu")),
    }


LARGE: dict[str, tuple[str, SearchStrategy[torch.Tensor]]] = {
    NUMPY: (
        "contiguous",
        hnp.arrays(np.float32, (1000, 1000)).map(torch.from_numpy),
    ),
    "tensors(contiguous=True)": (
        "contiguous",
        tensors(torch.float32, (1000, 1000), device="cpu", contiguous=True),
    ),
}

# Best seconds per example of each (group, impl) measured so far in this session.
_BEST: dict[tuple[str, str], float] = {}


def _examples(strategy: SearchStrategy[torch.Tensor], n: int) -> Callable[[], int]:
    """A function that draws ``n`` examples through ``@given`` and returns their bytes."""
    nbytes = [0]

    @settings(
        max_examples=n,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(x: torch.Tensor) -> None:
        nbytes[0] += x.numel() * x.element_size()

    def run() -> int:
        nbytes[0] = 0
        draw()
        return nbytes[0]

    return run


PAIRED_ROUNDS = {SMALL_EXAMPLES: 9, LARGE_EXAMPLES: 5}  # numpy's 1000x1000 rounds take seconds


def _bench(
    benchmark: Any,
    group: str,
    impl: str,
    layout: str,
    strategy: Any,
    n: int,
    goal: tuple[Any, float] | None = None,
) -> float:
    """Benchmark ``n`` examples of ``strategy``; with ``goal=(numpy_strategy, max_ratio)``,
    also pair it with numpy's and declare the goal (``_goals.py``)."""
    benchmark.group = group
    run = _examples(strategy, n)
    nbytes = benchmark.pedantic(run, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    best = benchmark.stats.stats.min / n  # seconds per example, least disturbed round
    _BEST[(group, impl)] = best
    benchmark.extra_info.update(
        impl=impl,
        device="cpu",
        dtype="float32",
        layout=layout,
        nbytes=nbytes // n,
        mode="eager",
        GBps=nbytes / benchmark.stats.stats.min / 1e9,
        examples_per_s=1.0 / best,
        suite="strategies",
    )
    if goal is not None:
        numpy_strategy, max_ratio = goal
        benchmark.extra_info["paired"] = paired_ratios(
            run, {NUMPY: _examples(numpy_strategy, n)}, device="cpu", rounds=PAIRED_ROUNDS[n],
            round_s=0.0,
        )  # fmt: skip
        benchmark.extra_info["goal"] = {
            "case": f"{group}: {impl}",
            "against": NUMPY,
            "max_time_ratio": max_ratio,
        }
    return best


@pytest.mark.parametrize("impl", [NUMPY, "tensors(contiguous=True)", "tensors(any layout)"])
@pytest.mark.parametrize("shape_strategy", list(SHAPES))
def test_examples_per_second_small_float32(
    benchmark: Any, bench_record: Callable[[Any], None], shape_strategy: str, impl: str
) -> None:
    group = f"strategies: float32, 1-4 dims, sides 1-16, {shape_strategy}()"
    strategies = _small(SHAPES[shape_strategy])
    layout, strategy = strategies[impl]
    # The goal is checked where the shape strategy is cheap: numpy's list strategy costs
    # more than our whole tensor and is shared by both sides, so there its speedup is
    # recorded but bounded by that shared cost.
    goal = (
        (strategies[NUMPY][1], 1 / SPEEDUP_GOAL)
        if impl != NUMPY and shape_strategy == "shapes"
        else None
    )
    ours = _bench(benchmark, group, impl, layout, strategy, SMALL_EXAMPLES, goal)
    numpy = _BEST.get((group, NUMPY))
    if impl != NUMPY and numpy is not None:
        benchmark.extra_info["speedup_vs_hnp"] = numpy / ours
    bench_record(benchmark)


@pytest.mark.parametrize("impl", list(LARGE))
def test_time_for_a_1000x1000_float32_tensor(
    benchmark: Any, bench_record: Callable[[Any], None], impl: str
) -> None:
    group = "strategies: one 1000x1000 float32 tensor"
    layout, strategy = LARGE[impl]
    goal = (LARGE[NUMPY][1], LARGE_TIME_GOAL) if impl != NUMPY else None
    ours = _bench(benchmark, group, impl, layout, strategy, LARGE_EXAMPLES, goal)
    numpy = _BEST.get((group, NUMPY))
    if impl != NUMPY and numpy is not None:
        benchmark.extra_info["time_vs_hnp"] = ours / numpy
    bench_record(benchmark)


# --- sparse, quantized and nested tensors against dense ones of as many elements -----------

LAYOUT_GOAL = 2.0  # time per example at most 2x the dense one's: at least half its rate


def _layout_pairs() -> dict[str, tuple[SearchStrategy[torch.Tensor], SearchStrategy[torch.Tensor]]]:
    from realize.strategies import nested_tensors, quantized_tensors, sparse_tensors

    dense = tensors(torch.float32, (16, 16), device="cpu")
    return {
        "sparse_tensors('coo', float32, (16, 16))": (
            sparse_tensors("coo", torch.float32, (16, 16), device="cpu"), dense
        ),
        "sparse_tensors('csr', float32, (16, 16))": (
            sparse_tensors("csr", torch.float32, (16, 16), device="cpu"), dense
        ),
        "sparse_tensors('bsr', float32, (16, 16), blocksize=(2, 2))": (
            sparse_tensors("bsr", torch.float32, (16, 16), device="cpu", blocksize=(2, 2)), dense
        ),
        "quantized_tensors(qint8, (16, 16))": (
            quantized_tensors(torch.qint8, (16, 16), device="cpu"),
            tensors(torch.int8, (16, 16), device="cpu"),
        ),
        # up to 4 components of up to 5 x 3 x 3: compared with a dense tensor of 60 elements
        "nested_tensors(jagged, float32, components=4)": (
            nested_tensors(torch.jagged, torch.float32, components=4, device="cpu"),
            tensors(torch.float32, (4, 5, 3), device="cpu"),
        ),
        "nested_tensors(strided, float32, components=4)": (
            nested_tensors(torch.strided, torch.float32, components=4, device="cpu"),
            tensors(torch.float32, (4, 3, 3, 3), device="cpu"),
        ),
    }  # fmt: skip


@pytest.mark.parametrize("name", list(_layout_pairs()))
def test_examples_per_second_of_the_layout_strategies(
    benchmark: Any, bench_record: Callable[[Any], None], name: str
) -> None:
    import warnings

    warnings.filterwarnings("ignore", message=".*(prototype|beta|deprecated).*")
    strategy, dense = _layout_pairs()[name]
    group = "strategies: sparse, quantized, nested against dense tensors()"
    benchmark.group = group
    run = _examples(strategy, SMALL_EXAMPLES)
    benchmark.pedantic(run, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    best = benchmark.stats.stats.min / SMALL_EXAMPLES
    dense_name = f"tensors(same dtype, {dense!r})"
    benchmark.extra_info.update(
        impl=name,
        device="cpu",
        dtype="float32",
        layout=name.split("(")[0],
        nbytes=0,
        mode="eager",
        GBps=0.0,
        examples_per_s=1.0 / best,
        suite="strategies",
        paired=paired_ratios(
            run, {dense_name: _examples(dense, SMALL_EXAMPLES)}, device="cpu", rounds=5,
            round_s=0.0,
        ),
        goal={"case": f"{group}: {name}", "against": dense_name, "max_time_ratio": LAYOUT_GOAL},
    )  # fmt: skip
    bench_record(benchmark)
