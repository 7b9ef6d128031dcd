"""Show the query plans of a real `todo` command, and time its queries alone.

Runs the command in-process with a SQLAlchemy hook that records every statement it sends,
then replays each SELECT that reads `tasks` with EXPLAIN ANALYZE (PostgreSQL) or EXPLAIN QUERY
PLAN (SQLite) on a plain driver connection, and times it (median of --repeat executions).
Nothing in todo_cli is changed; this is how bench/README.md's plans were obtained.

    .venv/bin/python bench/explain.py --database-url URL --user big list --page 2
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sqlite3
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

import psycopg2


@dataclass
class Query:
    sql: str
    params: Any
    plan: str = ""
    median_ms: float = 0.0


def capture(url: str, user: str | None, args: list[str]) -> list[tuple[str, Any]]:
    """Run `todo --database-url URL [--user U] ARGS...` here and return its statements."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    seen: list[tuple[str, Any]] = []

    def hook(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        seen.append((statement, params))

    event.listen(Engine, "before_cursor_execute", hook)
    from todo_cli.cli.app import main as todo_main

    argv = ["--database-url", url, *(["--user", user] if user else []), *args]
    old = sys.argv
    sys.argv = ["todo", *argv]
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
            todo_main()
    finally:
        sys.argv = old
        event.remove(Engine, "before_cursor_execute", hook)
    return seen


def _time(run: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def explain(url: str, statements: list[tuple[str, Any]], repeat: int) -> list[Query]:
    wanted = [
        Query(sql, params)
        for sql, params in statements
        if sql.lstrip().upper().startswith("SELECT") and "tasks" in sql
    ]
    if url.startswith("sqlite"):
        con = sqlite3.connect(url.split(":///", 1)[1])
        for q in wanted:
            rows = con.execute("EXPLAIN QUERY PLAN " + q.sql, q.params).fetchall()
            q.plan = "\n".join(f"{'  ' * (r[1] > 0)}{r[3]}" for r in rows)
            q.median_ms = _time(lambda q=q: con.execute(q.sql, q.params).fetchall(), repeat)
        con.close()
        return wanted
    dsn = url.replace("postgresql+psycopg2://", "postgresql://").replace(
        "postgres://", "postgresql://"
    )
    pg = psycopg2.connect(dsn)
    pg.autocommit = True
    with pg.cursor() as cur:
        for q in wanted:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + q.sql, q.params)
            q.plan = "\n".join(r[0] for r in cur.fetchall())

            def once(q: Query = q) -> None:
                cur.execute(q.sql, q.params)
                cur.fetchall()

            q.median_ms = _time(once, repeat)
    pg.close()
    return wanted


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--user")
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--json", action="store_true", help="print JSON (sql, params, plan, ms)")
    ap.add_argument("args", nargs=argparse.REMAINDER, help="the todo command, e.g. list")
    a = ap.parse_args(argv)
    queries = explain(a.database_url, capture(a.database_url, a.user, a.args), a.repeat)
    if a.json:
        print(json.dumps([q.__dict__ for q in queries], default=str))
        return 0
    for q in queries:
        print(f"-- query (median {q.median_ms:.2f} ms over {a.repeat}):\n{q.sql}\n-- {q.params}")
        print(f"-- plan:\n{q.plan}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
