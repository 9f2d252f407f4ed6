"""A fixed corpus of edge-case tensors: every clonable dtype in every layout.

The Hypothesis properties explore; this corpus guarantees. Whatever profile is
active, every dtype is checked in every layout (permuted, step-sliced, storage
offset, expanded, channels_last, overlapping, odd strides on size-1 dims,
zero-size, 0-d, large, conj and neg views, requires_grad leaves and views) and
every storage holds the special bit patterns of its dtype (-0.0, NaN payloads
quiet and signalling, infinities, subnormals, min/max, int64 beyond 2**53).
Values are built from raw bits, never from torch's RNG.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Iterator

import torch
from torch import Tensor

from realize._bit_dtypes import word_dtype
from realize.harness._inputs import Case

_GOLDEN = -7046029254386353131  # 0x9E3779B97F4A7C15 as int64: well-spread patterns


def _all_dtypes() -> list[torch.dtype]:
    seen = {d for d in vars(torch).values() if isinstance(d, torch.dtype)}
    return sorted(seen, key=str)


@functools.cache
def clonable_dtypes(device: str) -> tuple[torch.dtype, ...]:
    """Every dtype of this torch whose tensors ``clone`` can copy on ``device``."""
    out = []
    for dtype in _all_dtypes():
        if dtype.itemsize not in (1, 2, 4, 8, 16):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "ComplexHalf support is experimental"
                raw = torch.zeros(4 * dtype.itemsize, dtype=torch.uint8, device=device)
                raw.view(dtype).clone()
        except (RuntimeError, TypeError, NotImplementedError):
            continue
        out.append(dtype)
    return tuple(out)


@functools.cache
def carries_grad(dtype: torch.dtype) -> bool:
    """Whether ``clone``'s backward works for ``dtype`` (float16, bfloat16, float8, complex...)."""
    if not (dtype.is_floating_point or dtype.is_complex):
        return False
    try:
        x = torch.zeros(4 * dtype.itemsize, dtype=torch.uint8).view(dtype).requires_grad_()
        torch.autograd.grad(x.clone(), x, torch.zeros_like(x))
    except (RuntimeError, TypeError, NotImplementedError):
        return False
    return True


@functools.cache
def has_conj(dtype: torch.dtype, device: str) -> bool:
    """Whether this torch can take a conjugate view of ``dtype`` on ``device`` and clone it
    (torch 2.14's bcomplex32 has no conj kernel)."""
    if not dtype.is_complex:
        return False
    try:
        torch.zeros(2, dtype=dtype, device=device).conj().clone()
    except (RuntimeError, TypeError, NotImplementedError):
        return False
    return True


def _component_width(dtype: torch.dtype) -> int:
    """Bits of one component (a complex number has two)."""
    return 8 * dtype.itemsize // (2 if dtype.is_complex else 1)


def _value_bits(dtype: torch.dtype) -> list[int]:
    """Bits of notable floating values in ``dtype`` (rounded by torch's conversion)."""
    real = dtype.to_real() if dtype.is_complex else dtype
    if not real.is_floating_point:
        return []
    values = [1.0, -1.0, 0.5, 1 / 3, math.inf, -math.inf, math.nan, 1e-40, 1e30, -2.5]
    try:
        info = torch.finfo(real)
        values += [info.max, -info.max, info.tiny, info.eps]
    except (TypeError, RuntimeError, NotImplementedError):
        pass
    try:
        converted = torch.tensor(values, dtype=torch.float64).to(real)
    except (RuntimeError, TypeError, NotImplementedError):
        return []
    words = converted.view(word_dtype(real.itemsize)).tolist()
    inf, sign = words[4], -(1 << (8 * real.itemsize - 1))
    # NaNs with payloads: signalling (quiet bit clear) and negative ones
    return [*words, inf | 1, sign | inf | 3, inf | 5, sign | inf | 1]


