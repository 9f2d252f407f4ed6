"""Run a callback once a module has been imported, without importing it ourselves.

``import realize`` must stay cheap, but two of its registrations target heavy
subsystems: the Inductor lowering (``torch._inductor.lowering``, ~2-3 s to
import) and the DTensor sharding rule (``torch.distributed.tensor``, ~1 s).
Both only matter once the user's program has imported those modules itself,
so :func:`when_imported` defers each registration to that moment: at once if
the module is already in ``sys.modules``, else from a one-shot finder on
``sys.meta_path`` that wraps the module's loader and runs the callback right
after the module body has executed.

Standard library only (``importlib``); no PyTorch internals are touched here.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
import types
from collections.abc import Callable, Sequence

__all__ = ["when_imported"]

_Callback = Callable[[types.ModuleType], None]

_lock = threading.RLock()
_pending: dict[str, list[_Callback]] = {}


def when_imported(name: str, callback: _Callback) -> None:
    """Call ``callback(module)`` once module ``name`` is imported (now if it already is).

    Exceptions raised by the callback propagate to the importer; callbacks that
    must never break an import should catch their own errors.
    """
    with _lock:
        module = sys.modules.get(name)
        if module is None:
            _pending.setdefault(name, []).append(callback)
            if _FINDER not in sys.meta_path:
                sys.meta_path.insert(0, _FINDER)
            return
    callback(module)


def _run_callbacks(module: types.ModuleType) -> None:
    with _lock:
        callbacks = _pending.pop(module.__name__, [])
        if not _pending and _FINDER in sys.meta_path:
            sys.meta_path.remove(_FINDER)
    for callback in callbacks:
        callback(module)


class _PostImportFinder(importlib.abc.MetaPathFinder):
    """Finds nothing itself; patches the real loader of a watched module."""

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
            spec = find_spec(fullname, path, target)
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
