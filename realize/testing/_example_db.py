"""One Hypothesis example database for a whole run, shared between machines.

A failing example that Hypothesis finds is saved in its example database and
replayed first on the next run. By default that database is the local
``.hypothesis/examples`` directory, so a failure found on one CI runner is never
seen by another runner or a developer's machine. :func:`example_database` builds
the database a run should use from one URL:

- ``redis://HOST:PORT/N`` (also ``rediss://``, ``unix://``): a Redis server,
  :class:`hypothesis.extra.redis.RedisExampleDatabase` (needs the ``redis`` client,
  ``pip install "redis>=4"``, the ``redis`` extra);
- a directory path, e.g. on a shared filesystem:
  :class:`~hypothesis.database.DirectoryBasedExampleDatabase`;
- ``none``: no example database at all (nothing read, nothing saved).

The shared database sits next to the local one in a
:class:`~hypothesis.database.MultiplexedDatabase` (local first, so a shared store
that fails can never lose a local save), optionally wrapped in a
:class:`~hypothesis.database.ReadOnlyDatabase` (forks and pull requests replay
what CI found but write nothing back). A shared store that cannot be reached
gives one :class:`SharedDatabaseUnavailable` warning and the run goes on with the
local database alone.

:func:`use_example_database` makes a settings profile use that database, also the
derandomized ones (see there).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from hypothesis import settings
from hypothesis.database import (
    DirectoryBasedExampleDatabase,
    ExampleDatabase,
    MultiplexedDatabase,
    ReadOnlyDatabase,
)

from realize._hypothesis_internals import examples_directory

__all__ = ["SharedDatabaseUnavailable", "example_database", "use_example_database"]

REDIS_SCHEMES = ("redis", "rediss", "unix")
# A CI run must never hang on a dead server: connect and read time out quickly.
CONNECT_TIMEOUT_S = 2.0
SOCKET_TIMEOUT_S = 5.0
INSTALL_HINT = 'pip install "redis>=4" (the redis extra; in a checkout: pip install -e ".[redis]")'


class SharedDatabaseUnavailable(UserWarning):
    """The shared example database cannot be reached; the local one is used alone."""


def example_database(
    url: str,
    *,
    readonly: bool = False,
    local_dir: str | os.PathLike[str] | None = None,
) -> ExampleDatabase | None:
    """The example database for ``url``, next to the local directory database.

    url: ``redis://HOST:PORT/N`` (or ``rediss://``, ``unix://``), a directory
        path, or ``none`` (returns ``None``: no database).
    readonly: read the shared database but never write to it (forks, PRs).
    local_dir: the local directory database, defaulting to Hypothesis's own
        ``.hypothesis/examples`` (``HYPOTHESIS_STORAGE_DIRECTORY`` honoured).

    Raises ``ImportError`` naming the install command when a Redis URL is given
    without the ``redis`` client, and ``ValueError`` for an unknown URL scheme.
    Warns :class:`SharedDatabaseUnavailable` and returns the local database
    alone when the shared one cannot be reached.

    >>> db = example_database("none")
    >>> db is None
    True
    """
    if not isinstance(url, str) or not url.strip():
        raise TypeError(f"Expected a non-empty str but got url={url!r} (type={type(url).__name__})")
    url = url.strip()
    if url.lower() == "none":
        return None
    default_dir = examples_directory()
    local = DirectoryBasedExampleDatabase(Path(local_dir) if local_dir is not None else default_dir)
    shared = _shared_database(url)
    if shared is None:
        return local
    if readonly:
        shared = ReadOnlyDatabase(shared)
    return MultiplexedDatabase(local, shared)


def _shared_database(url: str) -> ExampleDatabase | None:
    """The database behind ``url``, or ``None`` (after a warning) if unreachable."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in REDIS_SCHEMES:
        return _redis_database(url)
    if scheme == "file":
        return DirectoryBasedExampleDatabase(urlsplit(url).path)
    if "://" in url:
        raise ValueError(
            f"url={url!r} has an unsupported scheme {scheme!r}: use redis://HOST:PORT/N, "
            "a directory path, or none"
        )
    return DirectoryBasedExampleDatabase(url)


