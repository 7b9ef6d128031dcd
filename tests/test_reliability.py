"""Never a wrong answer, never a surprise loss: what the data dir may not decide, ids that are
never handed out twice, and destructive downgrades that ask first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.dbutil import execute, migrate_db, query
from tests.helpers import add, add_user, cli, ids, js, new_conv, ok, proc, say, todo


def test_two_sqlite_files_with_one_name_are_two_databases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sqlite:///todo.db` in folder A and in folder B: a read in A never uses B's answers."""
    rel = "sqlite:///todo.db"
    for folder, uid in (("b", "bob-in-b"), ("a", "bob-in-a")):
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        add_user(rel, "bob@x.com", uid)
    monkeypatch.chdir(tmp_path / "b")
    assert js(rel, "list", user="bob@x.com")["total"] == 0  # B's bob has nothing
    monkeypatch.chdir(tmp_path / "a")
    task = add(rel, "bob's task in A", user="bob@x.com")
    page = js(rel, "list", user="bob@x.com")
    assert ids(page) == [task["id"]]
    assert todo(rel, "list", user="bob@x.com").stdout.startswith("ID")


def test_a_user_deleted_and_added_again_elsewhere_is_seen_at_once(
    db_url: str, tmp_path: Path
) -> None:
    add_user(db_url, "bob@x.com", "bob-1")
    first = add(db_url, "old bob's task", user="bob@x.com")
    assert ids(js(db_url, "list", user="bob@x.com")) == [first["id"]]
    # Another machine (its own data dir) deletes bob and adds him again: a new id, a new task.
    there = {"TODO_HOME": str(tmp_path / "elsewhere")}
    for args in (["user", "delete", "bob@x.com", "--yes"], ["user", "add", "bob@x.com"]):
        assert todo(db_url, *args, env=there).exit_code == 0
    second = js(db_url, "add", "new bob's task", user="bob@x.com")
    assert second["id"] > first["id"]
    page = js(db_url, "list", user="bob@x.com")
    assert ids(page) == [second["id"]]
    # And someone that no longer exists is said to be missing, not shown an empty list.
    assert todo(db_url, "user", "delete", "bob@x.com", "--yes", env=there).exit_code == 0
    r = todo(db_url, "list", user="bob@x.com")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == "error: no user 'bob@x.com'; create it with: todo user add EMAIL\n"


def test_todo_user_use_survives_a_user_added_again(db_url: str) -> None:
    add_user(db_url, "ada@x.com", "ada-1")
    ok(db_url, "user", "use", "ada-1")
    execute(db_url, "UPDATE users SET id = 'ada-2' WHERE id = 'ada-1'")
    assert js(db_url, "user", "whoami")["id"] == "ada-2"


def test_ids_are_never_handed_out_twice(db_url: str) -> None:
    a, b = add(db_url, "a"), add(db_url, "b")
    ok(db_url, "delete", str(b["id"]))
    ok(db_url, "purge", "--yes")
    c = add(db_url, "c")
    assert c["id"] > b["id"] > a["id"]
    ok(db_url, "delete", str(c["id"]), "--hard", "--yes")
    r = cli("--database-url", db_url, "import", "-", input=json.dumps([{"title": "d"}]))
    assert r.exit_code == 0
    assert [t["title"] for t in js(db_url, "list")["items"]] == ["d", "a"]
    assert max(ids(js(db_url, "list"))) > c["id"]
    conv = new_conv(db_url, "one")
    msg = say(db_url, conv, "hello")
    ok(db_url, "chat", "delete", str(conv), "--yes")
    conv2 = new_conv(db_url, "two")
    assert conv2 > conv
    assert say(db_url, conv2, "again")["id"] > msg["id"]


def test_migrating_to_autoincrement_keeps_every_row_and_the_search(sqlite_url: str) -> None:
    migrate_db(sqlite_url, "0005")
    execute(
        sqlite_url,
        "INSERT INTO users (id, email, name, created_at) VALUES ('u', 'u@x', 'u', '2026-01-01')",
    )
    for i in range(1, 4):
        execute(
            sqlite_url,
            "INSERT INTO tasks (id, user_id, title, completed, created_at, updated_at, tags) "
            f"VALUES ({i}, 'u', 'task {i}', 0, '2026-01-01', '2026-01-01', '[\"t\"]')",
        )
    execute(
        sqlite_url,
        "INSERT INTO conversations (id, user_id, title, message_count, created_at, updated_at) "
        "VALUES (7, 'u', 'c', 1, '2026-01-01', '2026-01-01')",
    )
    execute(
        sqlite_url,
        "INSERT INTO messages (id, conversation_id, user_id, role, content, created_at) "
        "VALUES (9, 7, 'u', 'user', 'find the marmalade', '2026-01-01')",
    )
    before = {t: query(sqlite_url, f"SELECT * FROM {t} ORDER BY id") for t in ("tasks",)}
    migrate_db(sqlite_url, "0006")
    assert {t: query(sqlite_url, f"SELECT * FROM {t} ORDER BY id") for t in ("tasks",)} == before
    migrate_db(sqlite_url)
    assert ids(js(sqlite_url, "chat", "search", "marmalade", user="u")) == [9]
    ok(sqlite_url, "delete", "3", "--hard", "--yes", user="u")
    assert add(sqlite_url, "next", user="u")["id"] == 4
    execute(sqlite_url, "DELETE FROM messages")  # the FTS triggers are back: the index follows
    assert js(sqlite_url, "chat", "search", "marmalade", user="u")["total"] == 0


