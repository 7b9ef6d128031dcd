"""Secrets audit: every error path we can provoke (unreachable port, unknown host, bad role and
database on the real server, a stalled server, an un-migrated or broken schema, unsupported
and malformed URLs, a password with %-escapes), with `--verbose` (tracebacks) and `--profile`,
the URL given by flag, by DATABASE_URL and by ./.env. The password is a unique marker; it never
appears in stdout, stderr or any file under the data dir or the working directory.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable
from fnmatch import fnmatch
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest

from tests.conftest import _pg_admin_url
from tests.dbutil import migrate_db
from tests.faultproxy import FaultProxy
from tests.helpers import Run, cli, proc
from todo_cli.config import parse_url

NEEDLE = uuid.uuid4().hex  # in every encoding of the password below
PW = f"pw-MARKER-{NEEDLE}"
ROOT = Path(__file__).resolve().parents[1]
COMMANDS = [
    ["list"],
    ["--verbose", "add", "x", "--json"],
    ["--profile", "chat", "list"],
    ["--verbose", "chat", "list", "--json"],
    ["user", "whoami", "--json"],
    ["db", "migrate"],
    ["--verbose", "db", "migrate"],
    ["db", "migrate", "--sql"],
    ["db", "current", "--json"],
    ["--verbose", "db", "history"],
    ["db", "health", "--json", "--timeout", "0.5"],
    ["db", "health", "--timeout", "0.5"],
]


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TODO_RETRY_SECONDS", "0.3")  # long enough for one logged retry


def server() -> tuple[str, int, str]:
    admin = parse_url(_pg_admin_url())
    return admin.host or "127.0.0.1", admin.port or 5432, admin.username or "postgres"


def with_password(url: str, password: str = PW) -> str:
    return re.sub(r"://([^:@/]*)(:[^@/]*)?@", rf"://\1:{password}@", url, count=1)


def broken(pg_url: str, sql: str) -> str:
    migrate_db(pg_url)
    conn = psycopg2.connect(pg_url)
    conn.autocommit = True
    with conn, conn.cursor() as cur:
        cur.execute(sql)
    conn.close()
    return with_password(pg_url)


UNREACHABLE = f"postgresql://postgres:{PW}@127.0.0.1:1/todo"
CASES: dict[str, Callable[[pytest.FixtureRequest], str]] = {
    "unreachable-port": lambda r: UNREACHABLE,
    "unknown-host": lambda r: f"postgresql://postgres:{PW}@nonexistent.invalid/todo",
    "percent-escapes": lambda r: f"postgresql://u:p%40ss%2F{PW}%3A@127.0.0.1:1/todo",
    "unsupported-scheme": lambda r: f"mysql://root:{PW}@db.example.com/todo",
    "bad-port": lambda r: f"postgresql://u:{PW}@localhost:99999/todo",
    "non-numeric-port": lambda r: f"postgresql://u:{PW}@localhost:abc/todo",
    "no-host": lambda r: f"postgresql://u:{PW}@/todo",
    "broken-ipv6": lambda r: f"postgresql://u:{PW}@[::1/todo",
    "bad-sslmode": lambda r: f"postgresql://u:{PW}@127.0.0.1:1/todo?sslmode=bogus",
    "bad-role": lambda r: "postgresql://no_such_role_x:{}@{}:{}/postgres".format(PW, *server()),
    "bad-database": lambda r: "postgresql://{2}:{3}@{0}:{1}/no_such_db_x".format(*server(), PW),
    "unmigrated": lambda r: with_password(r.getfixturevalue("pg_url")),
    "unknown-revision": lambda r: broken(
        r.getfixturevalue("pg_url"), "UPDATE alembic_version SET version_num = 'zzzz'"
    ),
    "missing-table": lambda r: broken(r.getfixturevalue("pg_url"), "DROP TABLE messages CASCADE"),
}


def leaked_files(tmp_path: Path) -> list[str]:
    """Files under the data dir and the working directory that hold the marker."""
    found = []
    for path in (tmp_path / "home").rglob("*"), (tmp_path / "work").rglob("*"):
        for f in path:
            if f.is_file() and f.name != ".env" and NEEDLE.encode() in f.read_bytes():
                found.append(str(f))
    return found


def todo(*args: str) -> Run:
    """`cli`, with the `todo` logger put back afterwards: `--verbose` points it at this
    invocation's stderr, which is gone by the next one (a real process runs one command)."""
    logger, retry = logging.getLogger("todo"), logging.getLogger("todo.retry")
    saved = (logger.handlers[:], logger.level, logger.propagate, retry.disabled)
    try:
        return cli(*args)
    finally:
        logger.handlers[:], logger.level, logger.propagate, retry.disabled = saved


def audit(tmp_path: Path, *prefix: str, commands: list[list[str]] = COMMANDS) -> list[Run]:
    runs = []
    for args in commands:
        r = todo(*prefix, *args)
        assert NEEDLE not in r.stdout + r.stderr, (args, r)
        if "--verbose" not in args:
            assert "Traceback" not in r.stderr, (args, r)
        runs.append(r)
    assert leaked_files(tmp_path) == []
    return runs


