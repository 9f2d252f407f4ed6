"""What realize registers with Hypothesis: ``st.from_type`` for torch types, torch's RNG.

Called by the entry point ``_realize_hooks.hypothesis_setup_hook`` once torch is
imported (Hypothesis runs the entry point on ``import hypothesis`` wherever realize
is installed; that module stays standard-library-only until torch is imported).
"""

from __future__ import annotations

from typing import Any

__all__ = ["TorchRandom", "register"]


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
    from realize.strategies._tensors import tensors

    return tensors()


def _dtypes_for(_: type) -> Any:
    from realize.strategies._dtypes import dtypes

    return dtypes()


def _devices_for(_: type) -> Any:
    from realize.strategies._devices import devices

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
