"""Neon's bad days, with the defaults a user has: a server that is silent before it answers,
a cut at the worst moment, a migration lock held by someone else, and a pooler where a
session is needed. Against the real server through `FaultProxy` and PgBouncer."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import pgbouncer
from tests.dbutil import migrate_db, query
from tests.faultproxy import FaultProxy
from tests.helpers import proc
from todo_cli.config import parse_url
from todo_cli.models import SCHEMA_HEAD
from todo_cli.services.database.lock import LOCK_ID

pytestmark = pytest.mark.postgres
DEFAULTS = {"TODO_RETRY_SECONDS": "", "TODO_CONNECT_TIMEOUT": ""}  # as a user has them


def _dsn(url: str) -> str:
    return parse_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_a_server_silent_for_three_seconds_then_answering(pg_url: str) -> None:
    migrate_db(pg_url)
    db = parse_url(pg_url).database or ""
    with FaultProxy(5432).silent_for(3.0) as px:
        start = time.monotonic()
        r = proc("--database-url", px.url(db), "add", "patience", env=DEFAULTS)
        took = time.monotonic() - start
    assert (r.exit_code, r.stdout, r.stderr) == (0, "added task 1: patience\n", "")
    assert took < 9  # short first attempts: well inside the 10 s budget
    assert query(pg_url, "SELECT title FROM tasks") == [("patience",)]


def test_a_cut_after_the_insert_then_silence_still_stores_one_task(pg_url: str) -> None:
    migrate_db(pg_url)
    db = parse_url(pg_url).database or ""
    with FaultProxy(5432).cut_on(b"INSERT", silent_after=2.5) as px:
        r = proc("--database-url", px.url(db), "add", "once only", env=DEFAULTS)
        reached = px.upstreams
    assert (r.exit_code, r.stdout) == (0, "added task 1: once only\n")
    assert r.stderr == ""
    assert query(pg_url, "SELECT title FROM tasks") == [("once only",)]
    # The first connection and the retry that got through: no connection that only shook hands.
    assert reached == 2


def test_a_cut_at_commit_says_the_import_may_have_been_applied(pg_url: str, tmp_path: Path) -> None:
    migrate_db(pg_url)
    db = parse_url(pg_url).database or ""
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([{"title": f"t{i}"} for i in range(2000)]))
    with FaultProxy(5432).cut_on(b"COMMIT\x00") as px:
        r = proc("--database-url", px.url(db), "import", str(path), env={"TODO_RETRY_SECONDS": "0"})
    assert r.exit_code == 1
    assert "while the change was being committed" in r.stderr
    assert "the change may have been applied: check with `todo list --status all" in r.stderr
    assert query(pg_url, "SELECT count(*) FROM tasks") == [(2000,)]  # it was


def test_a_cut_one_statement_write_says_it_may_have_been_applied(pg_url: str) -> None:
    migrate_db(pg_url)
    db = parse_url(pg_url).database or ""
    proc("--database-url", pg_url, "add", "first")  # the local user exists
    with FaultProxy(5432).cut_on(b"INSERT") as px:
        r = proc("--database-url", px.url(db), "add", "maybe", env={"TODO_RETRY_SECONDS": "0"})
    assert r.exit_code == 1
    assert "the change may have been applied: check with `todo list" in r.stderr
    assert query(pg_url, "SELECT count(*) FROM tasks") == [(2,)]


@pytest.mark.parametrize("command", ["migrate", "downgrade"])
def test_a_held_migration_lock_is_waited_for_then_named(pg_url: str, command: str) -> None:
    args = ["db", "migrate"]
    if command == "downgrade":  # from head, so that a downgrade has something to do
        migrate_db(pg_url)
        args = ["db", "downgrade", "0006", "--yes"]
    holder = psycopg2.connect(_dsn(pg_url), application_name="someone-else")
    holder.autocommit = True
    with holder.cursor() as cur:
        cur.execute(f"SELECT pg_advisory_lock({LOCK_ID})")
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        start = time.monotonic()
        r = proc("--database-url", pg_url, *args, "--lock-timeout", "1")
        took = time.monotonic() - start
    finally:
        holder.close()
    assert r.exit_code == 1
    assert f"waiting for the migration lock, held by pid {pid} (someone-else, connected since" in (
        r.stderr
    )
    assert re.search(
        r"error: gave up after 1 s waiting for the migration lock, held by pid", r.stderr
    )
    assert took < 30
    if command == "migrate":
        assert query(pg_url, "SELECT count(*) FROM pg_tables WHERE tablename = 'tasks'") == [(0,)]
    else:  # nothing was downgraded
        assert query(pg_url, "SELECT version_num FROM alembic_version") == [(SCHEMA_HEAD,)]
    ok = proc("--database-url", pg_url, *args)  # the lock is free now
    assert ok.exit_code == 0, ok.stderr


def test_migrating_through_a_transaction_pooler_is_refused(pg_url: str) -> None:
    # Round robin over two server connections: each transaction lands on the other one.
    with pgbouncer("server_round_robin = 1\nmin_pool_size = 2\n") as port:
        pooled = parse_url(pg_url).set(port=port).render_as_string(hide_password=False)
        # PgBouncer keeps its minimum of server connections while a client is connected.
        warm = psycopg2.connect(_dsn(pooled))
        warm.autocommit = True
        warm.cursor().execute("SELECT 1")
        time.sleep(2)
        r = proc("--database-url", pooled, "db", "migrate")
        warm.close()
    assert r.exit_code == 1
    assert r.stderr.startswith("error: this connection does not keep one database session")
    assert "DATABASE_URL_DIRECT" in r.stderr and r.stderr.count("\n") == 1
    assert query(pg_url, "SELECT count(*) FROM pg_tables WHERE tablename = 'tasks'") == [(0,)]
    held = query(pg_url, f"SELECT count(*) FROM pg_locks WHERE objid = {LOCK_ID}")
    assert held == [(0,)]


def test_profile_counts_every_connection_and_the_copy(pg_url: str, tmp_path: Path) -> None:
    migrate_db(pg_url)
    for args in (["db", "health"], ["db", "current"]):
        r = proc("--database-url", pg_url, "--profile", *args)
        assert "1 connection(s)" in r.stderr, (args, r.stderr)
    path = tmp_path / "t.json"
    path.write_text(json.dumps([{"title": "a"}, {"title": "b"}]))
    r = proc("--database-url", pg_url, "--profile", "import", str(path))
    assert re.search(r"-- +\d+ +[\d.]+ ms  COPY tasks \(", r.stderr), r.stderr
    gone = proc("--database-url", "postgresql://u@127.0.0.1:1/x", "--profile", "list")
    assert "connect -" not in gone.stderr
    assert "0 connection(s)" in gone.stderr


def test_a_slow_connect_is_a_warning_for_the_monitor(pg_url: str) -> None:
    migrate_db(pg_url)
    db = parse_url(pg_url).database or ""
    with FaultProxy(5432).silent_for(2.5) as px:
        r = proc("--database-url", px.url(db), "db", "health", "--timeout", "15", env=DEFAULTS)
    assert r.exit_code == 1, r.stdout
    assert re.fullmatch(
        r"WARNING - connected in \d+ ms \(slower than 2000 ms: a cold start\?\), query \d+ ms, "
        r"schema at head \(\d+\)\n",
        r.stdout,
    ), r.stdout
