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
from todo_cli.errors import BadInput, DatabaseUnavailable, TodoError
from todo_cli.profiling import Profile, instrument

CONNECT_TIMEOUT_S = 10
APPLICATION_NAME = "todo-cli"


def connect_timeout() -> int:
    """Seconds libpq may spend connecting: TODO_CONNECT_TIMEOUT, default 10 (libpq's minimum
    is 2). A waking Neon compute usually answers within a few hundred milliseconds."""
    raw = os.environ.get("TODO_CONNECT_TIMEOUT", "")
    try:
        return max(2, int(raw)) if raw else CONNECT_TIMEOUT_S
    except ValueError:
        raise BadInput(
            f"TODO_CONNECT_TIMEOUT must be a whole number of seconds, not {raw!r}"
        ) from None


SQLITE_BUSY_MS = 30_000


def make_engine(
    target: DatabaseTarget,
    *,
    fast: bool = True,
    echo: bool = False,
    profile: Profile | None = None,
) -> Engine:
    """Create the engine for `target`. `fast=False` keeps the stock dialect (for migrations)."""
    engine = _make_engine(target, fast=fast, echo=echo)
    instrument(engine, profile)
    return engine


def _make_engine(target: DatabaseTarget, *, fast: bool, echo: bool) -> Engine:
    if target.backend == "sqlite":
        return _sqlite_engine(target, echo=echo)
    from todo_cli import pgdialect

    url = target.url.set(drivername=pgdialect.DRIVERNAME) if fast else target.url
    connect_args: dict[str, Any] = {}
    if "application_name" not in target.url.query:
        connect_args["application_name"] = APPLICATION_NAME
    if "connect_timeout" not in target.url.query:
        connect_args["connect_timeout"] = connect_timeout()
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
        # SQLite's LIKE and lower() fold ASCII only; `--search` uses this to fold all of Unicode.
        dbapi_conn.create_function("todo_fold", 1, _fold, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.info.get("todo_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _fold(value: str | None) -> str | None:
    return value.casefold() if value is not None else None


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


def insert_for(session: Session, model: Any) -> Any:
    """INSERT for this session's backend, with ON CONFLICT support (both dialects have it)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    return insert(model)


def new_request_key() -> str:
    """A fresh idempotency key for one write (see models.Task.request_key)."""
    import uuid

    return uuid.uuid4().hex


@contextmanager
def translate_errors(target: DatabaseTarget) -> Iterator[None]:
    """Turn driver errors into our own, one line each, with the password scrubbed."""
    try:
        yield
    except TodoError:
        raise
    except (exc.OperationalError, exc.InterfaceError) as e:
        if target.backend == "sqlite":
            if "locked" in str(e.orig) or "busy" in str(e.orig):
                raise DatabaseUnavailable(
                    "database is locked by another process; try again", transient=True
                ) from e
            raise DatabaseUnavailable(f"cannot open {target.display}: {e.orig}") from e
        kind = classify(e)
        verb = "lost the connection to" if e.connection_invalidated else "cannot reach database"
        raise DatabaseUnavailable(
            f"{verb} {target.display}: {driver_message(e, target)}",
            transient=kind == "transient",
            auth=kind == "auth",
        ) from e
    except exc.DBAPIError as e:
        if target.backend == "postgresql" and classify(e) == "transient":
            raise DatabaseUnavailable(
                f"lost the connection to {target.display}: {driver_message(e, target)}",
                transient=True,
            ) from e
        raise


# SQLSTATEs a retry can cure: the server is shutting down or restarting, or the connection
# broke. Anything about credentials, permissions or the request itself is final.
_TRANSIENT_SQLSTATES = {"57P01", "57P02", "57P03", "08000", "08001", "08003", "08004", "08006"}
_TRANSIENT_TEXT = (
    "couldn't connect to compute node",
    "ssl syscall error",
    "timeout expired",
    "connection refused",
    "server closed the connection unexpectedly",
    "could not connect to server",
    "terminating connection",
    "the database system is starting up",
    "the database system is shutting down",
    "no connection to the server",
    "connection already closed",
    "could not receive data from server",
    "could not send data to server",
    "eof detected",
)
_AUTH_TEXT = (
    "password authentication failed",
    "no pg_hba.conf entry",
    "authentication failed",
    "no password supplied",
    'role "',
)
_FINAL_TEXT = ("does not exist", "invalid", "unsupported", "sslmode", "certificate")


def classify(e: exc.DBAPIError) -> str:
    """'auth', 'transient' or 'final' for a PostgreSQL driver error."""
    code = getattr(e.orig, "pgcode", None)
    text = str(e.orig).lower()
    if code in ("28P01", "28000") or any(t in text for t in _AUTH_TEXT):
        return "auth"
    if code in _TRANSIENT_SQLSTATES:
        return "transient"
    if any(t in text for t in _FINAL_TEXT) and "timeout" not in text:
        return "final"
    if e.connection_invalidated or any(t in text for t in _TRANSIENT_TEXT):
        return "transient"
    return "final"


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