def _redis_database(url: str) -> ExampleDatabase | None:
    try:
        import redis
        from hypothesis.extra.redis import RedisExampleDatabase
    except ImportError as e:
        raise ImportError(
            f"url={url!r} needs the redis client, which is not installed ({e}). "
            f"Install it with: {INSTALL_HINT}"
        ) from None
    client = redis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=SOCKET_TIMEOUT_S
    )
    try:
        client.ping()
    except (redis.RedisError, OSError) as e:
        client.close()
        warnings.warn(
            SharedDatabaseUnavailable(
                f"shared example database {url} is unreachable ({e}); this run uses "
                "the local example database only, and saves nothing to the shared one"
            ),
            stacklevel=3,
        )
        return None
    return _BestEffort(RedisExampleDatabase(client), url, (redis.RedisError, OSError))


class _BestEffort(ExampleDatabase):
    """Forwards to a networked database until it fails once, then turns itself off.

    Hypothesis calls the database inside every test; a server that dies mid-run
    would otherwise fail every remaining test. The local database, listed first
    in the multiplexed database, keeps every example regardless.
    """

    def __init__(
        self, db: ExampleDatabase, url: str, errors: tuple[type[BaseException], ...]
    ) -> None:
        super().__init__()
        self._wrapped: ExampleDatabase | None = db
        self._url = url
        self._errors = errors

    def __repr__(self) -> str:
        return f"_BestEffort({self._wrapped!r})"

    def _failed(self, e: BaseException) -> None:
        self._wrapped = None
        warnings.warn(
            SharedDatabaseUnavailable(
                f"shared example database {self._url} failed ({e}); the rest of this run "
                "uses the local example database only"
            ),
            stacklevel=4,
        )

    def fetch(self, key: bytes) -> Iterable[bytes]:
        if self._wrapped is None:
            return []
        try:
            return list(self._wrapped.fetch(key))
        except self._errors as e:
            self._failed(e)
            return []

    def save(self, key: bytes, value: bytes) -> None:
        self._call("save", key, value)

    def delete(self, key: bytes, value: bytes) -> None:
        self._call("delete", key, value)

    def move(self, src: bytes, dest: bytes, value: bytes) -> None:
        self._call("move", src, dest, value)

    def _call(self, method: str, *args: bytes) -> None:
        if self._wrapped is not None:
            try:
                getattr(self._wrapped, method)(*args)
            except self._errors as e:
                self._failed(e)

    def _start_listening(self) -> None:
        if self._wrapped is not None:
            self._wrapped.add_listener(self._broadcast_change)

    def _stop_listening(self) -> None:
        if self._wrapped is not None:
            self._wrapped.remove_listener(self._broadcast_change)


def use_example_database(profile: str, database: ExampleDatabase | None) -> settings:
    """Re-register settings profile ``profile`` with ``database``, load it, return it.

    Hypothesis ties ``derandomize`` to the database in one place only: the
    ``settings(...)`` call that *passes* ``derandomize=True`` sets
    ``database=None`` (and rejects an explicit database alongside it). A child
    profile that inherits ``derandomize=True`` and passes ``database`` keeps both,
    and the engine honours them independently: derandomize only seeds the random
    generator from the test's source, while the database is still read first
    (reuse phase) and written on failure. So the ``ci`` profile stays
    deterministic *and* replays what other machines found.

    Re-registering under the same name (instead of loading a new one) survives
    Hypothesis's pytest plugin, which loads ``--hypothesis-profile`` by name
    after the root conftest has configured.
    """
    settings.register_profile(profile, parent=settings.get_profile(profile), database=database)
    settings.load_profile(profile)
    return settings.get_profile(profile)
