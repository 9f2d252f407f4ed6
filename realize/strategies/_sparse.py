"""``sparse_tensors()``: sparse COO, CSR, CSC, BSR and BSC tensors, always valid.

A draw picks the device, the layout, the dtype, the shape (sparse, hybrid dense
and, for the compressed layouts, batch dimensions; block sizes for BSR/BSC), the
sparsity pattern, and the values, which come from ``tensors()`` (the same
element strategies and special values as dense tensors). The indices are valid
by construction, and every tensor passes ``torch.sparse.check_sparse_tensor_invariants``:
invalid sparse tensors are not what this strategy is for.

COO tensors are coalesced (indices sorted, unique, ``is_coalesced()``) or not
(duplicates and any order, ``is_coalesced()`` False). Compressed tensors share
one sparsity pattern across their batch, as torch requires equal ``nnz`` per batch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from realize._hypothesis_internals import draw_boolean, draw_choice, draw_integer
from realize.strategies._layout_support import SPARSE_LAYOUTS, resolve_device, resolve_dtype
from realize.strategies._resolving import ResolvingStrategy
from realize.strategies._tensors import tensors
from realize.strategies._validation import check_bool, check_int

__all__ = ["SparseStrategy", "sparse_tensors"]

#: Largest side of a sparse dimension, dense (hybrid) dimension and batch dimension.
MAX_SPARSE_SIDE, MAX_DENSE_SIDE, MAX_BATCH_SIDE = 6, 3, 3
_COMPRESSED_ROWS = {torch.sparse_csr: True, torch.sparse_bsr: True}
_BLOCKED = (torch.sparse_bsr, torch.sparse_bsc)
_NAMES = {
    "coo": torch.sparse_coo,
    "csr": torch.sparse_csr,
    "csc": torch.sparse_csc,
    "bsr": torch.sparse_bsr,
    "bsc": torch.sparse_bsc,
}


@dataclass(frozen=True)
class _Args:
    layouts: tuple[torch.layout, ...]
    dtype: torch.dtype | None
    shape: tuple[int, ...] | None
    devices: tuple[torch.device, ...]
    nnz: int | None
    coalesced: bool | None
    dense_dims: int | None
    batch_dims: int | None
    blocksize: tuple[int, int] | None
    elements: Any
    requires_grad: bool | None


def _layouts(arg: object) -> tuple[torch.layout, ...]:
    if arg is None:
        return SPARSE_LAYOUTS
    items = [arg] if isinstance(arg, (torch.layout, str)) else list(arg)  # type: ignore[call-overload]
    out = []
    for item in items:
        if isinstance(item, str):
            item = _NAMES.get(item.removeprefix("sparse_"), item)
        if item not in SPARSE_LAYOUTS:
            raise InvalidArgument(
                f"layout={arg!r} is not a sparse layout; use one of "
                f"{', '.join(str(x) for x in SPARSE_LAYOUTS)} (or 'coo', 'csr', ...)"
            )
        out.append(item)
    if not out:
        raise InvalidArgument(f"layout={arg!r} is empty")
    return tuple(dict.fromkeys(out))


def _optional_int(value: object, name: str, minimum: int = 0) -> int | None:
    return None if value is None else check_int(value, name, minimum=minimum)


class SparseStrategy(ResolvingStrategy[torch.Tensor, _Args]):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__("sparse_tensors", kwargs=kwargs, defaults={"requires_grad": False})

    def resolve(self) -> _Args:
        k = self.call_kwargs
        layouts = _layouts(k["layout"])
        found = resolve_device("sparse", k["device"])
        devices = found if isinstance(found, tuple) else (found,)
        shape = k["shape"]
        if shape is not None:
            if isinstance(shape, int):
                shape = (shape,)
            if not isinstance(shape, tuple) or not all(
                isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape
            ):
                raise InvalidArgument(f"shape={shape!r} must be a tuple of ints >= 0")
        blocksize = k["blocksize"]
        if blocksize is not None:
            if not (
                isinstance(blocksize, tuple)
                and len(blocksize) == 2
                and all(isinstance(b, int) and b >= 1 for b in blocksize)
            ):
                raise InvalidArgument(f"blocksize={blocksize!r} must be a pair of ints >= 1")
            if not set(layouts) & set(_BLOCKED):
                raise InvalidArgument(
                    f"blocksize={blocksize!r} needs layout=sparse_bsr or sparse_bsc"
                )
        coalesced = k["coalesced"]
        if coalesced is not None:
            check_bool(coalesced, "coalesced")
            if torch.sparse_coo not in layouts:
                raise InvalidArgument("coalesced= applies to layout=sparse_coo only")
        batch_dims = _optional_int(k["batch_dims"], "batch_dims")
        if batch_dims and layouts == (torch.sparse_coo,):
            raise InvalidArgument(
                "batch_dims= applies to the compressed layouts (CSR, CSC, BSR, BSC)"
            )
        requires_grad = k["requires_grad"]
        if requires_grad is not None:
            check_bool(requires_grad, "requires_grad")
        args = _Args(
            layouts=layouts,
            dtype=k["dtype"],
            shape=shape,
            devices=devices,
            nnz=_optional_int(k["nnz"], "nnz"),
            coalesced=coalesced,
            dense_dims=_optional_int(k["dense_dims"], "dense_dims"),
            batch_dims=batch_dims,
            blocksize=blocksize,
            elements=k["elements"],
            requires_grad=requires_grad,
        )
        for device in devices:  # every dtype argument checked now, not at a draw
            for layout in layouts:
                resolve_dtype("sparse", layout, args.dtype, device)
        if shape is not None:
            _check_shape(args, shape)
        return args

    def do_draw(self, data: Any) -> torch.Tensor:
        a = self.resolved()
        device = draw_choice(data, a.devices)
        layout = draw_choice(data, a.layouts)
        dtype = draw_choice(data, resolve_dtype("sparse", layout, a.dtype, device))
        if layout == torch.sparse_coo:
            x = _draw_coo(data, a, dtype, device)
        else:
            x = _draw_compressed(data, a, layout, dtype, device)
        grad = a.requires_grad
        if grad is None:
            grad = draw_boolean(data, 0.25)
        if grad and (dtype.is_floating_point or dtype.is_complex):
            x.requires_grad_()
        return x


def _check_shape(a: _Args, shape: tuple[int, ...]) -> None:
    dense = a.dense_dims or 0
    for layout in a.layouts:
        sparse = len(shape) - dense - (a.batch_dims or 0)
        if layout == torch.sparse_coo and len(shape) - dense < 1:
            raise InvalidArgument(
                f"shape={shape} leaves no sparse dimension with dense_dims={dense}"
            )
        if layout != torch.sparse_coo and sparse != 2 and a.batch_dims is not None:
            raise InvalidArgument(
                f"shape={shape} with batch_dims={a.batch_dims} and dense_dims={dense} leaves "
                f"{sparse} sparse dimensions; the compressed layouts have exactly 2"
            )
        if layout != torch.sparse_coo and len(shape) - dense < 2:
            raise InvalidArgument(f"shape={shape} is too small for {layout} (2 sparse dimensions)")


def _values(
    data: Any, a: _Args, dtype: torch.dtype, shape: tuple[int, ...], device: torch.device
) -> torch.Tensor:
    strategy = tensors(dtype, shape, device=device, elements=a.elements, contiguous=True)
    return data.draw(strategy, label="values")  # type: ignore[no-any-return]


def _sides(data: Any, n: int, low: int, high: int) -> tuple[int, ...]:
    return tuple(draw_integer(data, low, high, low) for _ in range(n))


def _draw_coo(data: Any, a: _Args, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    if a.shape is not None:
        dense_dims = (
            a.dense_dims
            if a.dense_dims is not None
            else draw_integer(data, 0, max(0, len(a.shape) - 1))
        )
        sparse_shape, dense_shape = (
            a.shape[: len(a.shape) - dense_dims],
            a.shape[len(a.shape) - dense_dims :],
        )
    else:
        dense_dims = a.dense_dims if a.dense_dims is not None else draw_integer(data, 0, 2)
        sparse_shape = _sides(data, draw_integer(data, 1, 3), 0, MAX_SPARSE_SIDE)
        dense_shape = _sides(data, dense_dims, 1, MAX_DENSE_SIDE)
    cells = math.prod(sparse_shape)
    coalesced = a.coalesced if a.coalesced is not None else draw_boolean(data, 0.5)
    if coalesced:
        limit = min(cells, 16)
        nnz = a.nnz if a.nnz is not None else draw_integer(data, 0, limit)
        if nnz > cells:
            raise InvalidArgument(
                f"nnz={nnz} exceeds the {cells} cells of a coalesced {sparse_shape}"
            )
        flat: list[int] = []
        taken: set[int] = set()
        for _ in range(nnz):  # distinct cells, then sorted: a coalesced tensor
            cell = draw_integer(data, 0, cells - 1)
            while cell in taken:
                cell = (cell + 1) % cells
            taken.add(cell)
            flat.append(cell)
        flat.sort()
    else:
        nnz = a.nnz if a.nnz is not None else draw_integer(data, 0, 16 if cells else 0)
        if nnz and not cells:
            raise InvalidArgument(f"nnz={nnz} but the sparse shape {sparse_shape} has no cell")
        flat = [draw_integer(data, 0, cells - 1) for _ in range(nnz)]  # duplicates, any order
    indices = (
        torch.tensor([list(idx) for idx in _unravel(flat, sparse_shape)], dtype=torch.int64)
        .reshape(nnz, len(sparse_shape))
        .t()
        .contiguous()
    )
    values = _values(data, a, dtype, (nnz, *dense_shape), device)
    return torch.sparse_coo_tensor(
        indices.to(device),
        values,
        (*sparse_shape, *dense_shape),
        is_coalesced=coalesced,
        check_invariants=True,
    )


def _unravel(flat: Iterable[int], shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    out = []
    for cell in flat:
        idx = []
        for side in reversed(shape):
            cell, i = divmod(cell, side)
            idx.append(i)
        out.append(tuple(reversed(idx)))
    return out


def _draw_compressed(
    data: Any, a: _Args, layout: torch.layout, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    blocked = layout in _BLOCKED
    if a.shape is not None:
        dense_dims = a.dense_dims if a.dense_dims is not None else 0
        batch_dims = a.batch_dims if a.batch_dims is not None else len(a.shape) - 2 - dense_dims
        if batch_dims < 0:
            raise InvalidArgument(f"shape={a.shape} is too small for {layout}")
        batch = a.shape[:batch_dims]
        rows, cols = a.shape[batch_dims : batch_dims + 2]
        dense = a.shape[batch_dims + 2 :]
    else:
        batch_dims = a.batch_dims if a.batch_dims is not None else draw_integer(data, 0, 2)
        dense_dims = a.dense_dims if a.dense_dims is not None else draw_integer(data, 0, 1)
        batch = _sides(data, batch_dims, 1, MAX_BATCH_SIDE)
        dense = _sides(data, dense_dims, 1, MAX_DENSE_SIDE)
        rows, cols = -1, -1  # drawn below
    if blocked:
        if a.blocksize is not None:
            block = a.blocksize
        else:
            block = (draw_integer(data, 1, 3, 1), draw_integer(data, 1, 3, 1))
        if rows < 0:
            rows, cols = block[0] * draw_integer(data, 0, 3), block[1] * draw_integer(data, 0, 3)
        if rows % block[0] or cols % block[1]:
            raise InvalidArgument(
                f"blocksize={block} does not divide the sparse shape ({rows}, {cols})"
            )
    else:
        block = (1, 1)
        if rows < 0:
            rows, cols = (
                draw_integer(data, 0, MAX_SPARSE_SIDE),
                draw_integer(data, 0, MAX_SPARSE_SIDE),
            )
    by_row = _COMPRESSED_ROWS.get(layout, False)
    outer, inner = (
        (rows // block[0], cols // block[1]) if by_row else (cols // block[1], rows // block[0])
    )
    # one pattern for the whole batch: torch requires the same nnz in every batch
    compressed, plain = [0], []
    for _ in range(outer):
        mask = draw_integer(data, 0, (1 << inner) - 1) if inner else 0
        plain += [i for i in range(inner) if mask >> i & 1]
        compressed.append(len(plain))
    nnz = len(plain)
    index_dtype = draw_choice(data, (torch.int64, torch.int32))
    compressed_t = torch.tensor(compressed, dtype=index_dtype).expand(*batch, outer + 1)
    plain_t = torch.tensor(plain, dtype=index_dtype).expand(*batch, nnz)
    block_shape = block if blocked else ()
    values = _values(data, a, dtype, (*batch, nnz, *block_shape, *dense), device)
    return torch.sparse_compressed_tensor(
        compressed_t.contiguous().to(device),
        plain_t.contiguous().to(device),
        values,
        (*batch, rows, cols, *dense),
        layout=layout,
        check_invariants=True,
    )


def sparse_tensors(
    layout: torch.layout | str | Iterable[torch.layout | str] | None = None,
    dtype: torch.dtype | None = None,
    shape: int | tuple[int, ...] | None = None,
    *,
    device: torch.device | str | None = None,
    nnz: int | None = None,
    coalesced: bool | None = None,
    dense_dims: int | None = None,
    batch_dims: int | None = None,
    blocksize: tuple[int, int] | None = None,
    elements: SearchStrategy[Any] | Mapping[str, Any] | None = None,
    requires_grad: bool | None = False,
) -> SearchStrategy[torch.Tensor]:
    """Return a strategy for sparse tensors: COO, CSR, CSC, BSR and BSC.

    * ``layout``: one of ``torch.sparse_coo``, ``sparse_csr``, ``sparse_csc``,
      ``sparse_bsr``, ``sparse_bsc`` (or ``"coo"``, ``"csr"``, ...), an iterable of
      them, or ``None`` for any.
    * ``dtype``: a dtype the layout supports on the device, or ``None`` for any.
    * ``shape``: the full shape (batch, sparse and dense dimensions), or ``None``:
      1 to 3 sparse dimensions (COO; 2 for the compressed layouts), up to 2 dense
      (hybrid) dimensions, up to 2 batch dimensions (compressed layouts).
    * ``device``: where sparse tensors exist (cpu, cuda), or ``None`` for any present.
    * ``nnz``: the number of specified elements (COO) or ``None`` for 0 to 16.
    * ``coalesced``: COO only; ``None`` draws both. Uncoalesced tensors have
      duplicate indices in any order.
    * ``dense_dims``, ``batch_dims``: fixed counts, or ``None`` to draw them.
    * ``blocksize``: BSR/BSC block ``(rows, cols)``, or ``None`` for 1 to 3 each.
    * ``elements``: as for ``tensors()``; the specified values are drawn by it.
    * ``requires_grad``: ``True``, ``False`` or ``None`` (drawn; floats only).

    Every tensor is valid (``check_invariants=True``). Examples shrink towards cpu,
    COO, float32, coalesced, one small dimension, and no specified element.

    .. code-block:: pycon

        >>> sparse_tensors("csr", torch.float32, (2, 3, 4)).example().crow_indices().shape
        torch.Size([2, 4])
    """
    return SparseStrategy(
        layout=layout,
        dtype=dtype,
        shape=shape,
        device=device,
        nnz=nnz,
        coalesced=coalesced,
        dense_dims=dense_dims,
        batch_dims=batch_dims,
        blocksize=blocksize,
        elements=elements,
        requires_grad=requires_grad,
    )
