"""The integer dtype of each element size: the one table for reading a tensor's bits.

Viewing a tensor as the signed integer dtype of its itemsize (``t.view(word_dtype(
t.dtype.itemsize))``) reads or writes its bit patterns exactly: no floating-point
operation touches a NaN payload or the sign of a zero. The strategies build tensors
this way, and ``realize.testing`` and the property tests compare and print them this
way.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import torch

__all__ = ["INT_OF_SIZE", "word_dtype"]

#: Element size in bytes -> the signed integer dtype of that size.
INT_OF_SIZE: Final[Mapping[int, torch.dtype]] = MappingProxyType(
    {1: torch.int8, 2: torch.int16, 4: torch.int32, 8: torch.int64}
)


def word_dtype(itemsize: int) -> torch.dtype:
    """The signed integer dtype whose elements are ``itemsize`` bytes.

    16-byte dtypes (complex128) get ``int64``: two words per element.
    """
    return INT_OF_SIZE[min(itemsize, 8)]
