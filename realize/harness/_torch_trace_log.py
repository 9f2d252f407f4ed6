"""Keep pytest's log capture off torch's structured-trace logger.

Since pytest 9.1 (pytest-dev/pytest#14375) the logging plugin attaches its capture
handlers to every logger that does not propagate, and torch's ``torch.__trace``
logger (``TORCH_TRACE``, tlparse) is one: it never propagates and is always at
DEBUG. torch decides whether to build a trace record by whether that logger has
any handler, so under pytest >= 9.1 every compilation builds and captures its
whole structured trace: a failing compiled test prints thousands of
``DEBUG torch.__trace`` lines, and every compilation pays for them. The
harness takes pytest's handlers off that one logger while a test runs and puts
them back afterwards; torch's own handler (a real ``TORCH_TRACE``) stays.

The logger's name is torch's private detail (``torch/_logging/_internal.py``),
confined to this module; a torch without it leaves nothing to detach.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

__all__ = ["TRACE_LOGGER", "without_pytest_capture"]

TRACE_LOGGER = "torch.__trace"


def _is_pytest_handler(handler: logging.Handler) -> bool:
    return type(handler).__module__.startswith("_pytest.")


@contextlib.contextmanager
def without_pytest_capture() -> Iterator[None]:
    """While inside, pytest's handlers are detached from torch's trace logger."""
    if "torch" not in sys.modules or TRACE_LOGGER not in logging.Logger.manager.loggerDict:
        yield  # torch not imported yet, or no trace logger in this torch: nothing attached
        return
    logger = logging.getLogger(TRACE_LOGGER)
    detached = [h for h in logger.handlers if _is_pytest_handler(h)]
    for handler in detached:
        logger.removeHandler(handler)
    try:
        yield
    finally:
        for handler in detached:
            logger.addHandler(handler)  # pytest's own teardown removes them again
