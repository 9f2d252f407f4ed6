"""The ``hypothesis`` entry point: ``st.from_type`` for torch types, torch's RNG.

Hypothesis runs ``_hypothesis_setup_hook`` on ``import hypothesis`` in every
project where this package is installed (``[project.entry-points.hypothesis]`` in
pyproject.toml). Two rules follow:

* it never raises, since a failure here would break ``import hypothesis``;
* it does not import torch (seconds) for projects that use Hypothesis without it:
  when torch is already imported it registers at once, otherwise it registers
  right after torch's own import finishes, through a one-shot import hook.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType
from typing import Any

__all__ = ["TorchRandom", "_hypothesis_setup_hook"]


class TorchRandom:
    """torch's global RNG with the ``random.Random`` interface Hypothesis manages.

    Hypothesis seeds every registered RNG (to 0) before each example and restores
    its state afterwards, so code under test that calls ``torch.rand`` replays.
    CUDA generators are saved and restored too once CUDA is initialised
    (checking never initialises it).
    """

    def seed(self, seed: int) -> None:
        import torch

        # Not torch.manual_seed: with CUDA not yet initialised it queues a lazy
        # seeding call that records a traceback (milliseconds), for every example
        # of every Hypothesis test in the environment.
        torch.random.default_generator.manual_seed(seed)
        if torch.cuda.is_initialized():
            torch.cuda.manual_seed_all(seed)

    def getstate(self) -> tuple[Any, Any]:
        import torch

        cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
        return torch.random.get_rng_state(), cuda

    def setstate(self, state: tuple[Any, Any]) -> None:
        import torch

        cpu, cuda = state
        torch.random.set_rng_state(cpu)
        if cuda is not None and torch.cuda.is_initialized():
            torch.cuda.set_rng_state_all(cuda)


# Hypothesis keeps only a weak reference to registered RNGs: keep this one alive.
_TORCH_RANDOM = TorchRandom()
_registered = False


def _tensors_for(_: type) -> Any:
    from strategies._tensors import tensors

    return tensors()


def _dtypes_for(_: type) -> Any:
    from strategies._dtypes import dtypes

    return dtypes()


def _devices_for(_: type) -> Any:
    from strategies._devices import devices

    return devices()


def register() -> None:
    """Register ``tensors()``, ``dtypes()``, ``devices()`` and the RNG (idempotent).

    The strategies are registered as functions, resolved by ``st.from_type`` at
    first use: this may run while ``strategies._tensors`` is itself being imported
    (it imports hypothesis, which runs this hook), so nothing of this package is
    imported here.
    """
    global _registered
    if _registered:
        return
    import torch
    from hypothesis import register_random
    from hypothesis import strategies as st

    st.register_type_strategy(torch.Tensor, _tensors_for)
    st.register_type_strategy(torch.dtype, _dtypes_for)
    st.register_type_strategy(torch.device, _devices_for)
    register_random(_TORCH_RANDOM)
    _registered = True


def _safe_register() -> None:
    try:
        register()
    except Exception as err:  # pragma: no cover - must never break an import
        warnings.warn(
            f"realize's Hypothesis plugin could not register torch strategies: {err!r}",
            stacklevel=2,
        )


class _RegisterAfterLoading(importlib.abc.Loader):
    """Delegates to torch's loader, then registers once the module has executed."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        _safe_register()

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, get_source, ...
        return getattr(self._loader, name)


class _TorchImportHook(importlib.abc.MetaPathFinder):
    """One-shot finder: the first ``import torch`` gets the wrapping loader."""

    def find_spec(
        self, fullname: str, path: Any = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "torch":
            return None
        _remove_hook()
        spec = importlib.util.find_spec("torch")
        if spec is not None and spec.loader is not None:
            spec.loader = _RegisterAfterLoading(spec.loader)
        return spec


_HOOK = _TorchImportHook()


def _remove_hook() -> None:
    while _HOOK in sys.meta_path:
        sys.meta_path.remove(_HOOK)


def _hypothesis_setup_hook() -> None:
    """Register now if torch is imported, else right after it is; never raise."""
    try:
        if "torch" in sys.modules:
            _safe_register()
        elif importlib.util.find_spec("torch") is not None and _HOOK not in sys.meta_path:
            sys.meta_path.insert(0, _HOOK)
    except Exception as err:  # pragma: no cover - must never break `import hypothesis`
        warnings.warn(f"realize's Hypothesis plugin failed: {err!r}", stacklevel=2)
