"""The child process of ``--realize-isolate``: runs properties, one request at a time.

Started by ``realize.harness._isolation`` as ``python -m realize.harness._worker``,
a fresh interpreter that imports torch and realize once and never initialises
CUDA. Where the platform can fork, it is a fork server: it forks a serving
child, which handles requests until it crashes; the server then answers the
request the child died on with ``("crashed", exit_code)`` and forks the next
child, in milliseconds instead of a new interpreter's seconds (a shrinking
Hypothesis may crash the target dozens of times). CUDA initialises in each
serving child, as in any process that was never forked after using it.
Without fork (Windows), the server serves itself and the parent restarts it.

Requests come on stdin, replies leave on the original stdout; the target's own
prints go to stderr, which the parent keeps in a log file. ``faulthandler``
writes the Python stack of a crash to that log, and the parent quotes it.

Messages are pickled tuples, each preceded by its length (8 bytes, little
endian):

- ``("init", sys_path)``: the parent's ``sys.path`` (the target imports as there);
- ``("run", target_fields, prop, packed_args, params)``: replies ``("ok",)``,
  ``("assertion", class_name, message)`` or ``("error", class_name, traceback)``;
- ``("reset",)``: forget compiled graphs (a new test); replies ``("ok",)``.

Reads are unbuffered, so a serving child that dies never takes bytes of the
next request with it.
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import struct
import sys
import traceback
from typing import IO, Any

__all__ = ["read_message", "write_message"]

_LENGTH = struct.Struct("<Q")


def write_message(stream: IO[bytes], message: tuple[Any, ...]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def _read_exactly(stream: IO[bytes], n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_message(stream: IO[bytes]) -> tuple[Any, ...] | None:
    """The next message, or None when the other side has gone."""
    head = _read_exactly(stream, _LENGTH.size)
    if head is None:
        return None
    (length,) = _LENGTH.unpack(head)
    data = _read_exactly(stream, length)
    if data is None:
        return None
    message: tuple[Any, ...] = pickle.loads(data)
    return message


def _serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    targets: dict[tuple[Any, ...], Any] = {}
    while (message := read_message(requests)) is not None:
        kind = message[0]
        if kind == "reset":
            from realize.testing._dynamo_limits import reset

            reset()
            write_message(replies, ("ok",))
            continue
        _, fields, prop, packed, params = message
        try:
            from realize.harness._properties import check
            from realize.harness._targets import Target
            from realize.harness._transfer import unpack

            if fields not in targets:
                spec, name, backend, dynamic = fields
                targets[fields] = Target.of(spec, name=name, backend=backend, dynamic=dynamic)
            args = tuple(unpack(p) for p in packed)
            check(prop, targets[fields].callable, *args, **params)
        except AssertionError as e:
            reply: tuple[Any, ...] = ("assertion", type(e).__name__, str(e))
        except BaseException as e:
            reply = ("error", type(e).__name__, traceback.format_exc())
        else:
            reply = ("ok",)
        write_message(replies, reply)


def _fork_server(requests: IO[bytes], replies: IO[bytes]) -> None:
    """Fork a serving child; when it crashes, answer for it and fork the next."""
    while True:
        pid = os.fork()
        if pid == 0:  # the serving child
            _serve(requests, replies)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            return  # the parent closed stdin: the run is over
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        write_message(replies, ("crashed", code))


def main() -> None:
    # The protocol owns the original stdout; anything the target prints goes to stderr.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    requests = open(0, "rb", buffering=0)  # noqa: SIM115  (unbuffered: see module doc)
    faulthandler.enable()
    import realize  # noqa: F401  (registers torch.ops.realize before any target resolves)

    init = read_message(requests)
    if init is None or init[0] != "init":
        return
    sys.path[:] = init[1]
    write_message(replies, ("ok",))
    if hasattr(os, "fork"):
        _fork_server(requests, replies)
    else:  # pragma: no cover - Windows: the parent restarts the whole worker after a crash
        _serve(requests, replies)


if __name__ == "__main__":
    main()
