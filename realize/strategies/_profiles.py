"""Hypothesis settings profiles for test suites of torch code, loadable in one line.

``load_profile()`` in a ``conftest.py``::

    from realize.strategies import load_profile

    load_profile()  # "realize-torch", or "realize-torch-ci" when $CI is set

The profiles are registered by realize's Hypothesis entry point as soon as
Hypothesis is imported, in every project that has realize installed, so
``pytest --hypothesis-profile=realize-torch-ci`` works with no import of ours at
all. (The table lives in the top-level ``_realize_hooks`` module, which imports
no torch.)

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

from datetime import timedelta

from hypothesis import settings

import _realize_hooks

__all__ = ["DEADLINE", "PROFILES", "load_profile"]

#: Profile name -> settings keywords (on top of Hypothesis's defaults).
PROFILES: dict[str, dict[str, object]] = {
    name: kwargs
    for name, kwargs in _realize_hooks.profile_settings().items()
    if name in _realize_hooks.TORCH_PROFILES
}

#: Per-example deadline of the profiles: several times the ~0.6 s first-call latency.
DEADLINE: timedelta = PROFILES["realize-torch"]["deadline"]  # type: ignore[assignment]

# Registered by the Hypothesis entry point already; again here for an environment
# where entry points are disabled or realize is imported from a source tree.
_realize_hooks.register_profiles()


def load_profile(name: str | None = None) -> settings:
    """Load one of ``PROFILES`` and return its settings.

    ``name`` is ``"torch"`` or ``"torch-ci"`` (the ``realize-`` prefix is optional);
    ``None`` picks ``torch-ci`` when the ``CI`` environment variable is set and not
    empty, ``0``, ``false``, ``no`` or ``off``, else ``torch``.

    >>> from realize.strategies import load_profile
    >>> load_profile("torch-ci").derandomize
    True
    """
    if name is None:
        name = "torch-ci" if _realize_hooks.ci_flag() else "torch"
    full = name if name.startswith("realize-") else f"realize-{name}"
    if full not in PROFILES:
        from hypothesis.errors import InvalidArgument

        raise InvalidArgument(
            f"name={name!r} is not a realize profile; use one of "
            f"{', '.join(repr(n.removeprefix('realize-')) for n in PROFILES)}"
        )
    settings.load_profile(full)
    return settings.get_profile(full)
