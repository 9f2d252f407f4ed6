"""Applying the known-bug table to one test: set matching failures aside, count, judge.

A :class:`Recorder` lives for one test (the plugin keeps it in the test item's
stash). Around each example, :meth:`Recorder.checking` sets aside a failure that
an applicable entry of ``known_bugs.KNOWN_BUGS`` explains, or re-raises it with
the entry named; after the test, :meth:`Recorder.verdict` says whether the test
is an expected failure or a strict XPASS (see ``known_bugs``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch

from realize.harness.known_bugs import KNOWN_BUGS, Context, KnownBug, applicable

__all__ = ["MODES", "Recorder", "check_mode"]

MODES = ("auto", "xfail", "fail")


def check_mode(mode: str) -> str:
    """``mode`` as given to ``--realize-known-bugs``, validated; ValueError names the problem."""
    if mode not in MODES and not mode.startswith("fail="):
        raise ValueError(
            f"--realize-known-bugs={mode!r} is not auto, xfail, fail or fail=NAME[,NAME]"
        )
    names = {b.name for b in KNOWN_BUGS}
    unknown = set(mode.removeprefix("fail=").split(",")) - names if "=" in mode else set()
    if unknown:
        raise ValueError(
            f"--realize-known-bugs={mode!r}: no known bug {sorted(unknown)}; "
            f"known: {', '.join(sorted(names))}"
        )
    return mode


@dataclass
class Recorder:
    """Per test: how often each entry's inputs failed and passed.

    ``mode``: ``"xfail"``, ``"fail"``, ``"fail=NAME,NAME"`` (fail those, xfail the
    rest) or ``"off"`` (the table is not consulted at all).
    """

    mode: str = "xfail"
    failed: dict[str, int] = field(default_factory=dict)
    passed: dict[str, int] = field(default_factory=dict)

    def sets_aside(self, bug: KnownBug) -> bool:
        """Whether a failure explained by ``bug`` is an expected failure (else it fails)."""
        if self.mode.startswith("fail="):
            return bug.name not in self.mode.removeprefix("fail=").split(",")
        return self.mode == "xfail"

    @contextlib.contextmanager
    def checking(self, context: Context) -> Iterator[None]:
        """Around one example: set aside a failure that a known bug explains."""
        __tracebackhide__ = True
        if self.mode == "off":
            yield
            return
        bugs = applicable(context)
        try:
            yield
        except AssertionError as e:
            text = str(e)
            bug = next((b for b in bugs if re.search(b.message, text)), None)
            if bug is None:
                raise
            if self.sets_aside(bug):
                self.failed[bug.name] = self.failed.get(bug.name, 0) + 1
                return
            raise type(e)(
                f"{text}\n\nThis is {bug.kind} {bug.name}: {bug.summary} ({bug.issue})"
            ) from e.__cause__
        else:
            for b in bugs:
                if b.exact_for(context.target):
                    self.passed[b.name] = self.passed.get(b.name, 0) + 1

    def verdict(self) -> tuple[str, str] | None:
        """``("xfail", reason)``, ``("xpass", reason)`` or None."""
        hit = [b for b in KNOWN_BUGS if self.failed.get(b.name)]
        if hit:
            return "xfail", "; ".join(
                f"{b.kind} {b.name} ({b.issue}) on {self.failed[b.name]} input(s): {b.summary}"
                for b in hit
            )
        fixed = [b for b in KNOWN_BUGS if b.exact and self.passed.get(b.name)]
        if fixed:
            return "xpass", "; ".join(
                f"known bug {b.name} did not reproduce on any of {self.passed[b.name]} matching "
                f"input(s) with torch {torch.__version__}: fixed? narrow affected="
                f"{b.affected!r} in realize/harness/known_bugs.py ({b.issue})"
                for b in fixed
            )
        return None
