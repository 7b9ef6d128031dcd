"""Retrying whole transactions through transient faults: a waking Neon compute, a restart,
a dropped connection. Backoff is exponential with full jitter, bounded by a total deadline
(TODO_RETRY_SECONDS, default 10). Only `DatabaseUnavailable(transient=True)` is retried, never
authentication or configuration errors, and always by re-running the whole unit of work, so a
transaction is never half re-done. Writes that could be repeated carry a request key (see
models.py), which is what makes retrying them safe.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import time
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from todo_cli.errors import BadInput, DatabaseUnavailable
from todo_cli.services.runtime import Runtime

log = logging.getLogger("todo.retry")
# A library stays quiet unless the CLI asks (--verbose): no "last resort" printing to stderr.
logging.getLogger("todo").addHandler(logging.NullHandler())
P = ParamSpec("P")
R = TypeVar("R")
DEFAULT_DEADLINE_S = 10.0
FIRST_DELAY_S = 0.1
MAX_DELAY_S = 2.0


def deadline_seconds() -> float:
    raw = os.environ.get("TODO_RETRY_SECONDS", "")
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_DEADLINE_S
    except ValueError:
        raise BadInput(f"TODO_RETRY_SECONDS must be a number of seconds, not {raw!r}") from None


def run(rt: Runtime, work: Callable[[], R], *, deadline: float | None = None) -> R:
    """Run `work` (one whole unit of work), retrying it through transient faults."""
    budget = deadline_seconds() if deadline is None else deadline
    end = time.monotonic() + budget
    attempt = 0
    while True:
        attempt += 1
        try:
            return work()
        except DatabaseUnavailable as e:
            delay = random.uniform(0, min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** (attempt - 1)))
            if not e.transient or time.monotonic() + delay >= end:
                raise
            log.warning("retry %d in %.2fs after: %s", attempt, delay, e.message)
            rt.reset_connections()
            time.sleep(delay)


def retrying(fn: Callable[Concatenate[Runtime, P], R]) -> Callable[Concatenate[Runtime, P], R]:
    """Decorate a service function that is one unit of work (safe to run again as a whole)."""

    @functools.wraps(fn)
    def wrapper(rt: Runtime, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return run(rt, lambda: fn(rt, *args, **kwargs))

    return wrapper
