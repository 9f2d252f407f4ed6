"""Hypothesis settings profiles for test suites of torch code, loadable in one line.

``load_profile()`` in a ``conftest.py``::

    from realize.strategies import load_profile

    load_profile()  # "realize-torch", or "realize-torch-ci" when $CI is set

Importing this module registers the profiles under their names, so
``settings.load_profile("realize-torch-ci")`` or pytest's
``--hypothesis-profile=realize-torch-ci`` work once it is imported (e.g. from conftest).

Why these settings: the first call of a torch op pays lazy initialisation (kernels,
dispatch tables, CUDA context, Inductor's compile) of about 0.6 s on the project's CPU
machines, and more on a GPU's first kernel. Hypothesis's default 200 ms ``deadline`` turns
that into ``DeadlineExceeded`` or "Unreliable test timings" on the first example, so the
profiles allow ``DEADLINE`` per example, well above it, yet still catch a hang. Big tensors
take time to generate; ``too_slow`` and ``data_too_large`` health checks are about
strategies of small values and are suppressed. The CI variant is derandomized (the same
examples on every run, no flaky red) and keeps no example database.
"""

from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import HealthCheck, settings

__all__ = ["DEADLINE", "PROFILES", "load_profile"]

#: Per-example deadline of the profiles: several times the ~0.6 s first-call latency.
DEADLINE = timedelta(seconds=2)

_COMMON = {
    "deadline": DEADLINE,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}

#: Profile name -> settings keywords (on top of Hypothesis's defaults).
PROFILES: dict[str, dict[str, object]] = {
    "realize-torch": dict(_COMMON),
    "realize-torch-ci": {**_COMMON, "derandomize": True, "database": None, "print_blob": True},
}

# On Hypothesis's own defaults, not on whatever profile is loaded when this is imported
# (register_profile's default parent): the same name means the same settings everywhere.
for _name, _kwargs in PROFILES.items():
    settings.register_profile(_name, parent=settings.get_profile("default"), **_kwargs)  # type: ignore[arg-type]


def load_profile(name: str | None = None) -> settings:
    """Load one of ``PROFILES`` and return its settings.

    ``name`` is ``"torch"`` or ``"torch-ci"`` (the ``realize-`` prefix is optional);
    ``None`` picks ``torch-ci`` when the ``CI`` environment variable is set and not
    ``false``/``0``, else ``torch``.

    >>> from realize.strategies import load_profile
    >>> load_profile("torch-ci").derandomize
    True
    """
    if name is None:
        ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false")
        name = "torch-ci" if ci else "torch"
    full = name if name.startswith("realize-") else f"realize-{name}"
    if full not in PROFILES:
        from hypothesis.errors import InvalidArgument

        raise InvalidArgument(
            f"name={name!r} is not a realize profile; use one of "
            f"{', '.join(repr(n.removeprefix('realize-')) for n in PROFILES)}"
        )
    settings.load_profile(full)
    return settings.get_profile(full)
