"""The one place that makes engines and sessions. Nothing here connects at import time.

SQLite (the embedded default) gets foreign keys, WAL and a busy timeout so that two terminals can
share the file, and `BEGIN IMMEDIATE` for write transactions so that concurrent writers queue on
the busy timeout instead of failing with "database is locked" on a lock upgrade.

PostgreSQL gets a pool sized for a short-lived CLI process (one connection, no pre-ping: a
fresh process has no stale connections to detect) and a `connect_timeout`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from todo_cli.config import DatabaseTarget
from todo_cli.errors import DatabaseUnavailable, TodoError

CONNECT_TIMEOUT_S = 10
SQLITE_BUSY_MS = 30_000


def make_engine(target: DatabaseTarget, *, fast: bool = True, echo: bool = False) -> Engine:
    """Create the engine for `target`. `fast=False` keeps the stock dialect (for migrations)."""
    if target.backend == "sqlite":
        return _sqlite_engine(target, echo=echo)
    from todo_cli import pgdialect

    url = target.url.set(drivername=pgdialect.DRIVERNAME) if fast else target.url
    connect_args: dict[str, Any] = {"application_name": "todo"}
    if "connect_timeout" not in target.url.query:
        timeout = os.environ.get("TODO_CONNECT_TIMEOUT", str(CONNECT_TIMEOUT_S))
        connect_args["connect_timeout"] = int(timeout)
    return create_engine(
        url,
        echo=echo,
        pool_size=1,
        max_overflow=2,
        pool_pre_ping=False,
        connect_args=connect_args,
    )


def _sqlite_engine(target: DatabaseTarget, *, echo: bool) -> Engine:
    database = target.url.database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(target.url, echo=echo, connect_args={"timeout": SQLITE_BUSY_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let us emit BEGIN ourselves (pysqlite's own BEGIN is always DEFERRED).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.info.get("todo_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def session_scope(
    engine: Engine, *, write: bool = False, single: bool = False
) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error.

    Objects stay usable after commit (`expire_on_commit=False`), so services never need a
    `refresh()` round trip to read back what they just wrote.

    `single=True` is for a unit of work that is one statement (an INSERT or UPDATE with
    RETURNING). On PostgreSQL it runs in autocommit, where the statement is its own
    transaction, saving the separate BEGIN and COMMIT round trips; SQLite is local and keeps
    its explicit transaction.
    """
    with engine.connect() as conn, autocommit(conn, single):
        conn.info["todo_write"] = write
        try:
            with Session(bind=conn, expire_on_commit=False) as session, conn.begin():
                yield session
                session.flush()
        finally:
            conn.info.pop("todo_write", None)


@contextmanager
def autocommit(conn: Connection, on: bool = True) -> Iterator[Connection]:
    """Run a PostgreSQL connection in autocommit for one unit of one-statement work.

    This flips psycopg2's client-side flag directly. SQLAlchemy's `isolation_level="AUTOCOMMIT"`
    does the same, but its reset to READ COMMITTED on check-in costs psycopg2 an extra round
    trip on the next statement (measured with bench/rtproxy.py).
    """
    if not on or conn.dialect.name != "postgresql":
        yield conn
        return
    raw = conn.connection.dbapi_connection
    raw.autocommit = True  # type: ignore[union-attr]
    try:
        yield conn
    finally:
        if not raw.closed:  # type: ignore[union-attr]
            raw.autocommit = False  # type: ignore[union-attr]


@contextmanager
def translate_errors(target: DatabaseTarget) -> Iterator[None]:
    """Turn driver errors into our own, one line each, with the password scrubbed."""
    try:
        yield
    except TodoError:
        raise
    except exc.OperationalError as e:
        if target.backend == "sqlite" and "locked" in str(e.orig):
            raise DatabaseUnavailable("database is locked by another process; try again") from e
        raise DatabaseUnavailable(
            f"cannot reach database {target.display}: {driver_message(e, target)}"
        ) from e
    except exc.InterfaceError as e:
        raise DatabaseUnavailable(
            f"lost the connection to {target.display}: {driver_message(e, target)}"
        ) from e


def driver_message(e: exc.DBAPIError, target: DatabaseTarget) -> str:
    """The first meaningful line of a driver error, never containing the password."""
    text = str(e.orig) if e.orig is not None else str(e)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    # libpq repeats "connection to server at ... failed:" per address; the reason is what helps.
    line = next((ln for ln in lines if "FATAL" in ln or "timeout" in ln.lower()), "")
    line = line or (lines[0] if lines else type(e.orig).__name__)
    password = target.password
    if password:
        line = line.replace(password, "***")
    return line
