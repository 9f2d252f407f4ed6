"""realize's import-time hooks: standard library only, safe to import anywhere.

Two things must happen at import time without costing a torch import:

* **Hypothesis's entry point** (``hypothesis_setup_hook``, named in
  ``[project.entry-points.hypothesis]``): Hypothesis calls it on ``import
  hypothesis`` in every environment where realize is installed. It registers
  ``st.from_type(torch.Tensor)`` and torch's RNG -- at once if torch is already
  imported, else right after the user's program imports torch.
* **Deferred registrations** (:func:`when_imported`): realize's Inductor
  lowering and DTensor sharding rule target modules that take seconds to
  import, so they run when the user's program imports those modules.
* **Settings profiles** (:func:`register_profiles`): registering a Hypothesis
  profile needs no torch, so the entry point registers realize's profiles by
  name in every project that has realize installed, and
  ``--hypothesis-profile=realize-torch-ci`` works without importing anything.

This module is top level, under a name no other project uses, so that
Hypothesis's entry-point loader (which does not catch errors) can never pick up
somebody else's module; it must not import ``realize`` (that imports torch).

A hook never breaks the importer: whatever a callback raises is caught, reported
once as a ``RuntimeWarning`` that says what failed and what still works, and
kept in :func:`failures`.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import threading
import types
import warnings
from collections.abc import Callable, Sequence

__all__ = [
    "HARNESS_PROFILES",
    "TORCH_PROFILES",
    "ci_flag",
    "failures",
    "hypothesis_setup_hook",
    "profile_settings",
    "register_profiles",
    "when_imported",
]

Callback = Callable[[types.ModuleType], None]

_lock = threading.RLock()
_pending: dict[str, list[Callback]] = {}
_failures: dict[str, str] = {}


def failures() -> dict[str, str]:
    """``{what: repr(error)}`` for every hook callback that raised, in this process."""
    return dict(_failures)


def when_imported(name: str, callback: Callback, *, what: str, fallback: str) -> None:
    """Call ``callback(module)`` once module ``name`` is imported (now if it already is).

    ``what`` names the registration ("the Inductor lowering of realize::realize")
    and ``fallback`` says what still works if it fails; both go into the warning.
    The callback's exceptions never reach the importer.
    """
    with _lock:
        module = sys.modules.get(name)
        if module is None:
            _pending.setdefault(name, []).append(_guarded(callback, what, fallback))
            if _FINDER not in sys.meta_path:
                sys.meta_path.insert(0, _FINDER)
            return
    _guarded(callback, what, fallback)(module)


def _guarded(callback: Callback, what: str, fallback: str) -> Callback:
    def run(module: types.ModuleType) -> None:
        try:
            callback(module)
        except KeyboardInterrupt:  # the user's own interrupt: let it through
            raise
        except BaseException as err:  # whatever else, never break the user's import
            _failures[what] = repr(err)
            warnings.warn(
                f"realize: {what} failed on import of {module.__name__} ({err!r}); "
                f"{fallback} Please report this with your torch version.",
                RuntimeWarning,
                stacklevel=2,
            )

    return run


def _run_callbacks(module: types.ModuleType) -> None:
    with _lock:
        callbacks = _pending.pop(module.__name__, [])
        if not _pending and _FINDER in sys.meta_path:
            sys.meta_path.remove(_FINDER)
    for callback in callbacks:
        callback(module)


class _PostImportFinder(importlib.abc.MetaPathFinder):
    """Finds nothing itself; wraps the real loader of a watched module."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _pending:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            find_spec = getattr(finder, "find_spec", None)
            if find_spec is None:
                continue
            try:
                spec = find_spec(fullname, path, target)
            except Exception:  # another finder's problem: let the import machinery see it
                return None
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        exec_module = getattr(loader, "exec_module", None)
        if loader is None or exec_module is None:
            return None  # an old-style loader: the callback will not run, nothing breaks

        def exec_and_notify(module: types.ModuleType) -> None:
            exec_module(module)
            _run_callbacks(module)

        # The loader instance belongs to this one spec (``FileFinder`` makes a
        # new one per module), so shadowing its method is local to this import.
        loader.exec_module = exec_and_notify  # type: ignore[method-assign]
        return spec


