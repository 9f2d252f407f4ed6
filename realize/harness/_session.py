"""What the command line asked of the harness, for one pytest run: a config object.

Built once per run by the plugin (``_realize_pytest``) when the harness is
used, and kept in ``config.stash``; every hook of the plugin asks it. It holds
the targets, devices, compile mode, known-bug mode, the example database, the
flight recorder and the isolated child process, and turns them into pytest's
terms: parametrizations, skips, the report header, verdicts and crash reports.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import settings

import _realize_pytest as plugin
from realize.harness._checker import Checker
from realize.harness._devices import DeviceSelection, select
from realize.harness._flight import FlightRecorder
from realize.harness._isolation import IsolatedWorker
from realize.harness._recorder import check_mode
from realize.harness._targets import Target, UsageProblem, default_targets
from realize.testing._compiled import BACKENDS

__all__ = ["COMPILED_SHARE", "Session"]

#: Under --realize-compile every new dtype, layout or shape is a compilation
#: (seconds with Inductor): the properties run a quarter of the profile's examples.
COMPILED_SHARE = 4


def _importable(*directories: Path) -> None:
    """Let ``MODULE:ATTR`` import from the directory pytest was started in.

    The ``pytest`` script (unlike ``python -m pytest``) does not put the current
    directory on ``sys.path``, and the harness's tests live in site-packages, so
    ``mypkg`` next to the user would not import. pytest's own ``pythonpath``
    setting does the same thing.
    """
    import sys

    for directory in directories:
        if str(directory) not in sys.path:
            sys.path.append(str(directory))


class Session:
    """The harness's configuration for one run (see module docstring)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        option = config.getoption
        self.target_spec: str | None = option("realize_target") or None
        self.backend: str | None = option("realize_compile") or None
        if self.backend is not None and self.backend not in BACKENDS:
            raise pytest.UsageError(
                f"--realize-compile={self.backend!r} is not one of {', '.join(BACKENDS)}"
            )
        self.dynamic: bool | None = True if option("realize_dynamic") else None
        if self.dynamic and self.backend is None:
            raise pytest.UsageError(
                "--realize-dynamic compiles with dynamic=True, so it needs --realize-compile "
                "(eager, aot_eager or inductor)"
            )
        try:
            mode = check_mode(option("realize_known_bugs") or "auto")
        except ValueError as e:
            raise pytest.UsageError(str(e)) from None
        self.known_bugs = ("fail" if self.target_spec else "xfail") if mode == "auto" else mode
        try:
            self.devices: DeviceSelection = select(
                option("realize_device") or [], os.environ.get("REALIZE_DEVICES")
            )
        except ValueError as e:
            raise pytest.UsageError(str(e)) from None
        self._restore_env = self._restrict_strategies_devices()
        self.isolated = IsolatedWorker() if option("realize_isolate") else None
        self.flight, self._own_flight = self._flight_recorder()
        self.database: str | None = None
        self.profile: str | None = None
        self._targets: list[Target] | None = None
        if self.target_spec:
            self.targets()  # a bad MODULE:ATTR is a usage error now, not at collection

    # --- set-up -----------------------------------------------------------------------

    def _restrict_strategies_devices(self) -> str | None:
        """``--device`` also narrows the default devices of ``realize.strategies`` in this
        run (their public ``REALIZE_DEVICES`` setting); restored at the end."""
        before = os.environ.get("REALIZE_DEVICES")
        if self.devices.explicit:
            os.environ["REALIZE_DEVICES"] = ",".join(self.devices.present)
        return before

    def _flight_recorder(self) -> tuple[FlightRecorder, bool]:
        workerinput = getattr(self.config, "workerinput", None)
        if workerinput is not None and workerinput.get("realize_flight"):
            directory, own = Path(workerinput["realize_flight"]), False
        else:
            directory, own = Path(tempfile.mkdtemp(prefix="realize-flight-")), True
        worker = workerinput.get("workerid", "main") if workerinput is not None else "main"
        return FlightRecorder(directory, worker), own

    def targets(self) -> list[Target]:
        """The targets: ``--realize-target``, else every operator of the operator table."""
        if self._targets is None:
            backend, dynamic = self.backend, self.dynamic
            if self.target_spec:
                params = self.config.invocation_params
                _importable(params.dir, self.config.rootpath)
                try:
                    self._targets = [Target.of(self.target_spec, backend=backend, dynamic=dynamic)]
                except UsageProblem as e:
                    raise pytest.UsageError(str(e)) from None
            else:
                self._targets = default_targets(backend=backend, dynamic=dynamic)
        return self._targets

    def load_profile(self) -> None:
        """Load the harness's Hypothesis profile (a quarter of the examples when compiled)."""
        name = plugin.profile_name(self.config)
        if self.backend is not None:
            base = settings.get_profile(name)
            compiled = f"{name}-compiled"
            settings.register_profile(
                compiled, base, max_examples=max(10, base.max_examples // COMPILED_SHARE)
            )
            name = compiled
        settings.load_profile(name)
        self.profile = name

    def use_example_database(self) -> None:
        """``--realize-db`` (else ``REALIZE_DB``) for the profile this run uses.

        Every xdist worker opens its own connection; only the controller reports
        an unreachable database, so it warns once.
        """
        url = self.config.getoption("realize_db") or os.environ.get("REALIZE_DB")
        if not url:
            return
        readonly = self.config.getoption("realize_db_readonly") or plugin.env_flag(
            "REALIZE_DB_READONLY"
        )
        from hypothesis.database import MultiplexedDatabase

        from realize._hypothesis_internals import current_profile_name
        from realize.testing import example_database, use_example_database

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                database = example_database(url, readonly=readonly)
            except (ImportError, TypeError, ValueError) as e:
                raise pytest.UsageError(f"--realize-db={url}: {e}") from None
        if not hasattr(self.config, "workerinput"):
            for w in caught:
                self.config.issue_config_time_warning(w.message, stacklevel=2)  # type: ignore[arg-type]
        use_example_database(self.profile or current_profile_name(), database)
        if database is None:
            self.database = "none (nothing replayed, nothing saved)"
        elif isinstance(database, MultiplexedDatabase):
            mode = " read-only" if readonly else ""
            self.database = f"{url}{mode} + local .hypothesis/examples"
        else:
            self.database = f"local .hypothesis/examples only ({url} unreachable)"

    # --- pytest's terms -------------------------------------------------------------------

    def device_params(self) -> list[Any]:
        """``pytest.param`` per selected device; absent ones skipped with the reason."""
        params = []
        for d in self.devices.present:
            marks = [pytest.mark.gpu] if d.startswith("cuda") else []
            params.append(pytest.param(d, id=d, marks=marks))
        for d in self.devices.missing:
            reason = f"device {d} requested with --device but not present on this machine"
            params.append(pytest.param(d, id=d, marks=pytest.mark.skip(reason=reason)))
        return params

    def parametrize(self, metafunc: pytest.Metafunc) -> None:
        """``realize_target`` over the targets, ``realize_device`` over the devices.

        A test that parametrizes either argument itself keeps its own values.
        """
        names = metafunc.fixturenames
        if "realize_target" in names and not _parametrizes(metafunc, "realize_target"):
            needs_op = metafunc.definition.get_closest_marker("needs_op") is not None
            targets = self.targets()
            if needs_op and self.target_spec is None:
                targets = [t for t in targets if t.operator]
            params = []
            for target in targets:
                marks = []
                if needs_op and not target.operator:
                    reason = f"needs a torch operator as --realize-target, got {target.spec}"
                    marks.append(pytest.mark.skip(reason=reason))
                params.append(pytest.param(target, id=target.name, marks=marks))
            metafunc.parametrize("realize_target", params, indirect=True)
        if "realize_device" in names and not _parametrizes(metafunc, "realize_device"):
            metafunc.parametrize("realize_device", self.device_params())

    def target_of(self, request: pytest.FixtureRequest) -> Target:
        param = getattr(request, "param", None)
        return param if isinstance(param, Target) else self.targets()[0]

    def checker(self, item: pytest.Item) -> Checker:
        """The item's checker, made on first use (one per test, across its examples)."""
        existing = item.stash.get(plugin.CHECKER, None)
        if existing is not None:
            return existing  # type: ignore[no-any-return]
        callspec = getattr(item, "callspec", None)
        param = callspec.params.get("realize_target") if callspec is not None else None
        target = param if isinstance(param, Target) else self.targets()[0]
        checker = Checker(
            target,
            known_bugs=self.known_bugs,
            flight=self.flight,
            isolated=self.isolated,
            test=item.nodeid,
        )
        item.stash[plugin.CHECKER] = checker
        return checker

    def before_test(self, item: pytest.Item) -> None:
        """Fresh Dynamo caches for each test of a target in compiled mode."""
        if self.backend is None or "realize_target" not in getattr(item, "fixturenames", ()):
            return
        from realize.testing._dynamo_limits import reset

        reset()
        if self.isolated is not None:
            self.isolated.reset()

    def modify_items(self, items: list[pytest.Item]) -> None:
        if self.backend is None:
            return
        skip = pytest.mark.skip(reason="opcheck tests the operator itself, not a compiled wrapper")
        for item in items:
            if item.get_closest_marker("needs_op") is not None:
                item.add_marker(skip)

    def header(self) -> list[str]:
        active = settings.get_profile(self.profile) if self.profile else settings()
        missing = self.devices.missing
        mode = "eager"
        if self.backend:
            dynamic = ", dynamic=True" if self.dynamic else ""
            mode = f"compiled with backend={self.backend!r}{dynamic}, every call proven compiled"
        targets = self.target_spec or ", ".join(t.name for t in self.targets())
        isolation = "on (checks run in a child process)" if self.isolated else "off"
        lines = [
            f"realize: torch {torch.__version__}, devices {', '.join(self.devices.present)}"
            + (f" (absent, skipped: {', '.join(missing)})" if missing else ""),
            f"realize: hypothesis profile {self.profile or 'as loaded'} (max_examples="
            f"{active.max_examples}, derandomize={active.derandomize})",
            f"realize: target {targets}",
            f"realize: mode {mode}; known upstream bugs: {self.known_bugs}; isolation {isolation}",
            f"realize: flight recorder {self.flight.directory}",
        ]
        if self.database:
            lines.append(f"realize: example database {self.database}")
        return lines

    def crash_report(self, crashitem: str, report: Any) -> None:
        """pytest-xdist: a worker died running ``crashitem``; say what it was checking."""
        node = getattr(report, "node", None)
        worker = getattr(getattr(node, "gateway", None), "id", None)
        if not worker:
            return
        record = FlightRecorder(self.flight.directory, worker).read()
        if record.get("test") != crashitem:
            return  # the record is of an earlier test: the crash was not in a check
        lines = [
            "",
            "realize flight recorder: the worker died inside the target call of",
            f"  property {record.get('property')} [{record.get('call')}]",
            *(f"  {k}: {v}" for k, v in record.items() if k.startswith("input")),
        ]
        report.longrepr = f"{report.longrepr}\n" + "\n".join(lines)
        report.sections.append(("realize flight recorder", "\n".join(lines)))

    def close(self) -> None:
        if self.isolated is not None:
            self.isolated.close()
        self.flight.close()
        if self._own_flight:
            shutil.rmtree(self.flight.directory, ignore_errors=True)
        if self._restore_env is None:
            os.environ.pop("REALIZE_DEVICES", None)
        else:
            os.environ["REALIZE_DEVICES"] = self._restore_env


def _parametrizes(metafunc: pytest.Metafunc, name: str) -> bool:
    """Whether the test already parametrizes ``name`` itself (its own choice wins)."""
    for marker in metafunc.definition.iter_markers("parametrize"):
        argnames = marker.args[0] if marker.args else marker.kwargs.get("argnames", ())
        if isinstance(argnames, str):
            argnames = [a.strip() for a in argnames.split(",")]
        if name in argnames:
            return True
    return False
