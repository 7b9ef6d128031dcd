"""An engine connected ahead of time, for the command server's spare worker.

The spare worker (todo_cli/server/worker.py) connects to the database the last command used
before any command arrives, so that the connection, the TLS and SCRAM handshakes and the
dialect's first-connect queries are off the critical path. `Runtime.make_engine` takes that
engine when the command's database is the same one and it asks for nothing the engine was not
made with (--profile, TODO_SLOW_MS, the stock dialect of migrations). In-process runs never
have one. Nothing heavy is imported here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from todo_cli.config import DatabaseTarget
    from todo_cli.profiling import Profile

_slot: tuple[str, Engine] | None = None
_timeout: list[Callable[[], int]] = []  # the taking command's connect timeouts, for reconnects


def identity(target: DatabaseTarget) -> str:
    """The database as one string, passwords included (it never leaves memory and pipes): a
    relative SQLite path is made absolute, since the worker's directory is the command's."""
    url = target.url
    if target.backend == "sqlite" and url.database and url.database != ":memory:":
        url = url.set(database=os.path.abspath(os.path.expanduser(url.database)))
    return url.render_as_string(hide_password=False)


def connect(url: str) -> None:
    """Make an engine for `url` and open its one pooled connection (errors are swallowed:
    the command then connects as it always does)."""
    global _slot
    from todo_cli.config import DEFAULT_CONNECT_TIMEOUT, DatabaseTarget, parse_url
    from todo_cli.db import make_engine

    try:
        target = DatabaseTarget(parse_url(url))
        engine = make_engine(target, connect_timeout=_connect_timeout(DEFAULT_CONNECT_TIMEOUT))
        with engine.connect():
            pass
    except Exception:
        return
    _slot = (identity(target), engine)


def _connect_timeout(default: int) -> Callable[[], int]:
    def timeout() -> int:
        return _timeout[-1]() if _timeout else default

    return timeout


def take(
    target: DatabaseTarget,
    *,
    fast: bool,
    profile: Profile | None,
    slow_ms: float | None,
    connect_timeout: Callable[[], int],
) -> Engine | None:
    """The prepared engine if it fits this command (once), else None."""
    global _slot
    if _slot is None or not fast or profile is not None or slow_ms is not None:
        return None
    key, engine = _slot
    if key != identity(target):
        return None
    _slot = None
    _timeout.append(connect_timeout)
    return engine


def discard() -> None:
    """Close a prepared engine the command did not use (a clean goodbye to the server)."""
    global _slot
    if _slot is not None:
        _slot[1].dispose()
        _slot = None
