"""Everyday habits: the command a user meant, honest messages when nothing changes, and a
closed pipe (`todo list | head`) ending the command quietly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.dbutil import query, seed
from tests.helpers import add, cli, js, ok, todo
from todo_cli.cli.suggest import MEANT, meant


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("next", "Did you mean 'list'?"),  # Taskwarrior's report, not `export` by its letters
        ("ls", "Did you mean 'list'?"),
        ("new", "Did you mean 'add'?"),
        ("finish", "Did you mean 'complete'?"),
        ("remove", "Did you mean 'delete'?"),
        ("lst", "Did you mean 'list'?"),  # a slip of the finger
        ("compelte", "Did you mean 'complete'?"),
    ],
)
def test_an_unknown_command_suggests_the_one_meant(typed: str, hint: str) -> None:
    r = cli(typed)
    assert r.exit_code == 2
    assert r.stderr == f"error: No such command {typed!r}. {hint} (see: todo --help)\n"


def test_groups_suggest_too_and_nonsense_suggests_nothing() -> None:
    assert cli("chat", "ls").stderr == (
        "error: No such command 'ls'. Did you mean 'list'? (see: todo chat --help)\n"
    )
    assert cli("db", "migrat").stderr == (
        "error: No such command 'migrat'. Did you mean 'migrate'? (see: todo db --help)\n"
    )
    assert cli("frobnicate").stderr == "error: No such command 'frobnicate'. (see: todo --help)\n"


def test_every_suggested_command_exists() -> None:
    from typer.main import get_command

    from todo_cli.cli.app import app

    commands = set(get_command(app).commands)  # type: ignore[attr-defined]
    assert set(MEANT) <= commands
    assert not {w for words in MEANT.values() for w in words} & commands  # no shadowing
    assert meant("NEXT", sorted(commands)) == ["list"]


def test_edit_says_when_a_tag_was_not_there_and_when_nothing_changed(db_url: str) -> None:
    add(db_url, "buy eggs", "-t", "shop")
    before = query(db_url, "SELECT updated_at FROM tasks")
    r = ok(db_url, "edit", "1", "--untag", "nope")
    assert r.stdout == "task 1 has no tag nope\nnothing to change on task 1: buy eggs\n"
    assert query(db_url, "SELECT updated_at FROM tasks") == before
    assert "edit" not in ok(db_url, "undo", "--list").stdout  # nothing to undo from it
    r = ok(db_url, "edit", "1", "--untag", "nope", "--untag", "shop")
    assert r.stdout == "task 1 has no tag nope\nupdated task 1: buy eggs\n"
    assert js(db_url, "show", "1")["tags"] == []
    r = ok(db_url, "edit", "1", "--priority", "high")
    assert r.stdout == "updated task 1: buy eggs\n"
    assert ok(db_url, "edit", "1", "-p", "high").stdout == "nothing to change on task 1: buy eggs\n"
    assert js(db_url, "edit", "1", "-p", "high", "--json")["priority"] == "high"


def test_state_changes_say_what_was_already_so(db_url: str) -> None:
    add(db_url, "a")
    assert ok(db_url, "reopen", "1").stdout == "task 1 was already pending: a\n"
    ok(db_url, "complete", "1")
    assert ok(db_url, "complete", "1").stdout == "task 1 was already completed: a\n"


def _closed_early(db_url: str, *args: str) -> tuple[int, bytes]:
    """Run todo ARGS with its stdout a pipe that the reader closes after one line."""
    env = {**os.environ, "COLUMNS": "400"}
    p = subprocess.Popen(
        [sys.executable, "-m", "todo_cli", "--database-url", db_url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert p.stdout is not None and p.stderr is not None
    p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read()
    return p.wait(timeout=120), err


def test_a_closed_pipe_ends_the_command_quietly(db_url: str) -> None:
    add(db_url, "first")
    [(uid,)] = query(db_url, "SELECT id FROM users")
    seed(db_url, str(uid), [f"{i:03d} " + "x" * 190 for i in range(499)])  # far beyond a pipe
    for args in (["list", "--page-size", "500"], ["list", "--json", "--page-size", "500"]):
        code, err = _closed_early(db_url, *args)
        assert err == b"", (args, err)
        assert code == -signal.SIGPIPE, (args, code)  # as `git log | head`: no message, no 1
    assert todo(db_url, "list", "--page-size", "1").exit_code == 0
