"""Two users in one database: another user's row reads exactly like a row that does not exist.

Every command taking an id is run by user B with user A's id and with an id that does not
exist; both must fail the same way and leave A's rows as they were. The commands are found in
the Typer app, so a new command that takes an id fails `test_every_id_command_is_covered`
until it is added to CASES below.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import typer

from tests.dbutil import query
from tests.helpers import add_user, json_of, new_conv, ok_run, say, todo
from todo_cli.cli.app import app

A, B = "ada", "bob"

# (command path, extra arguments after the id(s)[, stdin]); the ids come right after the path.
TASK_CASES: list[tuple[tuple[str, ...], list[str]]] = [
    (("show",), ["--json"]),
    (("info",), []),
    (("edit",), ["--title", "stolen"]),
    (("modify",), ["+stolen"]),
    (("complete",), []),
    (("done",), []),
    (("reopen",), []),
    (("start",), []),
    (("stop",), []),
    (("delete",), []),
    (("rm",), []),
    (("delete",), ["--hard", "--yes"]),
    (("restore",), []),
    (("annotate",), ["mine now"]),
    (("denotate",), ["secret"]),
]
ONE_ID = {("show",), ("info",), ("edit",), ("modify",), ("annotate",), ("denotate",)}
CHAT_CASES: list[tuple[tuple[str, ...], list[str], str | None]] = [
    (("chat", "show"), ["--json"], None),
    (("chat", "say"), ["stolen"], None),
    (("chat", "say"), ["-", "--role", "assistant"], "stolen from stdin"),
    (("chat", "rename"), ["stolen"], None),
    (("chat", "delete"), [], None),
    (("chat", "delete"), ["--yes"], None),
    (("chat", "export"), [], None),
    (("chat", "export"), ["--format", "markdown"], None),
]
# `todo user use|delete ID_OR_EMAIL` name people, who share the database by design.
SHARED_BY_DESIGN = {("user", "use"), ("user", "delete")}


def _id_commands() -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()

    def walk(cmd: Any, path: tuple[str, ...]) -> None:
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, (*path, name))
        for p in getattr(cmd, "params", []):
            name, metavar = p.name or "", p.metavar or ""
            if p.param_type_name == "argument" and (
                name == "ids" or name.endswith("_id") or "ID" in metavar
            ):
                found.add(path)

    walk(typer.main.get_command(app), ())
    return found


def test_every_id_command_is_covered() -> None:
    covered = {c[0] for c in TASK_CASES} | {c[0] for c in CHAT_CASES} | SHARED_BY_DESIGN
    found = _id_commands()
    assert found - covered == set(), "commands taking an id without an isolation test"
    assert {("show",), ("chat", "say"), ("user", "delete")} <= found  # the discovery works


@pytest.fixture
def two_users(db_url: str) -> str:
    add_user(db_url, "ada@example.com", A)
    add_user(db_url, "bob@example.com", B)
    return db_url


def _row(db_url: str, table: str, row_id: int) -> list[tuple[Any, ...]]:
    return query(db_url, f"SELECT * FROM {table} WHERE id = :i", i=row_id)


def _same_as_missing(
    db_url: str,
    args: Callable[[list[int]], list[str]],
    theirs: int,
    own: int | None = None,
    stdin: str | None = None,
) -> None:
    """B with A's id fails exactly like B with a missing id (and, for commands taking many
    ids, also next to one of B's own ids)."""
    missing = theirs + 1000
    for ids in [[theirs]] + ([[own, theirs]] if own is not None else []):
        expected = todo(db_url, *args([missing if i == theirs else i for i in ids]), user=B,
                        input=stdin)  # fmt: skip
        got = todo(db_url, *args(ids), user=B, input=stdin)
        assert (expected.exit_code, expected.stdout) == (1, ""), expected
        assert expected.stderr.count("\n") == 1 and expected.stderr.startswith("error: no ")
        assert (got.exit_code, got.stdout) == (1, "")
        assert got.stderr == expected.stderr.replace(str(missing), str(theirs))


