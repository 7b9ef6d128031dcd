"""Crashes: `kill -9` in the middle of a large import or seed, and a database server restart
under a running command. Whatever happens, nothing committed is lost, nothing half-done is
kept, and the next command works without repair.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg2
import pytest

from tests.helpers import cli
from todo_cli.config import parse_url

IMPORT_TASKS = 100_000


def _dsn(url: str) -> str:
    return parse_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _count(url: str, table: str) -> int:
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    with psycopg2.connect(_dsn(url)) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")
        return int(cur.fetchone()[0])


def _busy(url: str, statement_prefix: str) -> Callable[[], bool]:
    """True once the command is visibly in the middle of its write transaction."""
    if url.startswith("sqlite"):
        wal = Path(url.removeprefix("sqlite:///") + "-wal")
        return lambda: wal.exists() and wal.stat().st_size > 2_000_000
    db = parse_url(url).database
    admin = os.environ["TODO_TEST_DATABASE_URL"]

    def check() -> bool:
        with psycopg2.connect(_dsn(admin)) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                "AND application_name = 'todo-cli' AND query LIKE %s",
                (db, statement_prefix + "%"),
            )
            return int(cur.fetchone()[0]) > 0

    return check


def _run_and_kill(args: list[str], busy: Callable[[], bool]) -> None:
    p = subprocess.Popen([sys.executable, "-m", "todo_cli", *args], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while not busy():
            assert p.poll() is None, "the command finished before it could be killed"
            assert time.monotonic() < deadline, "the command never got busy"
            time.sleep(0.02)
        os.kill(p.pid, signal.SIGKILL)
    finally:
        p.wait(30)
    assert p.returncode == -signal.SIGKILL


def test_kill_9_mid_import_keeps_the_database_as_it_was(db_url: str, tmp_path: Path) -> None:
    assert cli("--database-url", db_url, "add", "before the crash").exit_code == 0
    path = tmp_path / "big.json"
    records = [{"title": f"imported {i}", "tags": ["bulk"]} for i in range(IMPORT_TASKS)]
    path.write_text(json.dumps(records))
    busy = _busy(db_url, "COPY tasks") if db_url.startswith("postgresql") else _busy(db_url, "")
    _run_and_kill(["--database-url", db_url, "import", str(path)], busy)
    assert _count(db_url, "tasks") == 1
    # No manual repair: the next commands just work, and so does the import itself.
    listed = json.loads(cli("--database-url", db_url, "list", "--json").stdout)
    assert [t["title"] for t in listed["items"]] == ["before the crash"]
    r = cli("--database-url", db_url, "import", str(path))
    assert (r.exit_code, r.stdout) == (0, f"imported {IMPORT_TASKS:,} tasks\n"), r.stderr
    assert _count(db_url, "tasks") == IMPORT_TASKS + 1


def test_kill_9_mid_seed_keeps_the_database_as_it_was(db_url: str) -> None:
    assert cli("--database-url", db_url, "db", "seed").exit_code == 0
    before = {t: _count(db_url, t) for t in ("users", "tasks", "conversations", "messages")}
    args = ["--database-url", db_url, "db", "seed", "--users", "3", "--tasks", "60000"]
    _run_and_kill(args, _busy(db_url, "INSERT INTO tasks"))
    assert {t: _count(db_url, t) for t in before} == before
    r = cli("--database-url", db_url, "db", "seed")
    assert r.exit_code == 0 and r.stdout.startswith("seeded 0 users, 0 tasks")


def _pg_ctl() -> list[str]:
    ctl = shutil.which("pg_ctlcluster")
    if ctl is None or os.geteuid() != 0 or os.environ.get("TODO_TEST_ALLOW_RESTART") != "1":
        pytest.skip("restarting the server needs root, pg_ctlcluster and TODO_TEST_ALLOW_RESTART=1")
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return [ctl, "--skip-systemctl-redirect", version, "main"]


def test_server_restart_under_a_running_import(tmp_path: Path) -> None:
    """The server restarts while `todo import` runs: the command retries or fails cleanly,
    and afterwards the database holds the import exactly once or not at all."""
    ctl = _pg_ctl()
    admin = os.environ["TODO_TEST_DATABASE_URL"]
    name = f"todo_restart_{os.getpid()}"
    url = parse_url(admin).set(database=name).render_as_string(hide_password=False)
    conn = psycopg2.connect(_dsn(admin))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    conn.close()
    try:
        assert cli("--database-url", url, "db", "migrate").exit_code == 0
        assert cli("--database-url", url, "add", "committed before").exit_code == 0
        path = tmp_path / "big.json"
        path.write_text(json.dumps([{"title": f"t{i}"} for i in range(IMPORT_TASKS)]))
        env = {**os.environ, "TODO_RETRY_SECONDS": "30"}
        p = subprocess.Popen(
            [sys.executable, "-m", "todo_cli", "--database-url", url, "import", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        busy = _busy(url, "COPY tasks")
        deadline = time.monotonic() + 120
        while not busy() and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        subprocess.run([*ctl, "restart", "-m", "fast"], check=True, timeout=120)
        out, err = p.communicate(timeout=180)
        assert "Traceback" not in err
        if p.returncode == 0:
            assert out == f"imported {IMPORT_TASKS:,} tasks\n"
            assert _count(url, "tasks") == IMPORT_TASKS + 1
        else:
            assert p.returncode == 1 and err.startswith("error: ") and err.count("\n") == 1
            assert _count(url, "tasks") == 1
        assert cli("--database-url", url, "list").exit_code == 0
    finally:
        for _ in range(50):  # the server may still be coming back
            try:
                conn = psycopg2.connect(_dsn(admin))
                break
            except psycopg2.OperationalError:
                time.sleep(0.2)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.close()
