"""Start-up stays lean: a command loads only what it needs (see bench/README.md, #3). Each
case runs in a fresh interpreter, so `sys.modules` shows exactly what the command imported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import cli

PROBE = """
import json, sys
sys.argv = ["todo", *sys.argv[1:]]
from todo_cli.cli.app import main
code = 0
try:
    main()
except SystemExit as e:
    code = e.code
names = ("sqlalchemy", "sqlmodel", "psycopg2", "sqlalchemy.dialects.postgresql", "rich.table")
loaded = {n: n in sys.modules for n in names}
print(json.dumps({"exit": code, **loaded}), file=sys.stderr)
"""


def loaded(*args: str, stdin: str = "") -> dict[str, object]:
    r = subprocess.run(
        [sys.executable, "-c", PROBE, *args], input=stdin, capture_output=True, text=True
    )
    result: dict[str, object] = json.loads(r.stderr.splitlines()[-1])
    assert result.pop("exit") in (0, None), r.stderr  # the command itself worked
    return result


def test_help_loads_no_database_code() -> None:
    got = loaded("--help")
    assert not got["sqlalchemy"] and not got["sqlmodel"]


@pytest.mark.parametrize("command", [["list"], ["add", "x"], ["import", "-"]])
def test_sqlite_commands_load_no_postgresql_code(sqlite_url: str, command: list[str]) -> None:
    assert cli("--database-url", sqlite_url, "db", "migrate").exit_code == 0
    got = loaded("--database-url", sqlite_url, *command, stdin='[{"title": "t"}]')
    assert got["sqlalchemy"]  # it did reach the database
    assert not got["psycopg2"] and not got["sqlalchemy.dialects.postgresql"]
