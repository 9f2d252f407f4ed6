"""What realize registers with Hypothesis: ``st.from_type`` for torch types, torch's RNG.

Called by the entry point ``_realize_hooks.hypothesis_setup_hook`` once torch is
imported (Hypothesis runs the entry point on ``import hypothesis`` wherever realize
is installed; that module stays standard-library-only until torch is imported).
"""

from __future__ import annotations

from typing import Any

__all__ = ["UNCOMMON_DTYPE_NAMES", "TorchRandom", "register", "uncommon_dtypes"]

#: Left out of ``st.from_type(torch.Tensor)``: dtypes that many common ops reject (no
#: arithmetic kernels on CPU, or barely any), besides every float8 dtype. Opt in by
#: drawing from ``tensors()`` / ``dtypes()`` directly, which cover everything.
UNCOMMON_DTYPE_NAMES = ("complex32", "uint16", "uint32", "uint64")


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


def uncommon_dtypes() -> tuple[Any, ...]:
    """The dtypes ``st.from_type(torch.Tensor)`` never draws (those of this torch)."""
    import torch

    from realize.strategies._dtypes import kind_of, supported_dtypes

    named = {getattr(torch, n, None) for n in UNCOMMON_DTYPE_NAMES}
    return tuple(d for d in supported_dtypes("meta") if d in named or kind_of(d) == "float8")


def _tensors_for(_: type) -> Any:
    from realize._hypothesis_internals import StrategyBase

    class CommonTensors(StrategyBase):  # type: ignore[type-arg]
        """``tensors()`` on a drawn device, of the dtypes common ops accept there."""

        def __init__(self) -> None:
            super().__init__()
            self._per_device: dict[Any, Any] = {}

        def __repr__(self) -> str:
            return "tensors(dtype=dtypes(device=d, exclude=uncommon_dtypes()), device=d)"

        def do_draw(self, data: Any) -> Any:
            from realize.strategies._devices import devices
            from realize.strategies._dtypes import dtypes
            from realize.strategies._tensors import tensors

            device = data.draw(devices())
            strategy = self._per_device.get(device)
            if strategy is None:
                exclude = uncommon_dtypes()
                strategy = tensors(dtypes(device=device, exclude=exclude), device=device)
                self._per_device[device] = strategy
            return data.draw(strategy)

    return CommonTensors()


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
