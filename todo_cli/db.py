"""The one place that makes engines and sessions. Nothing here connects at import time.

SQLite (the embedded default) gets foreign keys, WAL and a busy timeout so that two terminals can
share the file, and `BEGIN IMMEDIATE` for write transactions so that concurrent writers queue on
the busy timeout instead of failing with "database is locked" on a lock upgrade.

PostgreSQL gets a pool sized for a short-lived CLI process (one connection, no pre-ping: a
fresh process has no stale connections to detect) and a `connect_timeout` per attempt that the
caller chooses (see `services.runtime`: short first attempts that grow).

Driver errors become our own in `translate_errors` (`db_errors.py` says which is which).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from todo_cli.config import DatabaseTarget
from todo_cli.db_errors import OutcomeUnknown
from todo_cli.profiling import Profile, instrument

APPLICATION_NAME = "todo-cli"
SQLITE_BUSY_MS = 30_000
# Execution options that carry a unit of work's promises to the event hooks below.
_BEGIN = "todo_begin"
_GUARD = "todo_one_statement"


def make_engine(
    target: DatabaseTarget,
    *,
    connect_timeout: Callable[[], int],
    fast: bool = True,
    profile: Profile | None = None,
    slow_ms: float | None = None,
) -> Engine:
    """Create the engine for `target`. `fast=False` keeps the stock dialect (for migrations).

    `connect_timeout()` is asked before each connection attempt for its timeout in seconds.
    """
    engine = _sqlite_engine(target) if target.backend == "sqlite" else _pg_engine(target, fast)
    if target.backend == "postgresql" and "connect_timeout" not in target.url.query:

        @event.listens_for(engine, "do_connect")
        def _timeout(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
            cparams["connect_timeout"] = connect_timeout()

    @event.listens_for(engine, "before_cursor_execute")
    def _one_statement(conn: Connection, cursor: Any, sql: str, *args: Any) -> None:
        guard = conn.get_execution_options().get(_GUARD)
        if guard is not None:
            guard.check(sql)

    instrument(engine, profile, slow_ms)
    return engine


def _pg_engine(target: DatabaseTarget, fast: bool) -> Engine:
    from todo_cli import pgdialect

    url = target.url.set(drivername=pgdialect.DRIVERNAME) if fast else target.url
    connect_args: dict[str, Any] = {}
    if "application_name" not in target.url.query:
        connect_args["application_name"] = APPLICATION_NAME
    return create_engine(
        url, pool_size=1, max_overflow=2, pool_pre_ping=False, connect_args=connect_args
    )


def _sqlite_engine(target: DatabaseTarget) -> Engine:
    database = target.url.database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(target.url, connect_args={"timeout": SQLITE_BUSY_MS / 1000})

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
        # What PostgreSQL has built in or from migration 0007, for the same statements here.
        dbapi_conn.create_function("todo_next_due", 3, _next_due, deterministic=True)
        dbapi_conn.create_function("todo_uuid", 0, _new_uuid)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get(_BEGIN, 'DEFERRED')}")

    return engine


def _fold(value: str | None) -> str | None:
    return value.casefold() if value is not None else None


def _next_due(first: str | None, period: str | None, n: int | None) -> str | None:
    """`periods.next_due` on SQLite's stored text (naive UTC, as UTCDateTime writes it)."""
    from datetime import UTC

    from todo_cli.columns import utc_text
    from todo_cli.periods import next_due

    due = next_due(first, period, n)
    return utc_text(due.replace(tzinfo=UTC)) if due is not None else None


def _new_uuid() -> str:
    from todo_cli.table_parts import new_uuid

    return new_uuid()


def write_lock(conn: Connection) -> None:
    """Make this connection's next transaction take SQLite's write lock at BEGIN."""
    conn.execution_options(**{_BEGIN: "IMMEDIATE"})


class OneStatement:
    """The promise of a one-statement unit of work, checked at every statement it sends in
    autocommit (PostgreSQL), where each statement is its own transaction, so a second write
    would not be atomic with the first. Only the first statement may write; reads after it (to
    say why a write matched nothing) are fine.
    """

    def __init__(self) -> None:
        self.sent = 0

    def check(self, sql: str) -> None:
        self.sent += 1
        if self.sent > 1 and sql.lstrip()[:6].upper() != "SELECT":
            raise RuntimeError(
                "a one-statement unit of work sent a second write; declare it as a "
                "transaction (one_statement=False) to keep its writes atomic"
            )


@contextmanager
def session_scope(
    engine: Engine, *, write: bool = False, one_statement: bool = False
) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error.

    Objects stay usable after commit (`expire_on_commit=False`), so services never need a
    `refresh()` round trip to read back what they just wrote.

    `write` takes SQLite's write lock up front. `one_statement=True` is for a unit of work that
    is one statement (an INSERT or UPDATE with RETURNING): on PostgreSQL it runs in autocommit,
    where the statement is its own transaction, saving the BEGIN and COMMIT round trips (SQLite
    is local and keeps its transaction). `OneStatement` holds it to that.

    A connection lost while the outcome of a write was being decided (during COMMIT, or during
    a one-statement write on PostgreSQL) raises `OutcomeUnknown`: it may have been applied.
    """
    with engine.connect() as conn:
        if write:
            write_lock(conn)
        with autocommit(conn, one_statement) as in_autocommit:
            if in_autocommit:  # SQLite keeps its transaction: atomic whatever it sends
                conn.execution_options(**{_GUARD: OneStatement()})
            committing = False
            try:
                with Session(bind=conn, expire_on_commit=False) as session:
                    trans = conn.begin()
                    try:
                        yield session
                        session.flush()
                    except BaseException:
                        if trans.is_active:
                            trans.rollback()
                        raise
                    committing = True
                    trans.commit()
            except exc.DBAPIError as e:
                if write and e.connection_invalidated and (in_autocommit or committing):
                    raise OutcomeUnknown(e) from e
                raise


@contextmanager
def autocommit(conn: Connection, on: bool = True) -> Iterator[bool]:
    """Run a PostgreSQL connection in autocommit for one unit of one-statement work; yields
    whether it does (SQLite keeps its transactions).

    This flips psycopg2's client-side flag directly. SQLAlchemy's `isolation_level="AUTOCOMMIT"`
    does the same, but its reset to READ COMMITTED on check-in costs psycopg2 an extra round
    trip on the next statement (measured with bench/rtproxy.py).
    """
    if not on or conn.dialect.name != "postgresql":
        yield False
        return
    raw = conn.connection.dbapi_connection
    raw.autocommit = True  # type: ignore[union-attr]
    try:
        yield True
    finally:
        if not raw.closed:  # type: ignore[union-attr]  # (a lost connection stays lost)
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
