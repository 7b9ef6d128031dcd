"""Two users in one database: another user's task reads exactly like one that does not exist,
and stays untouched. The local user is created on first use as `<login>@localhost`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.dbutil import insert_user, rows, set_deleted_at, users
from tests.helpers import add, ids, js, local_tz, ok, proc, todo

BOB = "bob"


@pytest.fixture(autouse=True)
def _utc_and_login(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LOGNAME", "alice")
    with local_tz("UTC"):
        yield


@pytest.fixture
def two_users(db_url: str) -> str:
    """alice (the local user): live task 1, trashed task 2, completed task 3.
    bob (inserted with SQL): live task 4, trashed task 5."""
    add(db_url, "alice live", "-t", "secret")
    add(db_url, "alice trashed")
    add(db_url, "alice done")
    ok(db_url, "delete", "2")
    ok(db_url, "complete", "3")
    insert_user(db_url, BOB, "bob@example.com")
    add(db_url, "bob live", user=BOB)
    add(db_url, "bob trashed", user=BOB)
    ok(db_url, "delete", "5", user=BOB)
    return db_url


def _alice_rows(db_url: str) -> list[dict[str, object]]:
    return [r for r in rows(db_url) if r["user_id"] == "alice"]


MISSING = "error: no task with id {id}\n"
MISSING_MANY = "error: no task with id {id}; nothing was changed\n"
COMMANDS = [
    (["show", "{id}"], MISSING),
    (["show", "{id}", "--json"], MISSING),
    (["edit", "{id}", "--title", "mine now"], MISSING),
    (["complete", "{id}"], MISSING_MANY),
    (["reopen", "{id}"], MISSING_MANY),
    (["delete", "{id}"], MISSING_MANY),
    (["restore", "{id}"], MISSING_MANY),
]


@pytest.mark.parametrize(("command", "message"), COMMANDS, ids=lambda v: str(v)[:20])
def test_another_users_task_reads_as_missing(
    two_users: str, command: list[str], message: str
) -> None:
    before = _alice_rows(two_users)
    # alice's live, trashed and completed tasks, then an id that does not exist at all
    for task_id in (1, 2, 3, 99):
        args = [a.format(id=task_id) for a in command]
        r = todo(two_users, *args, user=BOB)
        assert (r.exit_code, r.stdout, r.stderr) == (1, "", message.format(id=task_id)), args
    assert _alice_rows(two_users) == before


def test_hard_delete_of_another_users_task_reads_as_missing(two_users: str) -> None:
    before = rows(two_users)
    for task_id in (1, 2, 99):
        r = todo(two_users, "delete", str(task_id), "--hard", "--yes", user=BOB)
        assert (r.exit_code, r.stdout, r.stderr) == (1, "", MISSING_MANY.format(id=task_id))
    assert rows(two_users) == before


def test_a_mix_of_own_and_foreign_ids_changes_nothing(two_users: str) -> None:
    before = rows(two_users)
    for command in (["complete", "4", "1"], ["delete", "4", "3"], ["restore", "5", "2"]):
        r = todo(two_users, *command, user=BOB)
        assert (r.exit_code, r.stderr) == (
            1,
            f"error: no task with id {command[2]}; nothing was changed\n",
        )
    assert rows(two_users) == before


def test_list_and_trash_show_only_your_own(two_users: str) -> None:
    assert ids(js(two_users, "list", "--status", "all", user=BOB)) == [4]
    assert ids(js(two_users, "list", "-t", "secret", user=BOB)) == []
    assert ids(js(two_users, "list", "-s", "alice", "--status", "all", user=BOB)) == []
    trash = js(two_users, "trash", user=BOB)
    assert (ids(trash), trash["total"]) == ([5], 1)
    assert ok(two_users, "trash", user=BOB).stdout.splitlines()[1:] == [
        " 5  bob trashed                  deleted",
        "page 1 of 1 · 1 task",
    ]
    assert ids(js(two_users, "list", "--status", "all")) == [3, 1]
    assert ids(js(two_users, "trash")) == [2]


def test_purge_empties_only_your_own_trash(two_users: str) -> None:
    set_deleted_at(two_users, 2, days_ago=90)
    set_deleted_at(two_users, 5, days_ago=90)
    assert ok(two_users, "purge", "--older-than", "30", "--yes", user=BOB).stdout == (
        "purged 1 task\n"
    )
    assert [r["id"] for r in rows(two_users)] == [1, 2, 3, 4]
    assert ok(two_users, "purge", user=BOB).stdout == "nothing to purge\n"


def test_the_user_can_be_named_by_id_email_or_todo_user(
    two_users: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ids(js(two_users, "list", user="bob@example.com")) == [4]
    assert ids(js(two_users, "list", user="BOB@Example.com")) == [4]
    assert ids(js(two_users, "list", user="alice@localhost")) == [1]
    monkeypatch.setenv("TODO_USER", BOB)
    assert ids(js(two_users, "list")) == [4]
    assert js(two_users, "add", "via env")["id"] == 6
    assert rows(two_users)[-1]["user_id"] == BOB


def test_an_unknown_user_is_not_found(two_users: str) -> None:
    before = rows(two_users)
    r = todo(two_users, "add", "x", user="carol@example.com")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == "error: no user 'carol@example.com'; create it with: todo user add EMAIL\n"
    assert rows(two_users) == before


def test_the_local_user_is_created_on_first_use(db_url: str) -> None:
    assert users(db_url) == []
    assert ok(db_url, "list").stdout == "no pending tasks\n"
    [me] = users(db_url)
    assert (me["id"], me["email"], me["name"]) == ("alice", "alice@localhost", "alice")
    assert isinstance(me["created_at"], datetime)
    add(db_url, "mine")
    ok(db_url, "list")  # a second use reuses the user
    assert [u["email"] for u in users(db_url)] == ["alice@localhost"]
    assert rows(db_url)[0]["user_id"] == "alice"


def test_the_local_user_from_a_real_process(db_url: str, tmp_path: Path) -> None:
    env = {"LOGNAME": "Carol Smith", "USER": "Carol Smith", "TZ": "UTC"}
    r = proc("--database-url", db_url, "add", "from a shell", env=env)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "added task 1: from a shell\n", "")
    assert [(u["id"], u["email"]) for u in users(db_url)] == [
        ("carol-smith", "carol-smith@localhost")
    ]
    assert rows(db_url)[0]["user_id"] == "carol-smith"
    # Another login (with its own data dir) on the same database sees none of carol's tasks.
    dave = {**env, "LOGNAME": "dave", "TODO_HOME": str(tmp_path / "dave")}
    r = proc("--database-url", db_url, "list", "--status", "all", "--json", env=dave)
    assert (r.exit_code, json.loads(r.stdout)["total"]) == (0, 0)
    assert [u["email"] for u in users(db_url)] == ["carol-smith@localhost", "dave@localhost"]
