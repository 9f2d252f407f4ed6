"""Repo-wide pytest wiring: Hypothesis profiles, device selection, the target under test.

- Hypothesis profiles ``dev`` (quick, random), ``ci`` (derandomized, no deadline,
  prints the reproduction blob) and ``thorough`` (many examples). Chosen by
  ``--hypothesis-profile=NAME``, else env ``HYPOTHESIS_PROFILE``, else ``ci``
  when env ``CI`` is set (tox passes it through), else ``dev``.
- ``--device=cpu,cuda:1`` (repeatable; ``cuda`` means every ``cuda:N``) restricts
  the devices: it sets env ``REALIZE_DEVICES``, which ``strategies.devices()``
  honours, and the ``device`` parametrization. A requested device that is absent
  is a skip with a reason. Default: every device present, plus ``meta``.
- ``--realize-target=MODULE:ATTR`` (``torch:clone``,
  ``tests.properties.broken:returns_input``) is the callable that the property
  tests exercise through the ``realize_target`` fixture. Default: both
  ``realize.realize`` and ``torch.ops.realize.realize.default``. Tests marked
  ``needs_op`` skip unless the target is a torch operator.
- ``--realize-db=URL`` (else env ``REALIZE_DB``): the example database of the whole
  run, shared between machines: ``redis://HOST:PORT/N``, a directory, or ``none``;
  next to the local ``.hypothesis/examples``. ``--realize-db-readonly`` (else env
  ``REALIZE_DB_READONLY``) reads it without writing back. See
  ``realize.testing.example_database``.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, settings
from hypothesis.database import MultiplexedDatabase

# tests/properties runs the suite in process; the plugin adds --realize-compile,
# --realize-dynamic, --realize-known-bugs, known-bug xfails and crash reports.
pytest_plugins = ("pytester", "tests.properties.plugin")

# --- Hypothesis profiles --------------------------------------------------------------

CI_MAX_EXAMPLES = 200

settings.register_profile(
    "dev",
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=CI_MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    print_blob=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def _default_profile() -> str:
    return os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _env_flag("CI") else "dev")


# Loaded at import; Hypothesis's own --hypothesis-profile option overrides it later.
settings.load_profile(_default_profile())


# --- options --------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("realize", "realize property harness")
    group.addoption(
        "--device",
        action="append",
        default=[],
        metavar="DEVICE[,DEVICE...]",
        help="restrict tests to these devices (cpu, meta, cuda, cuda:N, mps); repeatable. "
        "Sets REALIZE_DEVICES for the strategies.",
    )
    group.addoption(
        "--realize-target",
        default=None,
        metavar="MODULE:ATTR",
        help="run the property tests against this callable instead of realize.realize "
        "and torch.ops.realize.realize.default, e.g. torch:clone",
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


@dataclass
class Harness:
    """The configuration the command line resolved to."""

    profile: str
    devices: list[str]  # present and selected
    missing: list[str]  # requested but absent
    target_spec: str | None
    targets: list[tuple[str, Callable[..., Any]]] = field(default_factory=list)


_HARNESS = pytest.StashKey[Harness]()


def available_devices() -> list[str]:
    """Every device this process can use, plus ``meta``. Does not initialise CUDA.

    From the one device registry the strategies draw from (cpu, cuda, mps, xpu, ...).
    """
    from realize.strategies._devices import present_devices

    return [str(d) for d in present_devices(allow_meta=True)]


def _expand(requested: list[str], present: list[str]) -> list[str]:
    out: list[str] = []
    for item in requested:
        for name in (s.strip() for s in item.split(",")):
            if not name:
                continue
            if name == "cuda":
                cudas = [d for d in present if d.startswith("cuda:")]
                out += cudas or ["cuda"]
            elif name == "mps:0":
                out.append("mps")
            else:
                out.append(name)
    return list(dict.fromkeys(out))


def _resolve_target(spec: str) -> Callable[..., Any]:
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise pytest.UsageError(
            f"--realize-target={spec!r} is not MODULE:ATTR; try --realize-target=torch:clone"
        )
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as e:
        raise pytest.UsageError(
            f"--realize-target={spec!r}: cannot import {module_name}: {e}"
        ) from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise pytest.UsageError(
                f"--realize-target={spec!r}: {module_name} has no attribute {attr!r}"
            ) from None
    if not callable(obj):
        raise pytest.UsageError(f"--realize-target={spec!r} is not callable: {obj!r}")
    return obj  # type: ignore[no-any-return]


def is_operator(target: object) -> bool:
    return isinstance(target, (torch._ops.OpOverload, torch._ops.OpOverloadPacket))


def pytest_configure(config: pytest.Config) -> None:
    present = available_devices()
    requested = _expand(config.getoption("--device"), present)
    if not requested and os.environ.get("REALIZE_DEVICES"):
        requested = _expand([os.environ["REALIZE_DEVICES"]], present)
    if requested:
        devices = [d for d in requested if d in present]
        missing = [d for d in requested if d not in present]
        os.environ["REALIZE_DEVICES"] = ",".join(devices)
    else:
        devices, missing = present, []
    profile = config.getoption("hypothesis_profile", None) or _default_profile()
    spec = config.getoption("--realize-target") or None
    config.stash[_HARNESS] = Harness(profile, devices, missing, spec)
    _configure_example_database(config, profile)
    if spec:
        _targets(config)  # a bad MODULE:ATTR is a usage error now, not at collection


# --- shared example database ----------------------------------------------------------

_EXAMPLE_DB = pytest.StashKey[str]()


def _configure_example_database(config: pytest.Config, profile: str) -> None:
    """Make ``profile`` (whichever profile this run loads) use ``--realize-db``.

    Every xdist worker runs this too and opens its own connection to the same
    database; only the controller reports an unreachable one, so it warns once.
    """
    url = config.getoption("--realize-db") or os.environ.get("REALIZE_DB")
    if not url:
        return
    readonly = config.getoption("--realize-db-readonly") or _env_flag("REALIZE_DB_READONLY")
    from realize.testing import example_database, use_example_database

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            database = example_database(url, readonly=readonly)
        except (ImportError, TypeError, ValueError) as e:
            raise pytest.UsageError(f"--realize-db={url}: {e}") from None
    if not hasattr(config, "workerinput"):
        for w in caught:
            config.issue_config_time_warning(w.message, stacklevel=2)  # type: ignore[arg-type]
    use_example_database(profile, database)
    if database is None:
        config.stash[_EXAMPLE_DB] = "none (nothing replayed, nothing saved)"
    elif isinstance(database, MultiplexedDatabase):
        mode = " read-only" if readonly else ""
        config.stash[_EXAMPLE_DB] = f"{url}{mode} + local .hypothesis/examples"
    else:
        config.stash[_EXAMPLE_DB] = f"local .hypothesis/examples only ({url} unreachable)"


def _targets(config: pytest.Config) -> list[tuple[str, Callable[..., Any]]]:
    harness = config.stash[_HARNESS]
    if not harness.targets:
        if harness.target_spec:
            harness.targets = [(harness.target_spec, _resolve_target(harness.target_spec))]
        else:
            import realize

            harness.targets = [
                ("realize.realize", realize.realize),
                ("realize_op", realize.realize_op),
            ]
    return harness.targets


def pytest_report_header(config: pytest.Config) -> list[str]:
    harness = config.stash[_HARNESS]
    active = settings.get_profile(harness.profile)
    lines = [
        f"realize: torch {torch.__version__}, devices {', '.join(harness.devices)}"
        + (f" (absent, skipped: {', '.join(harness.missing)})" if harness.missing else ""),
        f"realize: hypothesis profile {harness.profile!r} (max_examples={active.max_examples}, "
        f"derandomize={active.derandomize})",
        "realize: target "
        + (harness.target_spec or "realize.realize and torch.ops.realize.realize.default"),
    ]
    if _EXAMPLE_DB in config.stash:
        lines.append(f"realize: example database {config.stash[_EXAMPLE_DB]}")
    return lines


# --- parametrization ------------------------------------------------------------------


def _parametrized_by_marker(metafunc: pytest.Metafunc, name: str) -> bool:
    """Whether the test already parametrizes ``name`` itself (its own choice wins)."""
    for marker in metafunc.definition.iter_markers("parametrize"):
        argnames = marker.args[0] if marker.args else marker.kwargs.get("argnames", ())
        if isinstance(argnames, str):
            argnames = [a.strip() for a in argnames.split(",")]
        if name in argnames:
            return True
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``device`` over the selected devices and ``realize_target`` over targets.

    A test that parametrizes either argument itself keeps its own values.
    """
    harness = metafunc.config.stash[_HARNESS]
    if "device" in metafunc.fixturenames and not _parametrized_by_marker(metafunc, "device"):
        params = []
        for d in harness.devices:
            marks = [pytest.mark.gpu] if d.startswith("cuda") else []
            params.append(pytest.param(d, id=d, marks=marks))
        for d in harness.missing:
            reason = f"device {d} requested with --device but not present on this machine"
            params.append(pytest.param(d, id=d, marks=pytest.mark.skip(reason=reason)))
        metafunc.parametrize("device", params)
    if "realize_target" in metafunc.fixturenames and not _parametrized_by_marker(
        metafunc, "realize_target"
    ):
        needs_op = metafunc.definition.get_closest_marker("needs_op") is not None
        targets = _targets(metafunc.config)
        if needs_op and harness.target_spec is None:
            targets = [t for t in targets if is_operator(t[1])]
        params = []
        for name, target in targets:
            marks = []
            if needs_op and not is_operator(target):
                reason = f"needs a torch operator as --realize-target, got a plain callable {name}"
                marks.append(pytest.mark.skip(reason=reason))
            params.append(pytest.param(target, id=name, marks=marks))
        metafunc.parametrize("realize_target", params, indirect=True)


@pytest.fixture(scope="session")
def realize_target(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """The callable under test (see ``--realize-target``; compiled under ``--realize-compile``)."""
    from tests.properties.plugin import wrap_target

    target = request.param if hasattr(request, "param") else _targets(request.config)[0][1]
    return wrap_target(request.config, target, request.config.stash[_HARNESS].target_spec)


@pytest.fixture(scope="session")
def devices(request: pytest.FixtureRequest) -> list[str]:
    """The devices selected for this run (present ones only)."""
    return list(request.config.stash[_HARNESS].devices)
