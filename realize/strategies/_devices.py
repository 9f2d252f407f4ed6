"""Devices: discovered lazily, restricted by ``REALIZE_DEVICES``, checked when named.

Discovery happens at the first draw, never at import, so importing this package
does not initialise CUDA (``torch.cuda.device_count()`` does not create a context).
The default set is cpu, every ``cuda:N``, ``mps``, and the devices of any other
accelerator torch reports through ``torch.accelerator``. ``meta`` is only drawn
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

from realize.strategies._draw import draw_integer
from realize.strategies._validation import check_bool

__all__ = [
    "ENV_VAR",
    "DeviceStrategy",
    "available_devices",
    "check_device",
    "devices",
    "is_available",
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


def _discover() -> tuple[torch.device, ...]:
    found = [torch.device("cpu")]
    found += [torch.device("cuda", i) for i in range(_count("cuda"))]
    if _count("mps"):
        found.append(torch.device("mps"))
    accelerator = getattr(torch, "accelerator", None)
    if accelerator is not None and accelerator.is_available():
        current = accelerator.current_accelerator()
        if current is not None and current.type not in ("cuda", "mps", "cpu"):
            found += [torch.device(current.type, i) for i in range(_count(current.type))]
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
                f"process (available: {', '.join(map(str, _discover()))}). "
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
    found = _from_env(env) if env else _discover()
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
            f"{', '.join(map(str, _discover()))}, meta). Draw from devices() to use "
            "whatever is present, or skip the test when the device is missing."
        )
    return dev


class DeviceStrategy(SearchStrategy[torch.device]):
    """Draws one of ``available_devices()``, computed at the first draw."""

    def __init__(self, allow_meta: bool) -> None:
        super().__init__()
        self._allow_meta = allow_meta
        self._choices: tuple[torch.device, ...] | None = None

    def __repr__(self) -> str:
        return "devices(allow_meta=True)" if self._allow_meta else "devices()"

    def do_validate(self) -> None:
        check_bool(self._allow_meta, "allow_meta")
        self.choices()

    def choices(self) -> tuple[torch.device, ...]:
        if self._choices is None:
            self._choices = available_devices(allow_meta=self._allow_meta)
        return self._choices

    def do_draw(self, data: Any) -> torch.device:
        choices = self.choices()
        if len(choices) == 1:
            return choices[0]
        return choices[draw_integer(data, 0, len(choices) - 1)]


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
