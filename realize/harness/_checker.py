"""One test's checks of one target: known bugs set aside, a flight record, isolation.

The installed tests call ``checker(prop, case)`` for each example; the
:class:`Checker` runs the property (in process, or in the isolated child under
``--realize-isolate``), writes the flight record first, and lets its
:class:`~realize.harness._recorder.Recorder` set aside failures that a known
upstream bug explains. The plugin keeps one Checker per test item in the item's
stash and reads its verdict after the test.
"""

from __future__ import annotations

import torch

from realize.harness._corpus import cases, gradcheck_cases
from realize.harness._flight import FlightRecorder
from realize.harness._inputs import Case
from realize.harness._isolation import IsolatedWorker
from realize.harness._properties import PROPERTIES, check, describe
from realize.harness._recorder import Recorder
from realize.harness._targets import Target
from realize.harness.known_bugs import Context

__all__ = ["Checker"]


class Checker:
    """Runs properties of ``target`` for one test.

    ``known_bugs``: the recorder's mode (``"xfail"``, ``"fail"``, ``"fail=NAME"``,
    ``"off"``); ``flight``: where to write what is about to run; ``isolated``: the
    child process to run checks in; ``test``: the test id for the flight record.
    """

    def __init__(
        self,
        target: Target,
        *,
        known_bugs: str = "fail",
        flight: FlightRecorder | None = None,
        isolated: IsolatedWorker | None = None,
        test: str = "",
    ) -> None:
        self.target = target
        self.recorder = Recorder(mode=known_bugs)
        self.flight = flight
        self.isolated = isolated
        self.test = test

    def __call__(self, prop: str, case: Case) -> None:
        """Check ``prop`` on ``case``; a failure a known bug explains may be set aside."""
        __tracebackhide__ = True
        property_ = PROPERTIES[prop]
        backend = property_.backend or self.target.backend
        context = Context(prop, case.x, self.target.fn, backend, property_.shows(case))
        with self.recorder.checking(context):
            if self.isolated is not None:
                self.isolated.run(self.target, prop, case)
                return
            if self.flight is not None:
                call = self.target.call("x")
                self.flight.record(self.test, property_.title, call, describe(prop, case))
            check(prop, self.target.callable, *case.args, **case.params)

    def corpus(self, prop: str, dtype: torch.dtype, device: str) -> int:
        """Check ``prop`` on every corpus case of ``dtype``; returns how many ran."""
        __tracebackhide__ = True
        named = (
            gradcheck_cases(dtype, device) if prop == "gradcheck" else cases(prop, dtype, device)
        )
        n = 0
        for name, case in named:
            try:
                self(prop, case)
            except AssertionError as e:
                raise type(e)(f"corpus case dtype={dtype}, layout={name}:\n{e}") from e.__cause__
            n += 1
        return n
