"""Bad input to the task commands, on both backends: one `error: ` line on stderr, exit 2
(docs/reference.md), nothing on stdout, no traceback, and the database exactly as it was."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.dbutil import connect, insert_user, migrate_db, rows
from tests.helpers import Run, add, js, local_tz, proc, todo
from todo_cli.config import parse_url
from todo_cli.models import Task
from todo_cli.when import HELP

OPTION_ERROR = "error: Invalid value for "
EMPTY = "error: title must not be empty\n"
LONG_TITLE = "error: title must be at most 200 characters (got 201)\n"
LONG_DESC = "error: description must be at most 1000 characters (got 1001)\n"
NOTHING = "error: nothing to change: give a new title, --due, --project, tags or the like\n"
PAGE_SIZE = "error: page size must be between 1 and 500 (got {})\n"


def bad_date(text: str) -> str:
    return f"error: bad date {text!r}: expected {HELP}\n"


def nul(field: str) -> str:
    return f"error: {field} contains a NUL character, which cannot be stored\n"


def bad_tag(tag: str) -> str:
    return f"error: tag {tag!r} must be 1-64 characters without spaces\n"


WHICH = "error: say which tasks to {}"


def missing(arg: str, command: str) -> str:
    return f"error: Missing argument {arg!r}. (see: todo {command} --help)\n"


# (args, the exact stderr, or its start when the text comes from Typer)
CASES: list[tuple[list[str], str]] = [
    (["add", ""], EMPTY),
    (["add", "   "], EMPTY),
    (["add", " \t\n "], EMPTY),
    (["add", "x" * 201], LONG_TITLE),
    (["add", "ok", "-d", "y" * 1001], LONG_DESC),
    (["add", "ok", "--due", "someday"], bad_date("someday")),
    (["add", "ok", "--due", "2026-13-01"], "error: bad date '2026-13-01': there is no month 13\n"),
    (
        ["add", "ok", "--due", "2026-02-30"],
        "error: bad date '2026-02-30': February 2026 has 28 days\n",
    ),
    (["add", "ok", "--due", "+3x"], bad_date("+3x")),
    (["add", "ok", "--due", ""], bad_date("")),
    (["add", "ok", "-p", "urgent"], OPTION_ERROR + "'--priority' / '-p': "),
    (["add", "a\x00b"], nul("title")),
    (["add", "ok", "-d", "a\x00b"], nul("description")),
    (["add", "ok", "-t", "two words"], bad_tag("two words")),
    (["add", "ok", "-t", ""], bad_tag("")),
    (["add"], missing("WORDS...", "add")),
    (["show"], missing("ID", "show")),
    (["show", "abc"], OPTION_ERROR + "'ID': "),
    (["show", "1.5"], OPTION_ERROR + "'ID': "),
    (
        ["edit", "abc", "--title", "x"],
        "error: say which tasks to edit: todo edit ID... then what to change\n",
    ),
    (["edit", "--title", "x"], missing("ID... [WORDS...]", "edit")),
    (["edit", "1"], NOTHING),
    (["edit", "1", "--title", ""], EMPTY),
    (["edit", "1", "--title", "  "], EMPTY),
    (["edit", "1", "--title", "x" * 201], LONG_TITLE),
    (["edit", "1", "--title", "a\x00"], nul("title")),
    (["edit", "1", "-d", "y" * 1001], LONG_DESC),
    (["edit", "1", "--due", "soon"], bad_date("soon")),
    (["edit", "1", "--due", "today", "--no-due"], "error: give --due or --no-due, not both\n"),
    (["edit", "1", "-p", "urgent"], OPTION_ERROR + "'--priority' / '-p': "),
    (["edit", "1", "-t", "a b"], bad_tag("a b")),
    (["complete"], WHICH.format("complete") + ": give their ids, or filter options (--help)\n"),
    (["complete", "1", "two"], OPTION_ERROR + "'[ID]...': "),
    (["reopen"], WHICH.format("reopen") + ": give their ids, or filter options (--help)\n"),
    (["reopen", "x"], OPTION_ERROR + "'[ID]...': "),
    (["delete"], WHICH.format("delete") + ": give their ids, or filter options (--help)\n"),
    (["delete", "x", "--hard", "--yes"], OPTION_ERROR + "'[ID]...': "),
    (["restore"], WHICH.format("restore") + ": their ids (todo trash lists them)\n"),
    (["restore", "1x"], OPTION_ERROR + "'[ID]...': "),
    (["list", "--page", "0"], "error: page must be 1 or more (got 0)\n"),
    (["list", "--page", "-1"], "error: page must be 1 or more (got -1)\n"),
    (["list", "--page", "x"], OPTION_ERROR + "'--page': "),
    (["list", "--page-size", "0"], PAGE_SIZE.format(0)),
    (["list", "--page-size", "501"], PAGE_SIZE.format(501)),
    (["list", "--sort", "size"], OPTION_ERROR + "'--sort': "),
    (["list", "--status", "done"], OPTION_ERROR + "'--status': "),
    (["list", "--bogus"], "error: No such option: --bogus"),
    (["trash", "--page", "0"], "error: page must be 1 or more (got 0)\n"),
    (["trash", "--page-size", "501"], PAGE_SIZE.format(501)),
    (
        ["purge", "--older-than", "-1", "--yes"],
        "error: --older-than must be 0 or more days (got -1)\n",
    ),
    (["purge", "--older-than", "a", "--yes"], OPTION_ERROR + "'--older-than': "),
]


@pytest.fixture(autouse=True)
def _utc() -> Iterator[None]:
    with local_tz("UTC"):
        yield


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def populated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One database per backend for the whole module, shared because every test here asserts
    that it is left unchanged: user `tester` with a live task 1, a completed task 2 and a
    trashed task 3 (so that a bad edit has a target)."""
    if request.param == "sqlite":
        yield _prepare(f"sqlite:///{tmp_path_factory.mktemp('bad_input') / 'test.db'}")
        return
    import psycopg2

    admin_url = os.environ.get("TODO_TEST_DATABASE_URL")
    if not admin_url:
        pytest.skip("PostgreSQL tests need TODO_TEST_DATABASE_URL")
    admin = parse_url(admin_url).set(drivername="postgresql")
    name = f"todo_test_{uuid.uuid4().hex[:12]}"
    conn = psycopg2.connect(admin.render_as_string(hide_password=False))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        yield _prepare(admin.set(database=name).render_as_string(hide_password=False))
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def _prepare(url: str) -> str:
    migrate_db(url)
    insert_user(url, "tester", "tester@example.com")
    due = datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC)
    now = datetime.now(UTC)
    columns = "user_id description priority due tags completed completed_at deleted_at"
    base = dict.fromkeys(columns.split()) | {"user_id": "tester", "tags": [], "completed": False}
    base |= {"created_at": now, "updated_at": now}
    table = Task.__table__  # type: ignore[attr-defined]
    with connect(url) as c:
        c.execute(
            table.insert(),
            [
                {
                    **base,
                    "title": "first",
                    "description": "notes",
                    "priority": 1,
                    "due": due,
                    "tags": ["home"],
                },
                {**base, "title": "second", "completed": True, "completed_at": now},
                {**base, "title": "third", "deleted_at": now},
            ],
        )
    return url


