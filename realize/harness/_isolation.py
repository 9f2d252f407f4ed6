"""``--realize-isolate``: properties run in a child process, so a crash fails one check.

A target that aborts or segfaults on some input would take pytest down with
it. Under ``--realize-isolate`` the checks run in a long-lived child process
(``realize.harness._worker``): the parent draws the input (Hypothesis stays in
the parent, and shrinks as usual), sends it over, and gets back "ok" or the
failure. When the child dies, the check fails with :class:`TargetCrashed` --
the property, the signal, the input and a snippet that reproduces it, plus the
last lines the child wrote (``faulthandler``'s stack) -- and the next check
starts a new child.

The child is a fresh interpreter (``subprocess``), so CUDA initialises there as
in any process; it is a fork server (``_worker``), so a crash costs a fork, not a
new interpreter. Isolation costs one start-up per run (an ``import torch``,
about 2 s) and a copy of each input through a pipe; compiled graphs live in the
serving child across examples, as they do in process.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

from realize.harness._inputs import Case
from realize.harness._properties import PROPERTIES
from realize.harness._targets import Target
from realize.harness._transfer import pack
from realize.harness._worker import read_message, write_message
from realize.testing import NotCompiled, TargetRaised
from realize.testing._report import Report, recorded

__all__ = ["IsolatedError", "IsolatedWorker", "TargetCrashed"]

#: Lines of the child's stderr quoted in a crash report.
LOG_LINES = 30


class TargetCrashed(AssertionError):
    """The child process died while checking a property: the target crashed on the input."""


class IsolatedError(RuntimeError):
    """The child raised something other than an assertion (an error of the harness or setup)."""


_REPLIED = {"AssertionError": AssertionError, "TargetRaised": TargetRaised}


class IsolatedWorker:
    """The parent's handle on the child process; started on first use, restarted after a crash."""

    def __init__(self, log_dir: str | os.PathLike[str] | None = None) -> None:
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="realize-isolate-"))
        self.starts = 0
        self.crashes = 0
        self._log_offset = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"worker-{self.starts}.log"

    def _start(self) -> subprocess.Popen[bytes]:
        self.starts += 1
        self._log_offset = 0
        if self._log is not None:
            self._log.close()
        self._log = open(self.log_path, "wb")  # noqa: SIM115  (kept open for the child's life)
        process = subprocess.Popen(
            [sys.executable, "-m", "realize.harness._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        self._process = process
        self._send(("init", list(sys.path)))
        reply = self._receive()
        if reply != ("ok",):
            raise IsolatedError(f"the isolated worker did not start: {self._log_tail()}")
        return process

    def _send(self, message: tuple[Any, ...]) -> None:
        assert self._process is not None and self._process.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # the child is gone: _receive tells
            write_message(self._process.stdin, message)

    def _receive(self) -> tuple[Any, ...] | None:
        assert self._process is not None and self._process.stdout is not None
        return read_message(self._process.stdout)

    def reset(self) -> None:
        """Forget compiled graphs in the child (between tests), if it runs."""
        if self._process is not None and self._process.poll() is None:
            self._send(("reset",))
            self._receive()

    def run(self, target: Target, prop: str, case: Case) -> None:
        """Check ``prop`` of ``target`` on ``case`` in the child; raise as the check would."""
        __tracebackhide__ = True
        if self._process is None or self._process.poll() is not None:
            self._start()
        self._log_offset = self.log_path.stat().st_size
        fields = (target.spec, target.name, target.backend, target.dynamic)
        self._send(("run", fields, prop, tuple(pack(t) for t in case.args), case.params))
        reply = self._receive()
        if reply is None:  # the whole worker died (no fork server here): restart next time
            assert self._process is not None
            code = self._process.wait()
            self._process = None
            self._crashed(target, prop, case, code)
        if reply[0] == "crashed":  # type: ignore[index]
            self._crashed(target, prop, case, reply[1])  # type: ignore[index]
        if reply[0] == "ok":  # type: ignore[index]
            return
        kind, name, text = reply  # type: ignore[misc]
        if kind == "assertion":
            raise _REPLIED.get(name, AssertionError)(text)
        if kind == "error" and name == "NotCompiled":
            raise NotCompiled(text)
        if kind == "error":
            raise IsolatedError(f"{name} in the isolated worker:\n{text}")

    def _crashed(self, target: Target, prop: str, case: Case, code: int) -> None:
        __tracebackhide__ = True
        self.crashes += 1
        how = f"exit code {code}"
        if code < 0:
            with contextlib.suppress(ValueError):
                how = f"{signal.Signals(-code).name}, exit code {code}"
        report = Report(PROPERTIES[prop].title, target.call)
        report.fail("call", f"crashed the process ({how})", "a result")
        report.details.append(f"what the child wrote ({self.log_path}):\n{self._log_tail()}")
        names = ["x", "v", "w"]
        tensors = [recorded(names[i], t) for i, t in enumerate(case.args) if t is not None]
        shown = ", ".join(n for n, t in zip(names, case.args, strict=False) if t is not None)
        params = "".join(f", {k}={v!r}" for k, v in case.params.items())
        reproduce = [
            "import realize.harness",
            f"realize.harness.check({prop!r}, {target.call.expression}, {shown}{params})",
        ]
        try:
            report.raise_if_failed(tensors, reproduce)
        except AssertionError as e:
            raise TargetCrashed(str(e)) from None

    def _log_tail(self) -> str:
        """The last lines the child wrote during the current request."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self._log_offset)
                lines = log.read().decode(errors="replace").splitlines()
        except OSError:
            return "    (no log)"
        return "\n".join(f"    {line}" for line in lines[-LOG_LINES:]) or "    (nothing)"

    def close(self) -> None:
        """Stop the child (end of the run); its logs stay only if it ever crashed."""
        process, self._process = self._process, None
        if process is None:
            self._clean()
            return
        with contextlib.suppress(OSError):
            assert process.stdin is not None
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if self._log is not None:
            self._log.close()
        self._clean()

    def _clean(self) -> None:
        if not self.crashes:
            shutil.rmtree(self.log_dir, ignore_errors=True)