def test_a_destructive_downgrade_asks_and_names_what_goes(db_url: str) -> None:
    add(db_url, "keep me")
    add(db_url, "and me")
    new_conv(db_url, "chat")
    r = todo(db_url, "db", "downgrade", "0002")  # no terminal, no --yes
    assert r.exit_code == 2
    assert r.stderr.startswith("error: Downgrading ")
    assert " to 0002 drops journal (2 rows), tasks.request_key (2 values), conversations" in (
        r.stderr
    )
    r = todo(db_url, "db", "downgrade", "base")
    assert r.exit_code == 2
    assert (
        " to base drops journal (2 rows), tasks (2 rows), conversations (1 row), users (1 row)"
        in (r.stderr)
    )
    assert r.stderr.rstrip().endswith("refusing without a terminal; pass --yes")
    assert len(js(db_url, "list")["items"]) == 2  # nothing changed
    ok(db_url, "db", "downgrade", "0006", "--yes")
    r = todo(db_url, "db", "downgrade", "0005")  # drops nothing that holds data: no question
    assert r.exit_code == 0, r.stderr
    sql = todo(db_url, "db", "downgrade", "base", "--sql")  # only prints: never asks
    assert sql.exit_code == 0 and "DROP TABLE tasks" in sql.stdout
    ok(db_url, "db", "downgrade", "base", "--yes")
    assert todo(db_url, "db", "current").stdout.startswith("(none)")


def test_a_downgrade_asks_at_a_terminal_and_no_changes_nothing(db_url: str) -> None:
    import os
    import pty
    import subprocess
    import sys

    add(db_url, "precious")
    leader, follower = pty.openpty()
    p = subprocess.Popen(
        [sys.executable, "-m", "todo_cli", "--database-url", db_url, "db", "downgrade", "base"],
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=follower,
        env={**os.environ, "COLUMNS": "200"},
    )
    os.close(follower)
    seen = b""
    while b"[y/N]" not in seen:
        seen += os.read(leader, 1024)
    os.write(leader, b"n\n")
    out, _ = p.communicate(timeout=60)
    while True:
        try:
            more = os.read(leader, 1024)
        except OSError:
            break
        if not more:
            break
        seen += more
    os.close(leader)
    assert p.returncode == 1
    assert b"drops journal (1 row), tasks (1 row)" in seen
    assert b"nothing was changed" in seen + out
    assert len(js(db_url, "list")["items"]) == 1


@pytest.mark.postgres
def test_health_and_commands_call_a_bad_option_misconfiguration(pg_url: str) -> None:
    migrate_db(pg_url)
    for option in ("sslmode=bogus", "channel_binding=bogus", "connect_timeout=abc", "foo=bar"):
        url = f"{pg_url}?{option}"
        health = proc("--database-url", url, "db", "health")
        assert health.exit_code == 3, (option, health)
        assert health.stdout.startswith("UNKNOWN - bad connection setting for "), health.stdout
        listed = proc("--database-url", url, "list")
        assert listed.exit_code == 2, (option, listed)
        assert listed.stderr.startswith("error: bad connection setting for "), listed.stderr
        assert "Traceback" not in health.stderr + listed.stderr
    r = proc("--database-url", pg_url, "db", "health", env={"TODO_CONNECT_TIMEOUT": "abc"})
    assert (r.exit_code, r.stderr) == (3, "")
    assert (
        r.stdout == "UNKNOWN - TODO_CONNECT_TIMEOUT must be a whole number of seconds, not 'abc'\n"
    )


@pytest.mark.postgres
def test_an_authentication_failure_says_so_everywhere(pg_url: str) -> None:
    bad = pg_url.replace("postgres@", "no_such_role_y:pw@", 1)
    for args in (["list"], ["add", "x"], ["db", "migrate"], ["db", "health"]):
        r = proc("--database-url", bad, *args)
        text = r.stdout + r.stderr
        assert "authentication failed for postgresql+psycopg2://no_such_role_y:***@" in text, args
        assert "cannot reach" not in text