@pytest.mark.parametrize("trashed", [False, True], ids=["live", "trashed"])
@pytest.mark.parametrize(("path", "extra"), TASK_CASES, ids=lambda v: " ".join(v) or "-")
def test_task_commands_with_another_users_id(
    two_users: str, path: tuple[str, ...], extra: list[str], trashed: bool
) -> None:
    db = two_users
    theirs = json_of(todo(db, "add", "ada's task", "-t", "private", "--json", user=A))["id"]
    ok_run(todo(db, "annotate", str(theirs), "secret", user=A))
    if path == ("reopen",) and not trashed:
        ok_run(todo(db, "complete", str(theirs), user=A))
    if trashed:
        ok_run(todo(db, "delete", str(theirs), user=A))
    own = json_of(todo(db, "add", "bob's task", "--json", user=B))["id"]
    if path == ("restore",):
        ok_run(todo(db, "delete", str(own), user=B))
    before, own_before = _row(db, "tasks", theirs), _row(db, "tasks", own)

    def args(ids: list[int]) -> list[str]:
        return [*path, *map(str, ids), *extra]

    multi = path not in ONE_ID
    _same_as_missing(db, args, theirs, own if multi else None)
    assert _row(db, "tasks", theirs) == before
    if multi:  # all or nothing: B's own task is untouched too
        assert _row(db, "tasks", own) == own_before


@pytest.mark.parametrize(("path", "extra", "stdin"), CHAT_CASES, ids=lambda v: str(v))
def test_chat_commands_with_another_users_id(
    two_users: str, path: tuple[str, ...], extra: list[str], stdin: str | None
) -> None:
    db = two_users
    theirs = new_conv(db, "ada's chat", user=A)
    say(db, theirs, "ada's secret", user=A)
    new_conv(db, "bob's chat", user=B)
    messages = "SELECT * FROM messages WHERE conversation_id = :c ORDER BY id"
    before = (_row(db, "conversations", theirs), query(db, messages, c=theirs))

    def args(ids: list[int]) -> list[str]:
        return [*path, *map(str, ids), *extra]

    _same_as_missing(db, args, theirs, stdin=stdin)
    assert (_row(db, "conversations", theirs), query(db, messages, c=theirs)) == before


def test_another_users_task_cannot_be_depended_on(two_users: str) -> None:
    db = two_users
    theirs = json_of(todo(db, "add", "ada's task", "--json", user=A))["id"]
    own = json_of(todo(db, "add", "bob's", "--json", user=B))["id"]
    for args in (
        ["add", "x", "--depends", str(theirs)],
        ["edit", str(own), "--depends", str(theirs)],
    ):
        r = todo(db, *args, user=B)
        assert (r.exit_code, r.stdout) == (1, ""), r
        assert r.stderr.startswith(f"error: no task with id {theirs}")
    assert query(db, "SELECT count(*) FROM task_dependencies") == [(0,)]


def test_listings_never_show_another_users_rows(two_users: str) -> None:
    db = two_users
    for title in ("ada live", "ada done", "ada trashed"):
        ok_run(todo(db, "add", title, "-t", "shared", user=A))
    ok_run(todo(db, "complete", "2", user=A))
    ok_run(todo(db, "delete", "3", user=A))
    say(db, new_conv(db, "ada chat", user=A), "shared words", user=A)
    ok_run(todo(db, "add", "bob live", "-t", "shared", user=B))
    say(db, new_conv(db, "bob chat", user=B), "shared words too", user=B)
    tasks = [
        ["list", "--status", "all", "--json"],
        ["list", "-t", "shared", "--json"],
        ["list", "-s", "ada", "--status", "all", "--json"],
        ["trash", "--json"],
    ]
    titles = [[t["title"] for t in json_of(todo(db, *a, user=B))["items"]] for a in tasks]
    assert titles == [["bob live"], ["bob live"], [], []]
    exported = json.loads(ok_run(todo(db, "export", user=B)).stdout)
    assert [t["title"] for t in exported] == ["bob live"]
    chats = json_of(todo(db, "chat", "list", "--json", user=B))
    assert ([c["title"] for c in chats["items"]], chats["total"]) == (["bob chat"], 1)
    hits = json_of(todo(db, "chat", "search", "shared", "--json", user=B))
    assert ([h["content"] for h in hits["items"]], hits["total"]) == (["shared words too"], 1)
    assert ok_run(todo(db, "purge", "--yes", user=B)).stdout == "purged 0 tasks\n"
    assert query(db, "SELECT id FROM tasks WHERE deleted_at IS NOT NULL") == [(3,)]
    assert json_of(todo(db, "trash", "--json", user=A))["total"] == 1
