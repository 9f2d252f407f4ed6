"""Shared helpers of the strategies meta-tests: deterministic sampling and inspection."""

from __future__ import annotations

import importlib.metadata
import math
import os
from typing import Any

import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.strategies import SearchStrategy

from realize._bit_dtypes import word_dtype as word_dtype_of_size

#: Whether ``import hypothesis`` runs this package's plugin in this interpreter
#: (the package is installed, e.g. ``python -m pip install -e .``, and plugins on).
PLUGIN_INSTALLED = not os.environ.get("HYPOTHESIS_NO_PLUGINS") and any(
    ep.value == "_realize_hooks:hypothesis_setup_hook"
    for ep in importlib.metadata.entry_points(group="hypothesis")
)

#: Settings for deterministic sampling: same examples on every run, no database.
SAMPLE = settings(
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
#: Settings for ``hypothesis.find`` shrink tests.
FIND = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=2000,
    suppress_health_check=list(HealthCheck),
)


def sample(strategy: SearchStrategy[Any], n: int = 200) -> list[Any]:
    """``n`` examples of ``strategy``, the same ones on every run (derandomized)."""
    out: list[Any] = []

    @settings(SAMPLE, max_examples=n)
    @given(strategy)
    def collect(x: Any) -> None:
        out.append(x)

    collect()
    return out


def word_dtype(dtype: torch.dtype) -> torch.dtype:
    """The integer dtype of the same element size (complex128: int64, two per element)."""
    return word_dtype_of_size(dtype.itemsize)


def bits(t: torch.Tensor) -> torch.Tensor:
    """The logical elements of ``t`` as integer bit patterns (conj/neg bits applied)."""
    flat = t.detach().resolve_conj().resolve_neg().reshape(-1)
    # clone: a size-1 view with stride 2 counts as contiguous but cannot change dtype
    return flat.clone(memory_format=torch.contiguous_format).view(word_dtype(t.dtype))


def storage_elements(t: torch.Tensor) -> torch.Tensor:
    """Every element of ``t``'s storage, as integer bit patterns, from offset 0."""
    raw = torch.empty(0, dtype=torch.uint8, device=t.device)
    raw.set_(t.untyped_storage())
    return raw.view(word_dtype(t.dtype))


def covered_positions(t: torch.Tensor) -> set[int]:
    """Storage element positions (in word units) that the view ``t`` reaches."""
    words = max(t.dtype.itemsize // 8, 1)
    idx = torch.zeros((), dtype=torch.int64)
    for size, stride in zip(t.shape, t.stride(), strict=True):
        idx = idx.unsqueeze(-1) + torch.arange(size) * stride
    base = (idx.reshape(-1) + t.storage_offset()) * words
    return {int(p) + w for p in base.tolist() for w in range(words)}


def is_overlapping(t: torch.Tensor) -> bool:
    """Whether two logical elements of ``t`` share memory (stride-0 dims excluded)."""
    sizes_strides = [(n, s) for n, s in zip(t.shape, t.stride(), strict=True) if n > 1]
    if any(s == 0 for _, s in sizes_strides):
        return False
    idx = torch.zeros((), dtype=torch.int64)
    for n, s in sizes_strides:
        idx = idx.unsqueeze(-1) + torch.arange(n) * s
    flat = idx.reshape(-1)
    return flat.unique().numel() < flat.numel()


def has_gaps(t: torch.Tensor) -> bool:
    """Whether the storage holds elements the view does not reach."""
    if t.numel() == 0:
        return False
    n_words = t.untyped_storage().nbytes() // min(t.dtype.itemsize, 8)
    return len(covered_positions(t)) < n_words


def classify(t: torch.Tensor) -> set[str]:
    """Observable layout properties of ``t`` (names as in ``Layout`` values)."""
    kinds = set()
    if t.dim() == 0:
        kinds.add("0-d")
    if t.numel() == 0:
        kinds.add("zero-size")
    if t.is_conj():
        kinds.add("conj")
    if t.is_neg():
        kinds.add("neg")
    if t.numel() > 1 and any(n > 1 and s == 0 for n, s in zip(t.shape, t.stride(), strict=True)):
        kinds.add("expanded")
    if t.storage_offset() > 0:
        kinds.add("offset")
    if t.numel() > 1 and is_overlapping(t):
        kinds.add("overlapping")
    if has_gaps(t):
        kinds.add("gaps")
    if not t.is_contiguous():
        if t.dim() == 4 and t.is_contiguous(memory_format=torch.channels_last):
            kinds.add("channels_last")
        if t.dim() == 5 and t.is_contiguous(memory_format=torch.channels_last_3d):
            kinds.add("channels_last_3d")
    dense = t.numel() > 1 and not kinds & {"expanded", "overlapping", "gaps"}
    if dense and not t.is_contiguous() and not kinds & {"channels_last", "channels_last_3d"}:
        kinds.add("permuted")
    if t.is_contiguous() and t.storage_offset() == 0 and not t.is_conj() and not t.is_neg():
        kinds.add("contiguous")
    return kinds


def is_subnormal(x: float, dtype: torch.dtype) -> bool:
    return 0 < abs(x) < torch.finfo(dtype).smallest_normal and math.isfinite(x)