def _todo(url: str, *args: str) -> Run:
    return todo(url, *args, user="tester")


def _check_refused(r_exit: int, stdout: str, stderr: str, expected: str) -> None:
    assert (r_exit, stdout) == (2, ""), stderr
    assert stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    assert "Traceback" not in stderr
    if expected.endswith("\n"):
        assert stderr == expected
    else:
        assert stderr.startswith(expected), stderr


@pytest.mark.parametrize(("args", "expected"), CASES, ids=[" ".join(a)[:40] for a, _ in CASES])
def test_bad_input_is_refused_and_changes_nothing(
    populated: str, args: list[str], expected: str
) -> None:
    before = rows(populated)
    assert len(before) == 3
    r = _todo(populated, *args)
    _check_refused(r.exit_code, r.stdout, r.stderr, expected)
    assert rows(populated) == before


def test_bad_input_as_a_real_process(populated: str) -> None:
    before = rows(populated)
    for args, expected in [
        (["add", "   "], EMPTY),
        (["add", "x", "--due", "someday"], bad_date("someday")),
        (["show", "abc"], OPTION_ERROR + "'ID': "),
        (["list", "--page-size", "501"], PAGE_SIZE.format(501)),
    ]:
        r = proc("--database-url", populated, "--user", "tester", *args, env={"TZ": "UTC"})
        _check_refused(r.exit_code, r.stdout, r.stderr, expected)
    assert rows(populated) == before


def test_the_limits_themselves_are_accepted(db_url: str) -> None:
    title, description = "t" * 200, "d" * 1000
    task = add(db_url, title, "-d", description)
    assert (task["title"], task["description"]) == (title, description)
    assert (rows(db_url)[0]["title"], rows(db_url)[0]["description"]) == (title, description)
    edited = js(db_url, "edit", "1", "--title", "é" * 200, "-d", "€" * 1000)
    assert (edited["title"], edited["description"]) == ("é" * 200, "€" * 1000)
    assert rows(db_url)[0]["title"] == "é" * 200


def test_unknown_ids_are_not_found_not_bad_input(populated: str) -> None:
    before = rows(populated)
    r = _todo(populated, "show", "0")
    assert (r.exit_code, r.stderr) == (1, "error: no task with id 0\n")
    r = _todo(populated, "edit", "42", "--title", "x")
    assert (r.exit_code, r.stderr) == (1, "error: no task with id 42\n")
    assert rows(populated) == before


@pytest.mark.parametrize("command", [["show"], ["complete"], ["delete", "--hard", "--yes"]])
def test_an_id_beyond_64_bits_is_simply_not_found(db_url: str, command: list[str]) -> None:
    add(db_url, "a")
    before = rows(db_url)
    big = str(2**63)
    r = todo(db_url, command[0], big, *command[1:])
    tail = "" if command == ["show"] else "; nothing was changed"
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", f"error: no task with id {big}{tail}\n")
    assert rows(db_url) == before


@pytest.mark.parametrize(
    "args", [["add", "\udcff"], ["add", "ok", "-d", "caf\udce9"], ["add", "ok", "-t", "\udcff"]]
)
def test_text_that_is_not_utf8_is_bad_input(db_url: str, args: list[str]) -> None:
    """Undecodable argv bytes (`todo add $'\\xff'`) arrive as lone surrogates."""
    r = todo(db_url, *args)
    position = 2 + len(args)  # counted after the program name: --database-url URL ARGS
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == f"error: argument {position} is not valid UTF-8 text\n"
    assert rows(db_url) == []
