"""realize's pytest plugin (``pytest11`` entry point): the property harness, inert until used.

pytest loads this module in every run of an environment that has realize
installed. Until the harness is used it registers its options and does nothing
else: it imports neither torch nor realize (standard library and pytest only),
changes no collection, prints nothing. The harness is used when

- an option asks for a harness run: ``--realize-target=MODULE:ATTR``,
  ``--realize-compile``, ``--realize-dynamic``, ``--realize-known-bugs``,
  ``--realize-isolate``; with no path on the command line they run the
  installed property suite (``realize/harness/test_*.py``);
- the suite is collected: ``pytest --pyargs realize.harness``, or a path inside it;
- a test requests the ``realize_target`` or ``realize_device`` fixture (a property
  of the user's own, on the harness's targets and devices);
- ``--realize-db``/``REALIZE_DB`` names a shared example database.

Then the work moves to :class:`realize.harness._session.Session`, kept in
``config.stash``. ``--device`` is an alias of ``--realize-device``, registered
only where no conftest or other plugin defines ``--device`` itself.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from realize.harness._session import Session

__all__ = ["CHECKER", "SESSION", "activate", "env_flag", "profile_name", "session"]

#: The harness's configuration for this run (``realize.harness._session.Session``).
SESSION = pytest.StashKey["Session"]()
#: The checker of one test item (``realize.harness._checker.Checker``).
CHECKER = pytest.StashKey[Any]()
_HARNESS_DIR = pytest.StashKey["Path | None"]()

#: Options that ask for a run of the property suite (when no path is given).
_RUN_OPTIONS = (
    "realize_target",
    "realize_compile",
    "realize_dynamic",
    "realize_known_bugs",
    "realize_isolate",
)


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no", "off")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("realize", "realize property harness (pytest --realize-target=...)")
    group.addoption(
        "--realize-target",
        default=None,
        metavar="MODULE:ATTR",
        help="run every property of clone against this callable (e.g. torch:clone, "
        "mypkg.ops:my_clone); default: realize's own operators",
    )
    group.addoption(
        "--realize-device",
        action="append",
        default=[],
        dest="realize_device",
        metavar="DEVICE[,DEVICE...]",
        help="test on these devices only (cpu, meta, cuda, cuda:N, mps); repeatable; "
        "absent ones are skipped with a reason. Also --device, where it is free",
    )
    group.addoption(
        "--realize-compile",
        default=None,
        metavar="BACKEND",
        help="run the target under torch.compile(backend=BACKEND, fullgraph=True), every "
        "call proven compiled: eager, aot_eager or inductor",
    )
    group.addoption(
        "--realize-dynamic",
        action="store_true",
        default=False,
        help="with --realize-compile: torch.compile(dynamic=True)",
    )
    group.addoption(
        "--realize-known-bugs",
        default=None,
        metavar="auto|xfail|fail|fail=NAME[,NAME]",
        help="known upstream PyTorch bugs (realize/harness/known_bugs.py): xfail them "
        "(strict) or fail; auto (default) = xfail for realize's own operators, fail for "
        "an explicit --realize-target; fail=NAME,... fails only the named entries",
    )
    group.addoption(
        "--realize-isolate",
        action="store_true",
        default=False,
        help="run each check in a child process: a target that aborts or segfaults fails "
        "that check (with the input) and the run goes on; no pytest-xdist needed",
    )
    group.addoption(
        "--realize-db",
        default=None,
        metavar="URL",
        help="Hypothesis example database shared by every run and machine: redis://HOST:PORT/N, "
        "a directory, or none (default: env REALIZE_DB, else Hypothesis's own)",
    )
    group.addoption(
        "--realize-db-readonly",
        action="store_true",
        default=False,
        help="replay from the --realize-db database but never write to it (forks, pull "
        "requests); also env REALIZE_DB_READONLY=1",
    )


def _defines(parser: pytest.Parser, name: str) -> bool:
    """Whether some plugin or conftest has registered option ``name``.

    pytest has no public listing of registered options; where its internals
    differ, assume taken (the alias is then simply not offered).
    """
    try:
        groups = [parser._anonymous, *parser._groups]
        return any(name in opt.names() for group in groups for opt in group.options)
    except AttributeError:  # pragma: no cover - another pytest
        return True


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> Iterator[None]:
    """After the initial conftests: ``--device`` as an alias, if nobody else defines it."""
    result = yield
    if not _defines(parser, "--device"):
        parser.getgroup("realize").addoption(
            "--device",
            action="append",
            default=[],
            dest="realize_device",
            metavar="DEVICE[,DEVICE...]",
            help="same as --realize-device",
        )
    return result


def _harness_dir() -> Path | None:
    """Where the installed property suite lives, found without importing realize."""
    spec = importlib.util.find_spec("realize")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).resolve() / "harness"


def _collects_harness(config: pytest.Config, harness: Path) -> bool:
    """Whether the command line (or testpaths) names the suite or a file inside it."""
    for arg in config.args:
        name = arg.split("::")[0]
        if config.option.pyargs and (
            name == "realize.harness" or name.startswith("realize.harness.")
        ):
            return True
        path = (config.invocation_params.dir / name).resolve()
        if path == harness or harness in path.parents:
            return True
    return False


@pytest.hookimpl(trylast=True)  # after Hypothesis's plugin has loaded --hypothesis-profile
def pytest_configure(config: pytest.Config) -> None:
    asked = any(config.getoption(name) for name in _RUN_OPTIONS)
    used = asked or config.getoption("realize_db") or os.environ.get("REALIZE_DB")
    if not used and config.getoption("realize_device"):
        used = True
    harness = config.stash[_HARNESS_DIR] = _harness_dir() if used or config.args else None
    if harness is None:
        return
    if asked and config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args = [str(harness)]  # no path given: the option means "run the suite"
    running = _collects_harness(config, harness)
    if used or running:
        activate(config, load_profile=running)


def activate(config: pytest.Config, *, load_profile: bool = False) -> Session:
    """Start the harness for this run (imports torch and realize); idempotent.

    ``load_profile``: also load the harness's Hypothesis profile (``realize-dev``,
    ``realize-ci`` when ``CI`` is set, or ``--hypothesis-profile``), as a run of
    the property suite does; a user's own tests keep their own profile.
    """
    active = config.stash.get(SESSION, None)
    fresh = active is None
    if active is None:
        from realize.harness._session import Session

        active = config.stash[SESSION] = Session(config)
        config.addinivalue_line(
            "markers", "needs_op: needs a torch operator as the target (opcheck)"
        )
        config.addinivalue_line("markers", "gpu: runs on a CUDA device")
    if load_profile and active.profile is None:
        active.load_profile()
        active.use_example_database()  # for the profile now loaded
    elif fresh:
        active.use_example_database()
    return active


def session(config: pytest.Config) -> Session:
    """This run's harness session, started on first use."""
    return config.stash.get(SESSION, None) or activate(config)