@pytest.mark.parametrize("case", list(CASES))
def test_no_error_path_prints_the_password(
    case: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    runs = audit(tmp_path, "--database-url", CASES[case](request))
    assert any(r.exit_code != 0 for r in runs)  # the error path was taken


@pytest.mark.parametrize("source", ["env", "dotenv"])
@pytest.mark.parametrize("case", ["unreachable-port", "bad-role", "unmigrated"])
def test_url_from_the_environment_or_dotenv(
    case: str,
    source: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = CASES[case](request)
    if source == "env":
        monkeypatch.setenv("DATABASE_URL", url)
    else:
        (tmp_path / "work" / ".env").write_text(f"DATABASE_URL={url}\n")
    runs = audit(tmp_path)
    assert runs[0].exit_code == 1, runs[0]


@pytest.mark.parametrize("case", ["unreachable-port", "bad-role", "missing-table"])
def test_real_process_with_tracebacks(
    case: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = CASES[case](request)
    runs = [
        proc("--database-url", url, *args)
        for args in (
            ["--verbose", "chat", "list"],
            ["--verbose", "db", "migrate"],
            ["--profile", "chat", "list"],
        )
    ]
    for r in runs:
        assert NEEDLE not in r.stdout + r.stderr, r
    assert runs[0].exit_code == 1, runs[0]
    # An unreachable server and a wrong role are ordinary errors, told in one line even with
    # --verbose; a table dropped behind todo's back fails unexpectedly, and that traceback is
    # what must not hold the password.
    expected = case == "missing-table"
    assert ("Traceback" in runs[0].stderr) == expected, runs[0]
    assert leaked_files(tmp_path) == []


def test_stalled_server(pg_url: str, tmp_path: Path) -> None:
    host, port, user = server()
    db = parse_url(pg_url).database
    with FaultProxy(port, target_host=host) as px:
        px.stall = True
        url = f"postgresql://{user}:{PW}@127.0.0.1:{px.port}/{db}"
        health = proc("--database-url", url, "db", "health", "--json", "--timeout", "2")
        slow = {"TODO_CONNECT_TIMEOUT": "2", "TODO_RETRY_SECONDS": "1"}
        everyday = proc("--database-url", url, "--verbose", "add", "x", env=slow)
    assert health.exit_code == 2 and '"status": "critical"' in health.stdout, health
    assert everyday.exit_code == 1 and "timeout" in everyday.stderr, everyday
    for r in (health, everyday):
        assert NEEDLE not in r.stdout + r.stderr, r
    assert leaked_files(tmp_path) == []


def test_dotenv_never_overrides_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = UNREACHABLE
    (tmp_path / "work" / ".env").write_text(
        f"DATABASE_URL={bad}\nDATABASE_URL_DIRECT={bad}\nTODO_USER=dotenv@example.com\n"
    )
    good = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("DATABASE_URL", good)
    monkeypatch.setenv("DATABASE_URL_DIRECT", good)
    monkeypatch.setenv("TODO_USER", "env@example.com")
    assert todo("user", "add", "env@example.com").exit_code == 0
    runs = audit(tmp_path, commands=[["add", "x", "--json"], ["db", "current"], ["list"]])
    assert [r.exit_code for r in runs] == [0, 0, 0], runs
    assert os.environ["DATABASE_URL"] == good
    assert os.environ["TODO_USER"] == "env@example.com"


def test_dotenv_is_git_ignored_and_the_example_holds_no_password() -> None:
    lines = (ROOT / ".gitignore").read_text().splitlines()
    patterns = [ln.strip().lstrip("/") for ln in lines if ln.strip() and ln[0] not in "#!"]
    assert any(fnmatch(".env", p) for p in patterns), patterns
    if shutil.which("git") and (ROOT / ".git").exists():
        assert (
            subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", ".env"]).returncode == 0
        )
    example = (ROOT / ".env.example").read_text()
    urls = re.findall(r"[a-z][a-z0-9+.-]*://\S+", example)
    assert urls, "the example shows the shape of DATABASE_URL"
    for url in urls:
        password = urlsplit(url).password
        assert password is None or re.fullmatch(r"[A-Z_]+|<[^>]*>", password), url
        assert not re.search(r"[?&]password=(?![A-Z_]+(&|$))", url), url


LEAKY_URLS = {
    "query password": f"postgresql://u@127.0.0.1:1/todo?password={PW}",
    "no // after the scheme": f"postgresql:/u:{PW}@127.0.0.1:1/todo",
    "no scheme": f"u:{PW}@127.0.0.1:1/todo",
    "raw @ in the password": f"postgresql://u:p@ss-{PW}@127.0.0.1:1/todo",
}


@pytest.mark.parametrize("case", list(LEAKY_URLS))
def test_passwords_in_unusual_urls_are_hidden(case: str, tmp_path: Path) -> None:
    commands = [["--verbose", "list"], ["db", "health", "--json", "--timeout", "0.5"]]
    audit(tmp_path, "--database-url", LEAKY_URLS[case], commands=commands)


def test_a_password_equal_to_the_user_name_leaves_the_message_readable() -> None:
    r = todo("--database-url", "postgresql://postgres:postgres@127.0.0.1:1/todo", "list")
    assert r.exit_code == 1
    assert "postgresql+psycopg2://postgres:***@127.0.0.1:1/todo" in r.stderr, r.stderr
