"""A dtype's bit patterns as integer words: tensors filled and assembled from them.

A bit pattern is an unsigned int of ``8 * itemsize`` bits. It is written through
an integer view of the tensor (one word of the same size per element, or two int64
words for 16-byte complex128), so no floating-point operation ever touches it: NaN
payloads and the sign of zero come out exactly as given.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping

import torch

from realize._bit_dtypes import word_dtype

__all__ = ["BitPatterns", "as_signed"]

# ``array`` type codes of unsigned ints by width in bits (sizes are platform-defined).
_UNSIGNED = {8 * array(code).itemsize: code for code in "QLIHB"}


def as_signed(bits: int, width: int) -> int:
    """The two's-complement value of the ``width``-bit pattern ``bits``."""
    return bits - (1 << width) if bits >> (width - 1) else bits


class BitPatterns:
    """Writes bit patterns of ``dtype`` into tensors (``full``, ``build``)."""

    def __init__(self, dtype: torch.dtype) -> None:
        self.dtype = dtype
        self.nbytes = dtype.itemsize
        self.bits = 8 * dtype.itemsize
        self.mask = (1 << self.bits) - 1
        # Integer view used to write bit patterns: one word per element, or two
        # int64 words (real, imaginary) for 16-byte complex128.
        self.words = max(1, self.nbytes // 8)
        self.word = word_dtype(self.nbytes)
        self.word_bits = self.bits // self.words

    def _word_values(self, bits: int) -> list[int]:
        if self.words == 1:
            return [as_signed(bits, self.word_bits)]
        wmask = (1 << self.word_bits) - 1
        return [
            as_signed((bits >> (i * self.word_bits)) & wmask, self.word_bits)
            for i in range(self.words)
        ]

    def full(self, n: int, bits: int, device: torch.device | str = "cpu") -> torch.Tensor:
        """A 1-D tensor of ``n`` elements, all with bit pattern ``bits``."""
        if self.words == 1:  # empty + fill_ is faster than torch.full
            words = torch.empty(n, dtype=self.word, device=device)
            return words.fill_(as_signed(bits, self.word_bits)).view(self.dtype)
        words = torch.empty((n, self.words), dtype=self.word, device=device)
        for i, w in enumerate(self._word_values(bits)):
            words[:, i].fill_(w)
        return words.view(self.dtype).view(n)

    def build(
        self,
        n: int,
        fill: int,
        elements: Mapping[int, int],
        device: torch.device | str = "cpu",
    ) -> torch.Tensor:
        """A 1-D tensor: ``fill`` everywhere, ``elements[i]`` at position ``i``.

        Indices and bit patterns go through ``array`` buffers (``torch.tensor`` of
        a Python list is several times slower), then one ``index_put_``.
        """
        out = self.full(n, fill, device)
        if elements:
            k = len(elements)
            index = torch.frombuffer(array("q", elements.keys()), dtype=torch.int64)
            if self.words == 1:
                raw = array(_UNSIGNED[self.word_bits], elements.values())
            else:
                wmask = (1 << self.word_bits) - 1
                raw = array(
                    _UNSIGNED[self.word_bits],
                    [
                        (b >> (i * self.word_bits)) & wmask
                        for b in elements.values()
                        for i in range(self.words)
                    ],
                )
            values = torch.frombuffer(raw, dtype=self.word).view(k, self.words)
            words = out.view(self.word).view(n, self.words)
            words.index_put_((index.to(device),), values.to(device))
        return out
