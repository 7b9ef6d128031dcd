"""What a command cost: each SQL statement with its time, round trips and connections.

`--profile` prints this to stderr after the output; `TODO_SLOW_MS=N` logs statements slower
than N ms (logger `todo.slow`). Round trips are counted from what the driver actually sends:
each statement is one, and on PostgreSQL outside autocommit psycopg2 adds a BEGIN before the
first statement of a transaction and a COMMIT or ROLLBACK at its end. The connection handshake
(startup, TLS, authentication) is counted per connection, not in the round trips. Work that
bypasses SQLAlchemy (the COPY of an import) is recorded with `Profile.record`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

slow_log = logging.getLogger("todo.slow")


@dataclass
class Statement:
    sql: str
    ms: float


@dataclass
class Profile:
    statements: list[Statement] = field(default_factory=list)
    connections: int = 0  # made
    attempts: int = 0  # connection attempts, made or not
    transaction_trips: int = 0  # BEGIN / COMMIT / ROLLBACK sent on their own
    connect_ms: float = 0.0  # of the connections made

    @property
    def failed_connections(self) -> int:
        return self.attempts - self.connections

    @property
    def round_trips(self) -> int:
        return len(self.statements) + self.transaction_trips

    def record(self, sql: str, ms: float) -> None:
        self.statements.append(Statement(" ".join(sql.split()), ms))


def instrument(engine: Engine, profile: Profile | None, slow_ms: float | None) -> None:
    """Attach timing to `engine` if profiling or slow-statement logging is on."""
    if profile is None and slow_ms is None:
        return
    is_pg = engine.dialect.name == "postgresql"
    started: dict[int, float] = {}  # per cursor
    begun: set[int] = set()  # connections inside a BEGIN that psycopg2 sent

    def in_real_txn(conn: Connection) -> bool:
        raw = conn.connection.dbapi_connection
        return is_pg and not getattr(raw, "autocommit", True)

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Connection, cursor: Any, sql: str, *args: Any) -> None:
        started[id(cursor)] = time.perf_counter()
        if profile is not None and in_real_txn(conn) and id(conn) not in begun:
            begun.add(id(conn))
            profile.transaction_trips += 1  # psycopg2's implicit BEGIN

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Connection, cursor: Any, sql: str, *args: Any) -> None:
        ms = (time.perf_counter() - started.pop(id(cursor), time.perf_counter())) * 1000
        if profile is not None:
            profile.record(sql, ms)
        if slow_ms is not None and ms >= slow_ms:
            slow_log.warning("slow statement (%.1f ms): %s", ms, " ".join(sql.split())[:500])

    def _end(conn: Connection) -> None:
        if profile is not None and id(conn) in begun:
            begun.discard(id(conn))
            profile.transaction_trips += 1

    event.listen(engine, "commit", _end)
    event.listen(engine, "rollback", _end)

    if profile is not None:
        attempt: list[float] = []

        @event.listens_for(engine, "do_connect")
        def _connecting(*args: Any) -> None:
            profile.attempts += 1
            attempt[:] = [time.perf_counter()]

        @event.listens_for(engine, "connect")
        def _connected(*args: Any) -> None:
            if attempt:
                profile.connections += 1
                profile.connect_ms += (time.perf_counter() - attempt.pop()) * 1000
