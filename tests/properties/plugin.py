"""The harness's own pytest options and hooks, loaded by the root ``conftest.py``.

- ``--realize-compile=BACKEND`` (``eager``, ``aot_eager``, ``inductor``) runs every
  property with the target under ``torch.compile(..., fullgraph=True)``, each call
  proven compiled (``realize.testing.compiled``); ``--realize-dynamic`` adds
  ``dynamic=True``. Dynamo's caches are reset before each test.
- ``--realize-known-bugs=auto|xfail|fail``: how ``known_bugs.KNOWN_BUGS`` is
  applied (see that module).
- A flight recorder (``realize.testing._flight``) writes what each check is
  about to call; under pytest-xdist, a worker that dies (abort, segfault) gets
  its crash report extended with the property and input it was running.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import settings

import tests.properties.known_bugs as known_bugs
from realize.testing import _flight
from realize.testing._compiled import BACKENDS, CompiledTarget
from realize.testing._dynamo_limits import reset

_WRAPPED = pytest.StashKey[dict[int, Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("realize", "realize property harness")
    group.addoption(
        "--realize-compile",
        default=None,
        choices=BACKENDS,
        metavar="BACKEND",
        help=f"run the properties with the target under torch.compile(backend=BACKEND, "
        f"fullgraph=True), proving every call ran compiled; one of {', '.join(BACKENDS)}",
    )
    group.addoption(
        "--realize-dynamic",
        action="store_true",
        default=False,
        help="with --realize-compile: torch.compile(dynamic=True) (default: torch's default)",
    )
    group.addoption(
        "--realize-known-bugs",
        default="auto",
        metavar="auto|xfail|fail|fail=NAME[,NAME]",
        help="known upstream PyTorch bugs (tests/properties/known_bugs.py): xfail them "
        "(strict), or fail; auto = xfail for the project's own targets, fail for "
        "an explicit --realize-target; fail=NAME,... fails only the named entries",
    )


def compile_backend(config: pytest.Config) -> str | None:
    return config.getoption("--realize-compile", None)  # type: ignore[no-any-return]


def known_bugs_mode(config: pytest.Config) -> str:
    mode: str = config.getoption("--realize-known-bugs", "auto")
    if mode not in ("auto", "xfail", "fail") and not mode.startswith("fail="):
        raise pytest.UsageError(
            f"--realize-known-bugs={mode!r} is not auto, xfail, fail or fail=NAME[,NAME]"
        )
    names = {b.name for b in known_bugs.KNOWN_BUGS}
    unknown = set(mode.removeprefix("fail=").split(",")) - names if "=" in mode else set()
    if unknown:
        raise pytest.UsageError(
            f"--realize-known-bugs={mode!r}: no known bug {sorted(unknown)}; "
            f"known: {', '.join(sorted(names))}"
        )
    if mode == "auto":
        mode = "fail" if config.getoption("--realize-target", None) else "xfail"
    return mode


def wrap_target(config: pytest.Config, target: Any, spec: str | None) -> Any:
    """The callable the properties get: named after ``spec``, compiled under --realize-compile."""
    from realize.testing import name_target

    if spec is not None:
        name_target(target, spec)
    backend = compile_backend(config)
    if backend is None:
        return target
    cache = config.stash.setdefault(_WRAPPED, {})
    if id(target) not in cache:
        dynamic = True if config.getoption("--realize-dynamic") else None
        cache[id(target)] = CompiledTarget(target, backend, dynamic)
    return cache[id(target)]


#: Under --realize-compile every new dtype, layout or shape is a compilation
#: (seconds with Inductor): the properties run a quarter of the profile's examples.
COMPILED_SHARE = 4


@pytest.hookimpl(trylast=True)  # after Hypothesis has loaded --hypothesis-profile
def pytest_configure(config: pytest.Config) -> None:
    if compile_backend(config) is not None:
        base = settings.default
        name = f"{settings._current_profile or 'default'}-compiled"
        settings.register_profile(
            name, base, max_examples=max(10, base.max_examples // COMPILED_SHARE)
        )
        settings.load_profile(name)
    config.addinivalue_line(
        "markers", "compiled: compiles with Inductor (seconds per test; see README budget)"
    )
    if not os.environ.get(_flight.ENV):
        # workers (pytest-xdist) inherit it, so the controller can read their records
        os.environ[_flight.ENV] = tempfile.mkdtemp(prefix="realize-flight-")
        config.stash[_OWN_FLIGHT] = os.environ[_flight.ENV]
    config.stash[_FLIGHT] = os.environ[_flight.ENV]


def pytest_unconfigure(config: pytest.Config) -> None:
    directory = config.stash.get(_OWN_FLIGHT, None)
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)
        if os.environ.get(_flight.ENV) == directory:
            del os.environ[_flight.ENV]


_FLIGHT = pytest.StashKey[str]()
_OWN_FLIGHT = pytest.StashKey[str]()


def pytest_report_header(config: pytest.Config) -> list[str]:
    backend = compile_backend(config)
    mode = (
        f"compiled with backend={backend!r}"
        + (", dynamic=True" if config.getoption("--realize-dynamic") else "")
        + ", every call proven compiled"
        if backend
        else "eager"
    )
    if backend:
        mode += f" (max_examples={settings.default.max_examples})"
    return [
        f"realize: mode {mode}; known upstream bugs: {known_bugs_mode(config)}",
        f"realize: flight recorder {config.stash[_FLIGHT]}",
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if compile_backend(config) is None:
        return
    skip = pytest.mark.skip(reason="opcheck tests the operator itself, not a compiled wrapper")
    for item in items:
        if item.get_closest_marker("needs_op") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _realize_known_bugs_and_dynamo(request: pytest.FixtureRequest) -> Iterator[None]:
    """A fresh known-bug recorder per test; fresh Dynamo caches per test in compiled mode."""
    known_bugs.CURRENT = known_bugs.Recorder(mode=known_bugs_mode(request.config))
    if compile_backend(request.config) is not None:
        reset()
    yield
    known_bugs.CURRENT = known_bugs.Recorder(mode="off")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.passed:
        return
    verdict = known_bugs.CURRENT.verdict()
    if verdict is None:
        return
    kind, reason = verdict
    if kind == "xfail":
        report.outcome = "skipped"
        report.wasxfail = reason
    else:
        report.outcome = "failed"
        report.longrepr = f"[XPASS(strict)] {reason}"


@pytest.hookimpl(optionalhook=True)
def pytest_handlecrashitem(crashitem: str, report: Any, sched: Any) -> None:
    """pytest-xdist: a worker died running ``crashitem``; say what it was calling."""
    node = getattr(report, "node", None)
    worker = getattr(getattr(node, "gateway", None), "id", None)
    directory = os.environ.get(_flight.ENV)
    if not worker or not directory:
        return
    record = _flight.read(directory, worker)
    if record.get("test") != crashitem:
        return  # the record is of an earlier test: the crash was not in a target call
    lines = [
        "",
        "realize flight recorder: the worker died inside the target call of",
        f"  property {record.get('property')} [{record.get('call')}(x)]",
        *(f"  {k}: {v}" for k, v in record.items() if k.startswith("input")),
    ]
    report.longrepr = f"{report.longrepr}\n" + "\n".join(lines)
    report.sections.append(("realize flight recorder", "\n".join(lines)))


def call_checked(prop: str, target: Callable[..., Any], x: Any, check: Callable[[], None]) -> None:
    """Run ``check`` for one example under the known-bug list."""
    __tracebackhide__ = True
    with known_bugs.checking(prop, target, x):
        check()
