"""Fixtures: a fresh SQLite file per test, and a fresh PostgreSQL database per test when
TODO_TEST_DATABASE_URL points at a server (the fixture creates and drops it).

The schema always comes from running the migrations, never from `create_all`.
Set TODO_TEST_NO_SKIP=1 (as .ci/run does) to turn every skip into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PG_ENV = "TODO_TEST_DATABASE_URL"
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test gets its own data dir and cwd, and no database settings leak in."""
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("TODO_HOME", str(home))
    for var in ("DATABASE_URL", "DATABASE_URL_DIRECT", "TODO_USER", "TODO_SLOW_MS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(work)
    # Keep retries of unreachable servers short; fault-injection tests set their own deadline.
    monkeypatch.setenv("TODO_RETRY_SECONDS", "1")
    # The command server: off unless this is the server pass (TODO_TEST_SERVER=on, which runs
    # subprocess commands through a server of this test's data dir); stopped afterwards.
    from tests import servers

    monkeypatch.setenv("TODO_SERVER", "on" if servers.server_pass() else "off")
    monkeypatch.delenv("TODO_SERVER_IDLE", raising=False)
    monkeypatch.delenv("TODO_SERVER_SPARE_AGE", raising=False)
    yield
    servers.stop_all(tmp_path)


def _pg_admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(
            f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1/postgres)"
        )
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database for this test; dropped afterwards."""
    import psycopg2
    from sqlalchemy.engine import make_url

    from todo_cli.config import parse_url

    admin = parse_url(_pg_admin_url())
    name = f"todo_test_{uuid.uuid4().hex[:12]}"
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        yield make_url(dsn).set(database=name).render_as_string(hide_password=False)
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest) -> str:
    """An empty database URL, once per backend."""
    name = "pg_url" if request.param == "postgresql" else "sqlite_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def db_url(empty_url: str) -> str:
    """A database URL migrated to head, once per backend."""
    from tests.dbutil import migrate_db

    migrate_db(empty_url)
    return empty_url


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    from tests.taskwarrior import TaskwarriorMissing

    exc = call.excinfo
    if exc is not None and exc.errisinstance(TaskwarriorMissing) and call.when != "teardown":
        path, line, _ = item.location  # a newcomer without the apt packages: a skip
        report.outcome = "skipped"
        report.longrepr = (str(path), (line or 0) + 1, f"Skipped: {exc.value}")
    if (
        os.environ.get("TODO_TEST_NO_SKIP") == "1"
        and report.skipped
        and not hasattr(report, "wasxfail")
    ):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped, but TODO_TEST_NO_SKIP=1 forbids skips: {reason}"


@contextmanager
def pgbouncer(settings: str = "", users: tuple[str, ...] = ()) -> Iterator[int]:
    """PgBouncer in transaction mode in front of the test server (Neon's `-pooler` stand-in),
    with extra `settings` lines for its [pgbouncer] section and extra login roles it lets
    through; yields its port."""
    import shutil
    import socket
    import subprocess
    import tempfile
    import time

    from todo_cli.config import parse_url

    admin = parse_url(_pg_admin_url())
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not os.path.exists(binary):
        pytest.skip("PgBouncer is not installed (apt-get install pgbouncer)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Not under pytest's tmp dir: PgBouncer runs as `postgres` and must reach its files.
    work = Path(tempfile.mkdtemp(prefix="todo-pgbouncer-"))
    work.chmod(0o777)
    ini = work / "pgbouncer.ini"
    users_file = work / "users.txt"
    logins = [admin.username or "postgres", *users]
    users_file.write_text("".join(f'"{name}" ""\n' for name in logins))
    ini.write_text(
        "[databases]\n"
        f"* = host={admin.host or '127.0.0.1'} port={admin.port or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\n"
        f"unix_socket_dir =\nauth_type = trust\nauth_file = {users_file}\n"
        "pool_mode = transaction\nmax_client_conn = 200\ndefault_pool_size = 10\n"
        f"logfile = {work / 'pgbouncer.log'}\npidfile = {work / 'pgbouncer.pid'}\n" + settings
    )
    for f in (ini, users_file):
        f.chmod(0o644)
    cmd = [binary, str(ini)]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        cmd = [binary, "-u", "postgres", str(ini)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None:
                raise RuntimeError(
                    f"pgbouncer exited: {proc.stderr.read().decode() if proc.stderr else ''}"
                )
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def pgbouncer_port() -> Iterator[int]:
    with pgbouncer() as port:
        yield port


@pytest.fixture
def pooled_url(pg_url: str, pgbouncer_port: int) -> str:
    """The test database through PgBouncer (transaction mode), already migrated directly."""
    from sqlalchemy.engine import make_url

    from tests.dbutil import migrate_db

    migrate_db(pg_url)
    url = make_url(pg_url).set(port=pgbouncer_port)
    return url.render_as_string(hide_password=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line for all the PostgreSQL tests skipped for want of a server, and one for those
    skipped for want of a Debian package (Taskwarrior, libfaketime, PgBouncer), not one each."""
    skipped = terminalreporter.stats.get("skipped", [])
    reasons = [str(r.longrepr[2] if isinstance(r.longrepr, tuple) else r.longrepr) for r in skipped]
    tools = sum("apt-get install" in reason for reason in reasons)
    pg = sum(PG_ENV in reason for reason in reasons)
    if tools:
        terminalreporter.write_line(
            f"{tools} tests skipped: they need Debian packages, installed by"
            " `apt-get install taskwarrior faketime pgbouncer` (as .ci/run does)"
        )
    if pg:
        terminalreporter.write_line(
            f"{pg} PostgreSQL tests skipped: set {PG_ENV} to a server where"
            " they may create databases (e.g. postgresql://postgres@127.0.0.1/postgres) to run"
            " them too"
        )
