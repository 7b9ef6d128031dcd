"""`todo db health`: can we reach the database, how fast, and is the schema at head?

Monitoring-plugin semantics: OK, WARNING (a slow connect or query, or migrations pending),
CRITICAL (unreachable, authentication failed, timed out) and UNKNOWN (misconfigured: a bad URL,
connection option or setting). The probe is one connection and one query (the schema
revision), retried through a cold start for as long as `timeout` allows. It runs in a worker
thread so that a server which accepts and then stalls cannot hold the check past its timeout.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from todo_cli.errors import DatabaseUnavailable, TodoError
from todo_cli.models import SCHEMA_HEAD
from todo_cli.services.runtime import Runtime

EXIT = {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}


@dataclass
class Health:
    status: str
    database: str
    summary: str
    latency_ms: float | None = None
    connect_ms: float | None = None
    query_ms: float | None = None
    server_version: str | None = None
    current: str | None = None
    head: str = SCHEMA_HEAD
    checks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT[self.status]

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "latency_ms": self.latency_ms,
            "database": self.database,
            "server_version": self.server_version,
            "migration": {"current": self.current, "head": self.head},
            "checks": self.checks,
        }


def unknown(database: str, reason: str) -> Health:
    return Health("unknown", database, reason, checks=[_check("config", "unknown", reason)])


def _check(name: str, status: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "status": status, "detail": detail, **extra}


def _probe(rt: Runtime, timeout_s: float, out: dict[str, Any]) -> None:
    """Connect (retrying a waking server), read the revision, note times; runs in a thread."""
    from todo_cli.db import autocommit
    from todo_cli.db_errors import translate_errors
    from todo_cli.services.database.schema import read_revision
    from todo_cli.services.retry import run

    try:
        target = rt.target
        engine = rt.engine
        start = time.perf_counter()

        def connect() -> Any:
            with translate_errors(target):
                return engine.connect()

        # Stop retrying a little before the caller stops waiting, to report why it failed.
        conn = run(rt, connect, budget=timeout_s * 0.8)
        out["connect_ms"] = (time.perf_counter() - start) * 1000
        with conn, autocommit(conn), translate_errors(target):
            q0 = time.perf_counter()
            out["current"] = read_revision(conn)
            out["query_ms"] = (time.perf_counter() - q0) * 1000
            out["server_version"] = _server_version(conn)
    except BaseException as e:  # reported by the caller, whatever it is
        out["error"] = e
    finally:
        rt.close()


def _server_version(conn: Any) -> str:
    raw = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        return str(raw.get_parameter_status("server_version"))
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def check(
    rt: Runtime,
    *,
    timeout_s: float = 15.0,
    warn_ms: float = 1000.0,
    warn_connect_ms: float = 2000.0,
) -> Health:
    try:
        db = rt.target.display
    except TodoError as e:  # a bad URL or setting: the check itself cannot run
        return unknown("(unresolved)", e.message)
    out: dict[str, Any] = {}
    worker = threading.Thread(target=_probe, args=(rt, timeout_s, out), daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():  # a stalled server: leave the thread behind, the process ends soon
        reason = f"timed out after {timeout_s:g} s"
        return Health("critical", db, reason, checks=[_check("connect", "critical", reason)])
    err = out.get("error")
    if err is not None:
        if isinstance(err, DatabaseUnavailable):
            what = "authentication failed" if err.auth else "unreachable"
            return Health("critical", db, err.message, checks=[_check("connect", "critical", what)])
        if isinstance(err, TodoError):
            return unknown(db, err.message)
        return Health("critical", db, f"{type(err).__name__}: {err}")
    connect_ms, query_ms = out["connect_ms"], out["query_ms"]
    h = Health(
        "ok",
        db,
        "",
        latency_ms=round(connect_ms + query_ms, 1),
        connect_ms=round(connect_ms, 1),
        query_ms=round(query_ms, 1),
        server_version=out["server_version"],
        current=out["current"],
    )
    slow = query_ms > warn_ms
    slow_connect = connect_ms > warn_connect_ms
    connected = f"connected in {connect_ms:.0f} ms"
    if slow_connect:
        connected += f" (slower than {warn_connect_ms:g} ms: a cold start?)"
    h.checks = [
        _check("connect", "warning" if slow_connect else "ok", connected, ms=h.connect_ms),
        _check("query", "warning" if slow else "ok", f"query {query_ms:.0f} ms", ms=h.query_ms),
    ]
    if h.current == SCHEMA_HEAD:
        schema = f"schema at head ({SCHEMA_HEAD})"
        h.checks.append(_check("schema", "ok", schema))
    else:
        schema = f"schema at {h.current or '(none)'}, head is {SCHEMA_HEAD}: run todo db migrate"
        h.checks.append(_check("schema", "warning", schema))
    if slow or slow_connect or h.current != SCHEMA_HEAD:
        h.status = "warning"
    slow_note = f" (slower than {warn_ms:g} ms)" if slow else ""
    h.summary = f"{connected}, query {query_ms:.0f} ms{slow_note}, {schema}"
    return h
