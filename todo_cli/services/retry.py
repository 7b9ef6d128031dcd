"""Retrying whole units of work through transient faults: a waking Neon compute, a restart,
a dropped connection. Backoff is exponential with full jitter, bounded by a total budget
(TODO_RETRY_SECONDS, default 10), which also bounds each connection attempt (see
`Runtime.next_connect_timeout`). Only `DatabaseUnavailable(transient=True)` is retried, never
authentication or configuration errors, and always by re-running the whole unit of work, so a
transaction is never half re-done. Writes that could be repeated carry a request key (see
models.py), which is what makes retrying them safe.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from todo_cli.errors import DatabaseUnavailable
from todo_cli.services.runtime import Runtime

log = logging.getLogger("todo.retry")
# A library stays quiet unless the CLI asks (--verbose): no "last resort" printing to stderr.
logging.getLogger("todo").addHandler(logging.NullHandler())
R = TypeVar("R")
FIRST_DELAY_S = 0.1
MAX_DELAY_S = 2.0


def run(
    rt: Runtime,
    work: Callable[[], R],
    *,
    budget: float | None = None,
    again: Callable[[], bool] = lambda: True,
) -> R:
    """Run `work` (one whole unit of work), retrying it through transient faults while
    `again()` says that running it again is safe."""
    seconds = rt.settings.retry_seconds if budget is None else budget
    end = time.monotonic() + seconds
    outer, rt.deadline = rt.deadline, end if rt.deadline is None else min(rt.deadline, end)
    try:
        attempt = 0
        while True:
            attempt += 1
            try:
                return work()
            except DatabaseUnavailable as e:
                delay = random.uniform(0, min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** (attempt - 1)))
                if not e.transient or not again() or time.monotonic() + delay >= end:
                    raise
                log.warning("retry %d in %.2fs after: %s", attempt, delay, e.message)
                rt.reset_connections()
                time.sleep(delay)
    finally:
        rt.deadline = outer
