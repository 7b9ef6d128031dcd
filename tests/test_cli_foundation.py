"""The root command, the boundary's error handling, and `todo db ...`, in-process and real."""

from __future__ import annotations

import re

import pytest

from tests.helpers import cli, proc
from todo_cli import __version__
from todo_cli.models import SCHEMA_HEAD


def test_version_in_process_and_as_module() -> None:
    assert cli("--version").stdout == f"todo {__version__}\n"
    real = proc("--version")
    assert (real.exit_code, real.stdout) == (0, f"todo {__version__}\n")


def test_help_has_an_example() -> None:
    out = cli("--help").stdout
    assert "Example: todo add" in out
    for sub in (["db", "migrate"], ["db", "downgrade"], ["db", "current"], ["db", "history"]):
        assert "Example:" in cli(*sub, "--help").stdout


def test_unknown_flag_is_one_line_exit_2() -> None:
    r = cli("--bogus")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert re.fullmatch(r"error: No such option: --bogus.*\n", r.stderr)


def test_bad_url_is_exit_2_with_password_masked() -> None:
    r = proc("--database-url", "mysql://me:hunter2@db/x", "db", "current")
    assert r.exit_code == 2
    assert r.stderr == (
        "error: unsupported database URL 'mysql://me:***@db/x': "
        "use postgresql://... or sqlite:///path/to/file.db\n"
    )
    assert "hunter2" not in r.stdout + r.stderr


def test_unreachable_database_is_exit_1_no_traceback() -> None:
    r = proc("--database-url", "postgresql://me:hunter2@127.0.0.1:1/x", "db", "current")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: cannot reach database postgresql+psycopg2://me:***@")
    assert r.stderr.count("\n") == 1
    assert "Traceback" not in r.stderr and "hunter2" not in r.stderr


def test_verbose_gives_no_traceback_for_an_ordinary_error(db_url: str) -> None:
    unreachable = "postgresql://me:hunter2@127.0.0.1:1/x"
    for url, args in ((db_url, ["show", "9999"]), (unreachable, ["db", "current"])):
        r = cli("--verbose", "--database-url", url, *args)
        assert r.exit_code == 1 and "Traceback" not in r.stderr, r
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: "), r


def test_verbose_adds_a_traceback_to_an_unexpected_error(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from todo_cli import render_tasks

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(render_tasks, "task_detail", broken)  # a defect of ours, not the database's
    cli("--database-url", db_url, "add", "x")
    quiet = cli("--database-url", db_url, "show", "1")
    assert (quiet.exit_code, quiet.stderr) == (
        1,
        "error: unexpected RuntimeError: a bug (--verbose shows more)\n",
    )
    loud = cli("--verbose", "--database-url", db_url, "show", "1")
    assert loud.exit_code == 1 and "Traceback" in loud.stderr and "a bug" in loud.stderr
    assert loud.stderr.rstrip().splitlines()[-1].startswith("error: unexpected RuntimeError")


def test_migrate_is_idempotent_and_downgrade_removes(empty_url: str) -> None:
    first = cli("--database-url", empty_url, "db", "migrate")
    assert first.exit_code == 0, first.stderr
    assert first.stdout.endswith(f": (none) -> {SCHEMA_HEAD}\n")
    second = cli("--database-url", empty_url, "db", "migrate")
    assert (second.exit_code, second.stdout) == (
        0,
        f"already at head ({SCHEMA_HEAD}); nothing to do\n",
    )
    assert cli("--database-url", empty_url, "db", "current").stdout == f"{SCHEMA_HEAD} (head)\n"
    down = cli("--database-url", empty_url, "db", "downgrade", "base")
    assert down.exit_code == 0 and down.stdout.endswith(f": {SCHEMA_HEAD} -> (none)\n")
    assert "run: todo db migrate" in cli("--database-url", empty_url, "db", "current").stdout


def test_migrate_as_a_real_process(empty_url: str) -> None:
    r = proc("db", "migrate", env={"DATABASE_URL": empty_url})
    assert r.exit_code == 0, r.stderr
    r = proc("db", "current", "--json", env={"DATABASE_URL": empty_url})
    assert r.exit_code == 0
    import json

    data = json.loads(r.stdout)
    assert (data["current"], data["head"]) == (SCHEMA_HEAD, SCHEMA_HEAD)


def test_migrate_sql_prints_and_changes_nothing(empty_url: str) -> None:
    r = cli("--database-url", empty_url, "db", "migrate", "--sql")
    assert r.exit_code == 0
    assert "CREATE TABLE users" in r.stdout
    assert cli("--database-url", empty_url, "db", "current").stdout.startswith("(none)")


def test_history_lists_the_initial_revision(db_url: str) -> None:
    r = cli("--database-url", db_url, "db", "history")
    assert r.stdout == (
        "0009 -> 0010 (head, current), messages: one foreign key to their conversation and its "
        "user, instead of one to each\n"
        "0008 -> 0009, row-level security: each login role mapped to a user sees "
        "and changes only that user's rows\n"
        "0007 -> 0008, chat sources: where an imported conversation came from, message models, "
        "two more roles\n"
        "0006 -> 0007, the task model: uuids, projects, dates, recurrence, "
        "annotations, dependencies, journal\n"
        "0005 -> 0006, ids are never handed out twice: SQLite tables become AUTOINCREMENT\n"
        "0004 -> 0005, request keys: index only the rows that have one\n"
        "0003 -> 0004, search: angle brackets are separators on PostgreSQL too\n"
        "0002 -> 0003, idempotency keys for retried writes\n"
        "0001 -> 0002, full-text search over messages\n"
        "(none) -> 0001, initial schema\n"
    )


@pytest.mark.parametrize("args", [["db", "downgrade"], ["db", "migrate", "--revision"]])
def test_missing_arguments_exit_2(args: list[str]) -> None:
    r = cli(*args)
    assert r.exit_code == 2
    assert r.stderr.startswith("error: ")
