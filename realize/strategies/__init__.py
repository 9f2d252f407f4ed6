"""Hypothesis strategies for PyTorch tensors: every dtype, layout and device, fast, shrinking.

Modelled on ``hypothesis.extra.numpy``. The main entry point is ``tensors()``::

    from hypothesis import given
    from realize.strategies import tensors

    @given(tensors())
    def test_clone_is_equal(x):
        assert x.clone().equal(x) or x.isnan().any()

Its building blocks are public too: ``dtypes()``, ``shapes()``, ``devices()``,
``layouts()`` / ``Layout``, ``from_dtype()`` for scalars, and the broadcasting
helpers. Installing the package also registers ``st.from_type(torch.Tensor)``,
``torch.dtype`` and ``torch.device`` and torch's global RNG with Hypothesis.

Settings profiles for torch code: ``load_profile()`` (``"realize-torch"``, or the
derandomized ``"realize-torch-ci"`` when ``$CI`` is set).

The names below are imported on first use (PEP 562 ``__getattr__``), so importing
this package costs no more than what is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from realize.strategies._broadcast import (
        BroadcastableShapes,
        broadcastable_shapes,
        mutually_broadcastable_shapes,
    )
    from realize.strategies._codecs import sentinel
    from realize.strategies._devices import available_devices, devices
    from realize.strategies._dtypes import KINDS, dtypes, supported_dtypes
    from realize.strategies._elements import from_dtype
    from realize.strategies._layouts import Layout, layouts
    from realize.strategies._nested import nested_tensors
    from realize.strategies._profiles import PROFILES, load_profile
    from realize.strategies._quantized import quantized_tensors
    from realize.strategies._shapes import shapes
    from realize.strategies._size_classes import SIZE_CLASSES, sized_shapes
    from realize.strategies._sparse import sparse_tensors
    from realize.strategies._tensors import tensors

__all__ = [
    "KINDS",
    "PROFILES",
    "SIZE_CLASSES",
    "BroadcastableShapes",
    "Layout",
    "available_devices",
    "broadcastable_shapes",
    "devices",
    "dtypes",
    "from_dtype",
    "layouts",
    "load_profile",
    "mutually_broadcastable_shapes",
    "nested_tensors",
    "quantized_tensors",
    "sentinel",
    "shapes",
    "sized_shapes",
    "sparse_tensors",
    "supported_dtypes",
    "tensors",
]

_MODULE_OF = {
    "KINDS": "_dtypes",
    "BroadcastableShapes": "_broadcast",
    "Layout": "_layouts",
    "available_devices": "_devices",
    "broadcastable_shapes": "_broadcast",
    "devices": "_devices",
    "dtypes": "_dtypes",
    "from_dtype": "_elements",
    "layouts": "_layouts",
    "load_profile": "_profiles",
    "PROFILES": "_profiles",
    "mutually_broadcastable_shapes": "_broadcast",
    "nested_tensors": "_nested",
    "quantized_tensors": "_quantized",
    "sparse_tensors": "_sparse",
    "sentinel": "_codecs",
    "shapes": "_shapes",
    "sized_shapes": "_size_classes",
    "SIZE_CLASSES": "_size_classes",
    "supported_dtypes": "_dtypes",
    "tensors": "_tensors",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'realize.strategies' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"realize.strategies.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
