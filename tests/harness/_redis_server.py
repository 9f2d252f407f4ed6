"""A throwaway Redis server on the loopback address, for the shared-database tests.

Debian's ``redis-server`` (``apt-get install redis-server``; ``.ci/run`` installs
it), on a free port of 127.0.0.1, without persistence, in a temporary directory.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests._ports import free_port

STARTUP_TIMEOUT_S = 10.0


def missing_reason() -> str | None:
    """Why a real Redis server cannot run here, or ``None`` if it can."""
    if shutil.which("redis-server") is None:
        return (
            "redis-server is not installed: apt-get install redis-server "
            "(.ci/run installs it where apt is available)"
        )
    try:
        import redis  # noqa: F401
    except ImportError:
        return 'the redis client is not installed: pip install -e ".[redis]"'
    return None


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """Start ``redis-server``, yield its ``redis://127.0.0.1:PORT/0`` URL, stop it."""
    import redis

    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        # no RDB snapshots, no AOF: nothing written outside workdir, nothing kept
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir), "--loglevel", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    out = proc.communicate()[0].decode(errors="replace")
                    raise RuntimeError(
                        f"redis-server did not start on port {port}:\n{out}"
                    ) from None
                time.sleep(0.02)
        client.close()
        yield url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def redis_contents(url: str) -> dict[bytes, set[bytes]]:
    """Every key of the server at ``url`` and its set of members (Hypothesis's layout)."""
    import redis

    with redis.Redis.from_url(url) as client:
        return {key: client.smembers(key) for key in client.scan_iter()}
