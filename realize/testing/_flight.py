"""A flight recorder: what the harness was about to call, written down before each call.

A target that aborts or segfaults takes the process (and its pytest report)
with it. With ``REALIZE_FLIGHT_RECORDER=DIR`` set (the harness sets it), every
check writes the test id, the property and the input description to
``DIR/<worker>.txt`` just before it calls the target; a crash leaves that file
behind, and the harness (under pytest-xdist, which replaces a crashed worker)
attaches it to the crash report. Unset, recording costs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

__all__ = ["ENV", "path_for", "read", "record"]

ENV = "REALIZE_FLIGHT_RECORDER"


def path_for(directory: str | os.PathLike[str], worker: str) -> Path:
    """The record file of one process: ``worker`` is the xdist id (``gw0``) or ``main``."""
    return Path(directory) / f"{worker}.txt"


def record(check: str, call: str, inputs: Sequence[tuple[str, str]]) -> None:
    """Overwrite this process's record (no-op unless ``REALIZE_FLIGHT_RECORDER`` is set)."""
    directory = os.environ.get(ENV)
    if not directory:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" (", 1)[0]
    lines = [f"test: {test}", f"property: {check}", f"call: {call}"]
    lines += [f"input {name}: {desc}" for name, desc in inputs]
    # os.write, no buffering: what was written survives an abort of this process.
    fd = os.open(path_for(directory, worker), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, ("\n".join(lines) + "\n").encode())
    finally:
        os.close(fd)


def read(directory: str | os.PathLike[str], worker: str) -> dict[str, str]:
    """The last record of ``worker`` as ``{"test": ..., "property": ..., ...}``; {} if none."""
    try:
        text = path_for(directory, worker).read_text()
    except OSError:
        return {}
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            out[key] = value
    return out
