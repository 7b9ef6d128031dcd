"""What a command cost: each SQL statement with its time, round trips and connections.

`--profile` prints this to stderr after the output; `TODO_SLOW_MS=N` logs statements slower
than N ms (logger `todo.slow`). Round trips are counted from what the driver actually sends:
each statement is one, and on PostgreSQL outside autocommit psycopg2 adds a BEGIN before the
first statement of a transaction and a COMMIT or ROLLBACK at its end. The connection handshake
(startup, TLS, authentication) is counted per connection, not in the round trips.
"""

from __future__ import annotations

import logging
import os
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
    connections: int = 0
    transaction_trips: int = 0  # BEGIN / COMMIT / ROLLBACK sent on their own
    connect_ms: float = 0.0

    @property
    def round_trips(self) -> int:
        return len(self.statements) + self.transaction_trips


def slow_threshold_ms() -> float | None:
    raw = os.environ.get("TODO_SLOW_MS", "")
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def instrument(engine: Engine, profile: Profile | None) -> None:
    """Attach timing to `engine` if profiling or slow-statement logging is on."""
    slow = slow_threshold_ms()
    if profile is None and slow is None:
        return
    is_pg = engine.dialect.name == "postgresql"

    def in_real_txn(conn: Connection) -> bool:
        raw = conn.connection.dbapi_connection
        return is_pg and not getattr(raw, "autocommit", True)

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Connection, cursor: Any, sql: str, *args: Any) -> None:
        conn.info.setdefault("todo_t0", []).append(time.perf_counter())
        if profile is not None and in_real_txn(conn) and not conn.info.get("todo_begun"):
            conn.info["todo_begun"] = True
            profile.transaction_trips += 1  # psycopg2's implicit BEGIN

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Connection, cursor: Any, sql: str, *args: Any) -> None:
        ms = (time.perf_counter() - conn.info["todo_t0"].pop()) * 1000
        text = " ".join(sql.split())
        if profile is not None:
            profile.statements.append(Statement(text, ms))
        if slow is not None and ms >= slow:
            slow_log.warning("slow statement (%.1f ms): %s", ms, text[:500])

    def _end(conn: Connection) -> None:
        if profile is not None and conn.info.pop("todo_begun", False):
            profile.transaction_trips += 1

    event.listen(engine, "commit", _end)
    event.listen(engine, "rollback", _end)

    if profile is not None:

        @event.listens_for(engine, "do_connect")
        def _connecting(*args: Any) -> None:
            profile.connections += 1
            profile.connect_ms -= time.perf_counter() * 1000

        @event.listens_for(engine, "connect")
        def _connected(*args: Any) -> None:
            profile.connect_ms += time.perf_counter() * 1000