def special_words(dtype: torch.dtype) -> list[int]:
    """Component bit patterns (as signed ints of the component width) worth testing."""
    width = _component_width(dtype)
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    words = [0, lo, 1, -1, hi, lo | 1, 2, 3, hi - 1, lo + 2]
    if width == 64:
        words += [2**53 + 1, -(2**53) - 1, 2**62 + 1, 2**53 + 3, 2**63 - 3, 2**60 + 7]
    if width >= 32:
        words += [2**31 + 1, -(2**31) - 3, 2**24 + 1]
    words += _value_bits(dtype)
    words += [((i + 1) * _GOLDEN) >> (64 - width) for i in range(8)]
    return [((w - lo) % (1 << width)) + lo for w in words]  # wrap into range


def all_words(dtype: torch.dtype) -> list[int]:
    """Every pattern for 8-bit components; for wider ones every top-9-bit prefix."""
    width = _component_width(dtype)
    lo = -(1 << (width - 1))
    if width <= 8:
        return list(range(lo, -lo))
    shift = width - 9
    tails = [0, 1, (1 << shift) - 1, 1 << (shift - 1)]
    words = [(top << shift) | t for top in range(512) for t in tails]
    return [((w - lo) % (1 << width)) + lo for w in words]


def storage(dtype: torch.dtype, device: str, n: int, words: list[int] | None = None) -> Tensor:
    """A 1-D tensor of ``n`` elements of ``dtype`` cycling through ``words``' bits."""
    words = words if words is not None else special_words(dtype)
    width = _component_width(dtype)
    per_item = 2 if dtype.is_complex else 1
    count = n * per_item
    if dtype.is_complex:
        # pair every pattern with every neighbour: -0.0 shows up in both parts
        words = words + words[1:] + words[:1]
    reps = -(-count // len(words)) if words else 0
    flat = torch.tensor((words * reps)[:count], dtype=torch.int64)
    comp = word_dtype(width // 8)
    base = flat.to(comp)
    if dtype == torch.bool:
        base = (flat & 1).to(torch.int8)
    return base.view(dtype).to(device)


def _all(dtype: torch.dtype, device: str) -> Tensor:
    words = all_words(dtype)
    return storage(dtype, device, len(words) // (2 if dtype.is_complex else 1), words=words)


def layouts(dtype: torch.dtype, device: str) -> Iterator[tuple[str, Tensor]]:
    """``(name, tensor)`` for every layout, each over a storage of special values."""

    def s(n: int) -> Tensor:
        return storage(dtype, device, n)

    base = s(60).view(3, 4, 5)
    yield "all_patterns", _all(dtype, device)
    yield "contiguous", base
    yield "zero_dim", s(3)[2:].view(())  # 0-d with a storage offset
    yield "zero_dim_fresh", s(1).view(())
    yield "one_dim", s(len(special_words(dtype)) + 1)
    yield "permuted", base.permute(2, 0, 1)
    yield "transposed", s(12).view(3, 4).t()
    yield "step_sliced", base[::2, 1::3]
    yield "negative_step_free_gaps", s(40).view(8, 5)[1::3, ::2]
    yield "storage_offset", s(30)[7:].view(23)
    yield "storage_offset_2d", s(40)[5:].view(5, 7)
    yield "storage_offset_permuted", s(40)[4:].view(4, 9).t()
    yield "expanded", s(5).view(1, 5).expand(4, 5)
    yield "expanded_middle", s(6).view(3, 1, 2).expand(3, 4, 2)
    yield "expanded_zero_dim", s(1).view(()).expand(2, 3)
    yield "channels_last", s(120).view(2, 4, 5, 3).permute(0, 3, 1, 2)
    yield "channels_last_3d", s(48).view(2, 2, 2, 2, 3).permute(0, 4, 1, 2, 3)
    yield "overlapping", s(8).as_strided((4, 3), (1, 1))
    yield "overlapping_offset", s(12).as_strided((3, 3), (2, 1), 3)
    yield "size_one_odd_strides", s(8).as_strided((2, 1, 3), (3, 99, 1))
    yield "size_one_zero_stride", s(6).as_strided((1, 6), (0, 1))
    yield "empty", s(4).as_strided((0, 3), (1, 7))
    yield "empty_middle", s(2)[1:].as_strided((2, 0, 3), (3, 3, 1))
    yield "large", s(4099)
    yield "large_strided", s(70 * 65).view(70, 65)[:, 1::2].t()
    if has_conj(dtype, device):
        yield "conj", base.conj()
        yield "conj_permuted", base.permute(1, 2, 0).conj()
        yield "conj_expanded", s(5).view(1, 5).expand(3, 5).conj()
    complex_of = {torch.float16: torch.complex32, torch.float32: torch.complex64}
    complex_of[torch.float64] = torch.complex128
    if dtype in complex_of:
        z = storage(complex_of[dtype], device, 12, words=special_words(dtype))
        yield "neg", z.view(3, 4).conj().imag
        yield "neg_transposed", z.view(3, 4).conj().imag.t()


def grad_layouts(dtype: torch.dtype, device: str) -> Iterator[tuple[str, Tensor]]:
    """Inputs that require grad: leaves in odd layouts and views of leaves."""
    for name, x in layouts(dtype, device):
        if name.startswith(("large", "empty_middle", "expanded_zero_dim")):
            continue
        yield f"{name}, leaf requiring grad", x.detach().requires_grad_()
    base = storage(dtype, device, 60).view(3, 4, 5).requires_grad_()
    yield "view of a leaf, permuted", base.permute(2, 0, 1)
    yield "view of a leaf, step_sliced", base[::2, 1::3]
    yield "view of a leaf, expanded", base[:1].expand(3, 4, 5)
    if has_conj(dtype, device):
        yield "view of a leaf, conj", base.conj()


def grad_outputs(like: Tensor) -> Iterator[tuple[str, Tensor | None]]:
    """``grad_output``s for an output shaped like ``like``: contiguous, strided, expanded."""
    yield "default bit pattern", None
    shape = tuple(like.shape)
    if len(shape) >= 1 and like.numel() > 1:
        n = like.numel()
        fresh = storage(like.dtype, str(like.device), 2 * n + 3)
        yield "step-sliced", fresh[3::2].view(shape)
        rev = tuple(reversed(shape))
        yield "permuted", fresh[:n].view(rev).permute(*reversed(range(len(shape))))
        yield "expanded", fresh[1 : 1 + shape[-1]].expand(shape)


def cases(prop: str, dtype: torch.dtype, device: str) -> Iterator[tuple[str, Case]]:
    """``(case name, case)`` for one property (clone semantics, independence or the
    identity backward), dtype and device."""
    if prop == "identity_backward":
        if not carries_grad(dtype):
            return
        # The gradient's layout is independent of x's: each input gets one
        # grad_output, cycling through the kinds (default bit pattern,
        # step-sliced, permuted, expanded), so every kind meets many layouts.
        for i, (name, x) in enumerate(grad_layouts(dtype, device)):
            kinds = list(grad_outputs(x))
            g_name, g = kinds[i % len(kinds)] if device != "meta" else kinds[0]
            yield f"{name}, grad_output {g_name}", Case((x, g))
        return
    for name, x in layouts(dtype, device):
        yield name, Case((x,))
    if carries_grad(dtype):
        for name, x in grad_layouts(dtype, device):
            yield name, Case((x,))


def gradcheck_cases(dtype: torch.dtype, device: str) -> Iterator[tuple[str, Case]]:
    """Small finite float64/complex128 inputs in odd layouts (gradcheck costs two calls
    per element)."""
    base = (torch.arange(24, dtype=torch.float64) / 7 - 1.5).to(device)
    if dtype.is_complex:
        base = torch.complex(base, base.flip(0))
    base = base.view(2, 3, 4)
    yield "permuted", Case((base[:, :2, :2].permute(2, 0, 1),))
    yield "step_sliced", Case((base[::2, ::2, 1::2],))
    yield "storage_offset", Case((base[1, 1:],))
    yield "expanded", Case((base[:1, :1, :2].expand(2, 2, 2),))
    yield "zero_dim", Case((base[1, 2, 3],))
    if dtype.is_complex:
        yield "conj", Case((base.conj(),))


#: every dtype torch can clone on cpu; other devices skip what they cannot hold
CORPUS_DTYPES = clonable_dtypes("cpu")