def profile_name(config: pytest.Config) -> str:
    """The harness's profile: ``--hypothesis-profile``, else ``HYPOTHESIS_PROFILE``, else
    ``realize-ci`` when ``CI`` is set (not empty, 0, false, no, off), else ``realize-dev``."""
    import _realize_hooks

    chosen = config.getoption("hypothesis_profile", None) or os.environ.get("HYPOTHESIS_PROFILE")
    return chosen or ("realize-ci" if _realize_hooks.ci_flag() else "realize-dev")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> None:
    """A file of the suite is about to be imported: start the harness (and its profile)."""
    config = parent.config
    harness = config.stash.get(_HARNESS_DIR, None)
    if harness is not None and SESSION not in config.stash and file_path.parent == harness:
        activate(config, load_profile=True)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = metafunc.fixturenames
    if "realize_target" in names or "realize_device" in names:
        session(metafunc.config).parametrize(metafunc)


@pytest.fixture(scope="session")
def realize_target(request: pytest.FixtureRequest) -> Any:
    """The callable under test (``--realize-target``, else each of realize's operators),
    compiled under ``--realize-compile``. Parametrized by the plugin."""
    return session(request.config).target_of(request).callable


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    active = config.stash.get(SESSION, None)
    return active.header() if active is not None else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    active = config.stash.get(SESSION, None)
    if active is not None:
        active.modify_items(items)


def pytest_runtest_setup(item: pytest.Item) -> None:
    active = item.config.stash.get(SESSION, None)
    if active is not None:
        active.before_test(item)


@pytest.hookimpl(wrapper=True, trylast=True)  # inside the logging plugin's wrapper
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """pytest >= 9.1 captures torch's structured trace (``realize/harness/_torch_trace_log.py``):
    not while the harness's tests run."""
    if item.config.stash.get(SESSION, None) is None:
        return (yield)
    from realize.harness._torch_trace_log import without_pytest_capture

    with without_pytest_capture():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Known bugs: a test whose only failures were set aside is XFAIL; a strict XPASS fails."""
    report = yield
    checker = item.stash.get(CHECKER, None)
    if checker is None or report.when != "call" or not report.passed:
        return report
    verdict = checker.recorder.verdict()
    if verdict is None:
        return report
    kind, reason = verdict
    if kind == "xfail":
        report.outcome = "skipped"
        report.wasxfail = reason
    else:
        report.outcome = "failed"
        report.longrepr = f"[XPASS(strict)] {reason}"
    return report


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist controller: workers write their flight records where it reads them."""
    active = node.config.stash.get(SESSION, None)
    if active is not None:
        node.workerinput["realize_flight"] = str(active.flight.directory)


@pytest.hookimpl(optionalhook=True)
def pytest_handlecrashitem(crashitem: str, report: Any, sched: Any) -> None:
    """pytest-xdist: a worker died running ``crashitem``; say what it was checking."""
    active = sched.config.stash.get(SESSION, None) if hasattr(sched, "config") else None
    if active is not None:
        active.crash_report(crashitem, report)


def pytest_unconfigure(config: pytest.Config) -> None:
    active = config.stash.get(SESSION, None)
    if active is not None:
        active.close()
