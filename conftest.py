"""This repository's own pytest wiring. The harness comes from the installed plugin.

The property harness (``--realize-target``, ``--realize-compile``,
``--realize-device``/``--device``, ``--realize-db``, the ``realize_target`` and
``realize_device`` fixtures) is realize's ``pytest11`` plugin, ``_realize_pytest``,
the same one a user gets from ``pip install realize``. This file only:

- starts the harness for every run here, with its Hypothesis profile
  (``realize-dev``; ``realize-ci`` when ``CI`` is set; or ``--hypothesis-profile``),
  so this repository's own tests run under the same settings as the suite;
and nothing else (``pytester``, for the meta-tests that run pytest in process, is
enabled in ``pyproject.toml``'s ``addopts``: a ``pytest_plugins`` here would break a
run of the harness from another directory against an editable install, which loads
this file as a non-root conftest).
"""

from __future__ import annotations

import pytest

import _realize_pytest


def pytest_configure(config: pytest.Config) -> None:
    _realize_pytest.activate(config, load_profile=True)
