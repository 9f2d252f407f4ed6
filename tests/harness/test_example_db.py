"""``realize.testing.example_database``: one example database per run, shared between machines.

Oracles: a raw ``DirectoryBasedExampleDatabase`` on the same directory, a raw
``redis.Redis`` client on the same server, and the examples that a failing
property records as Hypothesis calls it.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.database import (
    DirectoryBasedExampleDatabase,
    InMemoryExampleDatabase,
    MultiplexedDatabase,
)

from realize._hypothesis_internals import current_profile_name
from realize.testing import SharedDatabaseUnavailable, example_database, use_example_database
from tests._ports import free_port
from tests.harness._redis_server import missing_reason, redis_contents, redis_server

KEY, VALUE = b"some-test-key", b"\x00some-failing-choices"


def _fetch(db: object) -> list[bytes]:
    assert db is not None
    return list(db.fetch(KEY))  # type: ignore[attr-defined]


# --- URLs ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["none", "None", " NONE "])
def test_none_means_no_database(url: str) -> None:
    assert example_database(url) is None


def test_directory_is_shared_next_to_the_local_database(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    machine_a = example_database(str(shared), local_dir=tmp_path / "a")
    machine_b = example_database(f"file://{shared}", local_dir=tmp_path / "b")
    assert isinstance(machine_a, MultiplexedDatabase)
    machine_a.save(KEY, VALUE)
    assert list(DirectoryBasedExampleDatabase(shared).fetch(KEY)) == [VALUE]
    assert list(DirectoryBasedExampleDatabase(tmp_path / "a").fetch(KEY)) == [VALUE]
    assert _fetch(machine_b) == [VALUE]  # the other machine replays it
    assert list(DirectoryBasedExampleDatabase(tmp_path / "b").fetch(KEY)) == []


def test_readonly_directory_saves_locally_only(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    DirectoryBasedExampleDatabase(shared).save(KEY, b"from-ci")
    fork = example_database(str(shared), readonly=True, local_dir=tmp_path / "fork")
    fork.save(KEY, VALUE)  # type: ignore[union-attr]
    fork.delete(KEY, b"from-ci")  # type: ignore[union-attr]
    assert list(DirectoryBasedExampleDatabase(shared).fetch(KEY)) == [b"from-ci"]
    assert list(DirectoryBasedExampleDatabase(tmp_path / "fork").fetch(KEY)) == [VALUE]
    assert sorted(_fetch(fork)) == sorted([b"from-ci", VALUE])


def test_unknown_scheme_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"url='http://x:1/' has an unsupported scheme 'http'"):
        example_database("http://x:1/")


@pytest.mark.parametrize("url", ["", "  ", None, 6379])
def test_bad_url_type_is_a_clear_error(url: object) -> None:
    with pytest.raises(TypeError, match=r"url="):
        example_database(url)  # type: ignore[arg-type]


def test_redis_without_the_client_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # import redis -> ImportError
    monkeypatch.delitem(sys.modules, "hypothesis.extra.redis", raising=False)
    with pytest.raises(ImportError, match=r'needs the redis client.*pip install -e "\.\[redis\]"'):
        example_database("redis://127.0.0.1:1/0")


def test_unreachable_redis_warns_once_and_keeps_the_local_database(tmp_path: Path) -> None:
    pytest.importorskip(
        "redis", reason='the redis client is not installed: pip install -e ".[redis]"'
    )
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with pytest.warns(SharedDatabaseUnavailable, match=r"unreachable.*local example database"):
        db = example_database(url, local_dir=tmp_path / "local")
    assert isinstance(db, DirectoryBasedExampleDatabase)
    db.save(KEY, VALUE)
    assert list(DirectoryBasedExampleDatabase(tmp_path / "local").fetch(KEY)) == [VALUE]


# --- profiles: the database is really used, derandomized or not -----------------------


@pytest.fixture
def restore_profile() -> Iterator[None]:
    previous = current_profile_name()
    yield
    settings.load_profile(previous)


def _failing_property_run(seen: list[int]) -> None:
    """Run a property that fails for ``x >= 777`` (shrinks to 777) under the loaded profile."""

    @given(st.integers(0, 10**6))
    def prop(x: int) -> None:
        seen.append(x)
        assert x < 777

    with pytest.raises(AssertionError):
        prop()


@pytest.mark.parametrize("profile", ["realize-ci", "realize-dev", "realize-thorough"])
@pytest.mark.usefixtures("restore_profile")
def test_every_profile_saves_to_and_replays_from_the_database(profile: str) -> None:
    name = f"{profile}-example-db-test"
    settings.register_profile(name, parent=settings.get_profile(profile))
    db = InMemoryExampleDatabase()
    loaded = use_example_database(name, db)
    assert settings.default is loaded
    assert loaded.database is db
    assert loaded.derandomize == settings.get_profile(profile).derandomize

    first: list[int] = []
    _failing_property_run(first)
    assert first[-1] == 777  # shrunk, and the last call replays the shrunk failure
    assert db.data, "the failure was not saved in the selected database"
    second: list[int] = []
    _failing_property_run(second)
    assert second[0] == 777, f"the second run started at {second[0]}, not at the saved failure"


# --- a real Redis server ----------------------------------------------------------------


def test_redis_is_shared_between_machines(redis_url: str, tmp_path: Path) -> None:
    import redis

    machine_a = example_database(redis_url, local_dir=tmp_path / "a")
    machine_b = example_database(redis_url, local_dir=tmp_path / "b")
    machine_a.save(KEY, VALUE)  # type: ignore[union-attr]
    with redis.Redis.from_url(redis_url) as raw:
        assert raw.smembers(b"hypothesis-example:" + KEY) == {VALUE}
    assert list(DirectoryBasedExampleDatabase(tmp_path / "a").fetch(KEY)) == [VALUE]
    assert _fetch(machine_b) == [VALUE]


def test_readonly_redis_saves_nothing(redis_url: str, tmp_path: Path) -> None:
    example_database(redis_url, local_dir=tmp_path / "ci").save(KEY, b"from-ci")  # type: ignore[union-attr]
    fork = example_database(redis_url, readonly=True, local_dir=tmp_path / "fork")
    before = redis_contents(redis_url)
    assert before
    fork.save(KEY, VALUE)  # type: ignore[union-attr]
    fork.save(b"another-key", VALUE)  # type: ignore[union-attr]
    fork.delete(KEY, b"from-ci")  # type: ignore[union-attr]
    fork.move(KEY, b"another-key", b"from-ci")  # type: ignore[union-attr]
    assert redis_contents(redis_url) == before
    assert sorted(_fetch(fork)) == sorted([b"from-ci", VALUE])  # replays CI's, keeps its own
    assert list(DirectoryBasedExampleDatabase(tmp_path / "fork").fetch(KEY)) == [VALUE]


def test_redis_dying_mid_run_warns_once_and_loses_nothing_locally(tmp_path: Path) -> None:
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    with redis_server(tmp_path / "redis") as url:
        db = example_database(url, local_dir=tmp_path / "local")
        db.save(KEY, b"before")  # type: ignore[union-attr]
    # the server is gone now
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        db.save(KEY, VALUE)  # type: ignore[union-attr]
        db.save(b"another-key", VALUE)  # type: ignore[union-attr]
        assert sorted(_fetch(db)) == sorted([b"before", VALUE])
    unavailable = [w for w in caught if issubclass(w.category, SharedDatabaseUnavailable)]
    assert len(unavailable) == 1, [str(w.message) for w in caught]
    assert "failed" in str(unavailable[0].message)
    local = DirectoryBasedExampleDatabase(tmp_path / "local")
    assert sorted(local.fetch(KEY)) == sorted([b"before", VALUE])
    assert list(local.fetch(b"another-key")) == [VALUE]
