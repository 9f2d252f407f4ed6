"""The property harness: every property of clone, runnable against any callable.

Installed with realize as a pytest plugin (the top-level ``_realize_pytest``
module, a ``pytest11`` entry point). In any directory::

    pytest --realize-target=mypkg.ops:my_clone      # every property, every device
    pytest --realize-target=torch:clone --realize-compile=inductor

runs the suite in this package (``test_properties.py``, ``test_corpus.py``);
``pytest --pyargs realize.harness`` runs it on realize's own operators.

For properties of your own on the same targets and devices, request the
``realize_target`` and ``realize_device`` fixtures (the plugin parametrizes
them) and draw from :func:`inputs`::

    from hypothesis import given, strategies as st
    from realize.harness import inputs

    @given(data=st.data())
    def test_my_property(realize_target, realize_device, data):
        (x,) = data.draw(inputs("clone_semantics", realize_device)).args
        assert realize_target(x).data_ptr() != x.data_ptr() or x.numel() == 0

:func:`check` runs one property on one case, :func:`checker` does it under the
harness's known-bug table, flight recorder and ``--realize-isolate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from realize.harness._inputs import Case
from realize.harness._isolation import TargetCrashed
from realize.harness._properties import PROPERTIES, Property, check, inputs
from realize.harness.known_bugs import KNOWN_BUGS, KnownBug

if TYPE_CHECKING:
    from realize.harness._checker import Checker

__all__ = [
    "KNOWN_BUGS",
    "PROPERTIES",
    "Case",
    "KnownBug",
    "Property",
    "TargetCrashed",
    "check",
    "checker",
    "inputs",
]


def checker(request: pytest.FixtureRequest) -> Checker:
    """The running test's checker: ``checker(request)(prop, case)`` checks ``prop`` of
    the test's ``realize_target`` on ``case``, setting known upstream bugs aside
    (``--realize-known-bugs``), under ``--realize-isolate`` in a child process."""
    import _realize_pytest

    return _realize_pytest.session(request.config).checker(request.node)
