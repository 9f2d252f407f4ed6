"""Which devices a run tests: ``--realize-device``/``--device``, else every present one.

``cuda`` means every ``cuda:N``; a requested device that is absent stays in the
list as ``missing``, so its tests are skipped with the reason named rather than
silently not run. ``meta`` is always present.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["DeviceSelection", "select"]


@dataclass(frozen=True)
class DeviceSelection:
    present: tuple[str, ...]  # selected and present: tested
    missing: tuple[str, ...]  # selected but absent: skipped with a reason
    explicit: bool  # chosen on the command line (or REALIZE_DEVICES), not by default


def _checked(name: str, source: str) -> str:
    """A torch device string, else ``ValueError`` naming it: a typo (``gpu``) is not an
    absent device to skip, it would silently test nothing."""
    import torch

    try:
        torch.device(name)
    except (RuntimeError, ValueError):
        raise ValueError(
            f"{source}: {name!r} is not a torch device; use e.g. cpu, cuda, cuda:1, mps or meta"
        ) from None
    return name


def _expand(requested: Iterable[str], present: list[str], source: str) -> list[str]:
    out: list[str] = []
    for item in requested:
        for name in (s.strip() for s in item.split(",")):
            if not name:
                continue
            _checked(name, source)
            if name == "cuda":
                cudas = [d for d in present if d.startswith("cuda:")]
                out += cudas or ["cuda"]
            elif name == "mps:0":
                out.append("mps")
            else:
                out.append(name)
    return list(dict.fromkeys(out))


def select(requested: Iterable[str], environment: str | None = None) -> DeviceSelection:
    """The devices of ``--device`` values (each may be comma separated), else of
    ``environment`` (``REALIZE_DEVICES``), else every device present plus ``meta``."""
    from realize.strategies._devices import present_devices

    present = [str(d) for d in present_devices(allow_meta=True)]
    wanted = _expand(requested, present, "--realize-device")
    if not wanted and environment:
        wanted = _expand([environment], present, "REALIZE_DEVICES")
    if not wanted:
        return DeviceSelection(tuple(present), (), explicit=False)
    return DeviceSelection(
        tuple(d for d in wanted if d in present),
        tuple(d for d in wanted if d not in present),
        explicit=True,
    )
