"""A flight recorder: what the harness was about to check, written down before each check.

A target that aborts or segfaults takes the process (and its pytest report)
with it. Before each check the harness writes the test id, the property, the
call and the input description to ``DIRECTORY/<worker>.txt``; a crash leaves
that file behind. Under pytest-xdist, which replaces a crashed worker, the
plugin attaches the dead worker's record to the crash report; without xdist the
report header names the directory (and ``--realize-isolate`` turns crashes into
ordinary failures instead).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FlightRecorder"]


@dataclass(frozen=True)
class FlightRecorder:
    """The record file of one process: ``worker`` is the xdist id (``gw0``) or ``main``."""

    directory: Path
    worker: str = "main"
    _fd: list[int] = field(default_factory=list, compare=False, repr=False)

    @property
    def path(self) -> Path:
        return self.directory / f"{self.worker}.txt"

    def record(self, test: str, check: str, call: str, inputs: Sequence[tuple[str, str]]) -> None:
        """Overwrite this process's record."""
        lines = [f"test: {test}", f"property: {check}", f"call: {call}"]
        lines += [f"input {name}: {desc}" for name, desc in inputs]
        data = ("\n".join(lines) + "\n").encode()
        # Unbuffered writes into the kernel's page cache: what was written survives an
        # abort of this process. One descriptor for the run (opening per record costs).
        if not self._fd:
            self._fd.append(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
        os.pwrite(self._fd[0], data, 0)
        os.ftruncate(self._fd[0], len(data))

    def close(self) -> None:
        while self._fd:
            os.close(self._fd.pop())

    def read(self) -> dict[str, str]:
        """The last record as ``{"test": ..., "property": ..., ...}``; {} if none."""
        try:
            text = self.path.read_text()
        except OSError:
            return {}
        out: dict[str, str] = {}
        for line in text.splitlines():
            key, sep, value = line.partition(": ")
            if sep:
                out[key] = value
        return out
