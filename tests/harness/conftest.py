"""Fixtures for the harness tests: a real Redis server, started and stopped here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness._redis_server import missing_reason, redis_server


@pytest.fixture(scope="session")
def redis_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``redis://127.0.0.1:PORT/0`` of a server shared by this session's tests."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def redis_url(redis_server_url: str) -> Iterator[str]:
    """The session's Redis server, emptied before each test."""
    import redis

    with redis.Redis.from_url(redis_server_url) as client:
        client.flushdb()
    yield redis_server_url
