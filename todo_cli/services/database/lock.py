"""The migration lock on PostgreSQL: a session advisory lock that queues concurrent
`todo db migrate` runs, waited for at most `--lock-timeout` seconds while saying who holds it.

A session lock only means something on a connection that stays on one server backend. A
transaction-mode pooler (PgBouncer, Neon's `-pooler` endpoint) hands each transaction to
whichever backend is free, so the lock could be taken on one backend and the DDL run on
another, or left held on a backend the pooler gives to someone else. So the session is checked
first (the backend must not change from one transaction to the next), and again inside each
revision's transaction (its backend must hold the lock).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Connection

from todo_cli.errors import TodoError

LOCK_ID = 0x746F646F  # "todo"; a bigint key: pg_locks shows it as classid 0, objid LOCK_ID
POLL_S = 0.25
_PROBES = 3  # transactions in a row that must land on the same backend
_HOLDER = f"""
SELECT a.pid, coalesce(nullif(a.application_name, ''), '(no application name)'),
       to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
       coalesce(a.state, '?')
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = {LOCK_ID} AND l.granted
"""
_HELD_HERE = f"""
SELECT pg_backend_pid(), EXISTS (
    SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = {LOCK_ID}
    AND granted AND pid = pg_backend_pid())
"""


class NotASession(TodoError):
    def __init__(self) -> None:
        super().__init__(
            "this connection does not keep one database session (a transaction-mode pooler "
            "such as PgBouncer or Neon's -pooler endpoint?), and migrations need one: set "
            "DATABASE_URL_DIRECT to the database's direct endpoint"
        )


def _one(raw: Any, sql: str) -> Any:
    """Run `sql` as a transaction of its own (autocommit), beside SQLAlchemy's bookkeeping."""
    raw.autocommit = True
    try:
        with raw.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()
    finally:
        raw.autocommit = False


def holder(raw: Any) -> str | None:
    row = _one(raw, _HOLDER)
    if row is None:
        return None
    pid, app, since, state = row
    return f"pid {pid} ({app}, connected since {since} UTC, {state})"


@contextmanager
def migration_lock(
    connection: Connection, timeout_s: float, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the migration lock for the block; raise TodoError after `timeout_s` of waiting."""
    raw = connection.connection.dbapi_connection
    backends = {_one(raw, "SELECT pg_backend_pid()")[0] for _ in range(_PROBES)}
    if len(backends) > 1:
        raise NotASession()
    deadline = time.monotonic() + timeout_s
    told = None
    while not _one(raw, f"SELECT pg_try_advisory_lock({LOCK_ID})")[0]:
        who = holder(raw) or "another session"
        if time.monotonic() >= deadline:
            raise TodoError(
                f"gave up after {timeout_s:g} s waiting for the migration lock, held by {who}; "
                "another `todo db migrate` may be running (or a connection left it held: "
                "pg_terminate_backend(pid) ends it)"
            )
        if on_wait is not None and who != told:
            on_wait(
                f"waiting for the migration lock, held by {who} (--lock-timeout {timeout_s:g} s)"
            )
            told = who
        time.sleep(POLL_S)
    try:
        _, held = _one(raw, _HELD_HERE)
        if not held:
            raise NotASession()
        yield
    finally:
        if not getattr(raw, "closed", True):
            if connection.in_transaction():
                connection.rollback()
            _one(raw, f"SELECT pg_advisory_unlock({LOCK_ID})")


def check_holds_lock(connection: Connection) -> None:
    """Inside a revision's transaction: its backend must be the one holding the lock."""
    _, held = connection.exec_driver_sql(_HELD_HERE).one()
    if not held:
        raise NotASession()