_FINDER = _PostImportFinder()


def _register_strategies(_torch: types.ModuleType) -> None:
    from realize.strategies._registration import register

    register()


# --- settings profiles ---------------------------------------------------------------

#: For test suites of torch code (``realize.strategies.load_profile``).
TORCH_PROFILES = ("realize-torch", "realize-torch-ci")
#: For the property harness (``realize.harness``): quick, CI and thorough runs.
HARNESS_PROFILES = ("realize-dev", "realize-ci", "realize-thorough")


def ci_flag(environ: dict[str, str] | None = None) -> bool:
    """Whether ``CI`` is set to something other than empty, 0, false, no or off.

    The one reading of ``CI`` for every realize profile choice.
    """
    value = (os.environ if environ is None else environ).get("CI", "")
    return value.strip().lower() not in ("", "0", "false", "no", "off")


def profile_settings() -> dict[str, dict[str, object]]:
    """Profile name -> settings keywords, on top of Hypothesis's defaults.

    The torch profiles allow 2 s per example: the first call of a torch op pays lazy
    initialisation (about 0.6 s on a CPU, more for a GPU's first kernel or a
    compile), which Hypothesis's 200 ms default reports as ``DeadlineExceeded``.
    The harness profiles have no deadline at all: under ``--realize-compile`` every
    new dtype, layout or shape is a compilation of seconds. The CI variants are
    derandomized (the same examples every run) and keep no example database.
    """
    from datetime import timedelta

    from hypothesis import HealthCheck

    large = [HealthCheck.too_slow, HealthCheck.data_too_large]
    ci = {"derandomize": True, "database": None, "print_blob": True}
    torch_ = {"deadline": timedelta(seconds=2), "suppress_health_check": large}
    return {
        "realize-torch": torch_,
        "realize-torch-ci": {**torch_, **ci},
        "realize-dev": {"max_examples": 20, "deadline": None, "suppress_health_check": large},
        "realize-ci": {
            "max_examples": 200,
            "deadline": None,
            "suppress_health_check": large,
            **ci,
        },
        "realize-thorough": {
            "max_examples": 1000,
            "deadline": None,
            "suppress_health_check": large,
        },
    }


def register_profiles() -> None:
    """Register every realize profile, on Hypothesis's own defaults.

    On ``settings.get_profile("default")``, not on whatever profile is loaded at
    the time (``register_profile``'s default parent): the same name means the
    same settings everywhere.
    """
    from hypothesis import settings

    default = settings.get_profile("default")
    for name, kwargs in profile_settings().items():
        settings.register_profile(name, parent=default, **kwargs)  # type: ignore[arg-type]


def hypothesis_setup_hook() -> None:
    """Hypothesis's entry point: realize's profiles now, torch strategies once torch is imported."""
    try:
        register_profiles()
    except Exception as err:  # pragma: no cover - must never break `import hypothesis`
        warnings.warn(
            f"realize: registering its Hypothesis profiles failed ({err!r}); "
            "realize.strategies.load_profile() registers them again when called.",
            RuntimeWarning,
            stacklevel=2,
        )
    try:
        if "torch" not in sys.modules and importlib.util.find_spec("torch") is None:
            return  # Hypothesis without torch: nothing to register
        when_imported(
            "torch",
            _register_strategies,
            what="registering st.from_type(torch.Tensor) and torch's RNG with Hypothesis",
            fallback="realize.strategies.tensors() and the rest still work when called directly.",
        )
    except Exception as err:  # pragma: no cover - must never break `import hypothesis`
        warnings.warn(f"realize's Hypothesis plugin failed: {err!r}", RuntimeWarning, stacklevel=2)
