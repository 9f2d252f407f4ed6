"""Devices: discovered lazily, restricted by ``REALIZE_DEVICES``, checked when named.

Discovery happens at the first draw, never at import, so importing this package
does not initialise CUDA (``torch.cuda.device_count()`` does not create a context).
The default set is cpu, every ``cuda:N``, ``mps``, and the devices of any other
accelerator (``torch.accelerator``, or ``torch.xpu`` on older torch). ``meta`` is only drawn
when asked for. The environment variable ``REALIZE_DEVICES`` (a comma-separated
list such as ``cpu,cuda:0``) replaces the default set; the root ``conftest.py``
sets it from ``pytest --device``.
"""

from __future__ import annotations

import os
from typing import Any

import torch
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from realize._hypothesis_internals import draw_choice
from realize.strategies._resolving import ResolvingStrategy
from realize.strategies._validation import check_bool

__all__ = [
    "ENV_VAR",
    "DeviceStrategy",
    "available_devices",
    "check_device",
    "devices",
    "is_available",
    "present_devices",
]

ENV_VAR = "REALIZE_DEVICES"


def _count(device_type: str) -> int:
    """How many devices of ``device_type`` exist; 0 when the backend is absent."""
    if device_type in ("cpu", "meta"):
        return 1
    if device_type == "cuda":
        return torch.cuda.device_count() if torch.cuda.is_available() else 0
    if device_type == "mps":
        mps = getattr(torch.backends, "mps", None)
        return 1 if mps is not None and mps.is_available() else 0
    accelerator = getattr(torch, "accelerator", None)  # torch >= 2.6
    if accelerator is not None and accelerator.is_available():
        current = accelerator.current_accelerator()
        if current is not None and current.type == device_type:
            return int(accelerator.device_count())
    module = getattr(torch, device_type, None)  # e.g. torch.xpu on older torch
    if module is not None and hasattr(module, "is_available") and module.is_available():
        return int(module.device_count()) if hasattr(module, "device_count") else 1
    return 0


def is_available(device: torch.device | str) -> bool:
    """Whether tensors can be created on ``device`` in this process."""
    dev = torch.device(device)
    n = _count(dev.type)
    return n > 0 and (dev.index is None or dev.index < n)


# Backends found through ``torch.<type>.is_available()`` as well as through
# ``torch.accelerator`` (which older torch lacks); cuda and mps have their own checks.
_OTHER_BACKENDS = ("xpu",)


def _other_accelerators() -> list[str]:
    """Device types besides cpu, cuda and mps that are present (xpu, ...)."""
    found = []
    accelerator = getattr(torch, "accelerator", None)  # torch >= 2.6
    if accelerator is not None and accelerator.is_available():
        current = accelerator.current_accelerator()
        if current is not None:
            found.append(current.type)
    found += [t for t in _OTHER_BACKENDS if _count(t)]
    return [t for t in dict.fromkeys(found) if t not in ("cpu", "cuda", "mps")]


def present_devices(*, allow_meta: bool = False) -> tuple[torch.device, ...]:
    """Every device present in this process, whatever ``REALIZE_DEVICES`` says.

    ``cpu`` first, then ``cuda:0``, ``cuda:1``, ..., ``mps``, the devices of other
    accelerators (``xpu:0``, ...), and ``meta`` last when ``allow_meta``. The one
    device registry: ``available_devices()``, the root conftest's ``--device`` and
    the benchmarks all start from it.
    """
    found = [torch.device("cpu")]
    found += [torch.device("cuda", i) for i in range(_count("cuda"))]
    if _count("mps"):
        found.append(torch.device("mps"))
    for device_type in _other_accelerators():
        found += [torch.device(device_type, i) for i in range(_count(device_type))]
    if allow_meta:
        found.append(torch.device("meta"))
    return tuple(found)


def _from_env(value: str) -> tuple[torch.device, ...]:
    result = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            dev = torch.device(item)
        except RuntimeError as err:
            raise InvalidArgument(
                f"{ENV_VAR}={value!r} names {item!r}, which is not a torch device: {err}"
            ) from None
        if not is_available(dev):
            raise InvalidArgument(
                f"{ENV_VAR}={value!r} names {item!r}, which is not available in this "
                f"process (available: {', '.join(map(str, present_devices()))}). "
                f"Unset {ENV_VAR} or list only present devices."
            )
        result.append(dev)
    if not result:
        raise InvalidArgument(f"{ENV_VAR}={value!r} lists no device")
    return tuple(result)


def available_devices(*, allow_meta: bool = False) -> tuple[torch.device, ...]:
    """The devices drawn by default: ``REALIZE_DEVICES`` if set, else all present.

    ``cpu`` first (draws shrink towards it), then ``cuda:0``, ``cuda:1``, ...,
    then ``mps`` and other accelerators; ``meta`` last when ``allow_meta``.
    """
    env = os.environ.get(ENV_VAR, "").strip()
    found = _from_env(env) if env else present_devices()
    if allow_meta and torch.device("meta") not in found:
        found = (*found, torch.device("meta"))
    return found


def check_device(device: object, name: str = "device", *, allow_meta: bool = True) -> torch.device:
    """Normalise ``device`` and check it exists here, else ``InvalidArgument``."""
    if not isinstance(device, (str, torch.device)):
        raise InvalidArgument(
            f"Expected a torch.device or str but got {name}={device!r} "
            f"(type={type(device).__name__})"
        )
    try:
        dev = torch.device(device)
    except RuntimeError as err:
        raise InvalidArgument(f"{name}={device!r} is not a torch device: {err}") from None
    if dev.type == "meta" and not allow_meta:
        raise InvalidArgument(f"{name}={device!r}: meta tensors are not allowed here")
    if not is_available(dev):
        raise InvalidArgument(
            f"{name}={device!r} is not available in this process (available: "
            f"{', '.join(map(str, present_devices()))}, meta). Draw from devices() to use "
            "whatever is present, or skip the test when the device is missing."
        )
    return dev


class DeviceStrategy(ResolvingStrategy[torch.device, tuple[torch.device, ...]]):
    """Draws one of ``available_devices()``, computed at the first draw."""

    def __init__(self, allow_meta: bool) -> None:
        super().__init__(
            "devices", kwargs={"allow_meta": allow_meta}, defaults={"allow_meta": False}
        )

    def resolve(self) -> tuple[torch.device, ...]:
        allow_meta = check_bool(self.call_kwargs["allow_meta"], "allow_meta")
        return available_devices(allow_meta=allow_meta)

    def do_draw(self, data: Any) -> torch.device:
        return draw_choice(data, self.resolved())


def devices(*, allow_meta: bool = False) -> SearchStrategy[torch.device]:
    """Return a strategy for the ``torch.device`` values present in this process.

    * ``allow_meta`` also draws the ``meta`` device (tensors without data).

    The set is discovered at the first draw (importing never initialises CUDA):
    cpu, every ``cuda:N``, ``mps`` and other accelerators found through
    ``torch.accelerator``. Setting the environment variable ``REALIZE_DEVICES``
    (e.g. ``cpu,cuda:0``) replaces it; a device listed there that is not present
    raises ``InvalidArgument``. Examples shrink towards ``cpu``.

    .. code-block:: pycon

        >>> devices().example()
        device(type='cuda', index=0)
    """
    return DeviceStrategy(allow_meta)
