"""`todo user add|list|use|whoami|delete` and choosing the current user, on both backends."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dbutil import counts, owned, query
from tests.helpers import (
    LOCAL_EMAIL,
    LOCAL_ID,
    add_user,
    is_ts,
    json_of,
    new_conv,
    norm,
    ok_run,
    proc,
    say,
    todo,
)

USER_KEYS = ["id", "email", "name", "created_at"]


def test_add_generates_a_string_id_and_lowercases_the_email(db_url: str) -> None:
    data = json_of(todo(db_url, "user", "add", "Ada@Example.COM", "--name", "Ada", "--json"))
    assert list(data) == USER_KEYS
    assert re.fullmatch(r"[0-9a-f]{12}", data["id"])
    assert (data["email"], data["name"]) == ("ada@example.com", "Ada")
    assert is_ts(data["created_at"])
    assert query(db_url, "SELECT id, email, name FROM users") == [
        (data["id"], "ada@example.com", "Ada")
    ]
    text = ok_run(todo(db_url, "user", "add", "bob@example.com"))
    uid = query(db_url, "SELECT id FROM users WHERE email = 'bob@example.com'")[0][0]
    assert text.stdout == f"added user {uid} <bob@example.com>\n"
    assert uid != data["id"]


def test_add_with_an_id(db_url: str) -> None:
    data = json_of(todo(db_url, "user", "add", "bob@x.io", "--id", "bob", "--json"))
    assert (data["id"], data["email"], data["name"]) == ("bob", "bob@x.io", None)
    assert ok_run(todo(db_url, "user", "add", "c@x.io", "--id", "cee")).stdout == (
        "added user cee <c@x.io>\n"
    )


@pytest.mark.parametrize("email", ["ada@example.com", "ADA@EXAMPLE.COM", "Ada@example.com"])
def test_duplicate_email_in_any_case_is_exit_1(db_url: str, email: str) -> None:
    add_user(db_url, "ada@example.com", "ada")
    before = counts(db_url)
    r = todo(db_url, "user", "add", email)
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == "error: a user with email 'ada@example.com' already exists\n"
    assert counts(db_url) == before


def test_duplicate_id_is_exit_1_and_names_the_id(db_url: str) -> None:
    add_user(db_url, "ada@example.com", "ada")
    r = todo(db_url, "user", "add", "other@example.com", "--id", "ada")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == "error: a user with email 'other@example.com' or id 'ada' already exists\n"
    assert counts(db_url)["users"] == 1


@pytest.mark.parametrize(
    "email",
    [
        "notanemail",
        "@x.io",
        "ada@",
        "a da@x.io",
        "",
        "a@b@c",
    ],
)
def test_bad_email_is_exit_2_and_adds_nothing(db_url: str, email: str) -> None:
    r = todo(db_url, "user", "add", email)
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == f"error: {email.strip()!r} is not an email address\n"
    assert counts(db_url)["users"] == 0


@pytest.mark.parametrize("uid", ["has space", "x" * 65])
def test_bad_id_is_exit_2(db_url: str, uid: str) -> None:
    r = todo(db_url, "user", "add", "a@x.io", "--id", uid)
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == "error: id must be 1-64 characters without spaces or control characters\n"
    assert counts(db_url)["users"] == 0


def test_an_id_cannot_shadow_another_users_email(db_url: str) -> None:
    first = todo(db_url, "user", "add", "a@x.io", "--id", "b@x.io")
    second = todo(db_url, "user", "add", "b@x.io", "--id", "bee")
    assert (first.exit_code, second.exit_code) != (0, 0)


def test_list_oldest_first_text_and_json(db_url: str) -> None:
    add_user(db_url, "ada@example.com", "ada", "Ada Lovelace")
    add_user(db_url, "bob@x.io", "bob")
    data = json_of(todo(db_url, "user", "list", "--json"))
    assert [list(u) for u in data["items"]] == [USER_KEYS, USER_KEYS]
    assert [(u["id"], u["email"], u["name"]) for u in data["items"]] == [
        ("ada", "ada@example.com", "Ada Lovelace"),
        ("bob", "bob@x.io", None),
    ]
    assert (data["total"], data["page"], data["page_size"]) == (2, 1, 2)
    assert norm(ok_run(todo(db_url, "user", "list")).stdout) == (
        "ID   Email            Name          Created         \n"
        "ada  ada@example.com  Ada Lovelace  YYYY-MM-DD HH:MM\n"
        "bob  bob@x.io                       YYYY-MM-DD HH:MM\n"
    )


def test_whoami_defaults_to_the_local_user_created_on_first_use(db_url: str) -> None:
    assert counts(db_url)["users"] == 0
    data = json_of(todo(db_url, "user", "whoami", "--json"))
    assert list(data) == USER_KEYS
    assert (data["id"], data["email"], data["name"]) == (LOCAL_ID, LOCAL_EMAIL, LOCAL_ID)
    assert ok_run(todo(db_url, "user", "whoami")).stdout == f"{LOCAL_ID} <{LOCAL_EMAIL}>\n"
    assert query(db_url, "SELECT id, email FROM users") == [(LOCAL_ID, LOCAL_EMAIL)]


def test_use_is_saved_and_user_flag_and_env_override_it(db_url: str) -> None:
    add_user(db_url, "ada@example.com", "ada")
    add_user(db_url, "bob@x.io", "bob")
    r = ok_run(todo(db_url, "user", "use", "ADA@example.com"))
    assert r.stdout == "now acting as ada <ada@example.com>\n"
    assert list(Path(os.environ["TODO_HOME"]).glob("user-*.json"))
    assert ok_run(todo(db_url, "user", "whoami")).stdout == "ada <ada@example.com>\n"
    conv = new_conv(db_url, "mine")
    assert query(db_url, "SELECT user_id FROM conversations WHERE id = :i", i=conv) == [("ada",)]
    assert ok_run(todo(db_url, "user", "whoami", user="bob")).stdout == "bob <bob@x.io>\n"
    r = todo(db_url, "user", "whoami", env={"TODO_USER": "bob@x.io"})
    assert ok_run(r).stdout == "bob <bob@x.io>\n"
    r = todo(db_url, "user", "whoami", user="ada", env={"TODO_USER": "bob"})
    assert ok_run(r).stdout == "ada <ada@example.com>\n"
    assert ok_run(todo(db_url, "user", "whoami")).stdout == "ada <ada@example.com>\n"


def test_use_and_user_flag_with_an_unknown_user_are_exit_1(db_url: str) -> None:
    r = todo(db_url, "user", "use", "nobody@x.io")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == "error: no user 'nobody@x.io'; create it with: todo user add EMAIL\n"
    r = todo(db_url, "chat", "new", "x", user="nobody")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == "error: no user 'nobody'; create it with: todo user add EMAIL\n"
    r = todo(db_url, "user", "whoami", env={"TODO_USER": "ghost"})
    assert (r.exit_code, r.stderr) == (
        1,
        "error: no user 'ghost'; create it with: todo user add EMAIL\n",
    )
    assert counts(db_url) == {"users": 0, "tasks": 0, "conversations": 0, "messages": 0}


def _fill(db_url: str, user: str) -> None:
    ok_run(todo(db_url, "add", "a task", user=user))
    ok_run(todo(db_url, "add", "another", user=user))
    conv = new_conv(db_url, "c", user=user)
    say(db_url, conv, "one", user=user)
    say(db_url, conv, "two", user=user)
    say(db_url, new_conv(db_url, None, user=user), "three", user=user)


def test_delete_without_yes_and_no_terminal_refuses_with_the_counts(db_url: str) -> None:
    add_user(db_url, "bob@x.io", "bob")
    _fill(db_url, "bob")
    before = counts(db_url)
    r = todo(db_url, "user", "delete", "bob")
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == (
        "error: Delete user bob <bob@x.io> with 2 tasks, 2 conversations and 3 messages: "
        "refusing without a terminal; pass --yes\n"
    )
    assert counts(db_url) == before


def test_delete_yes_removes_everything_of_that_user_only(db_url: str) -> None:
    add_user(db_url, "ada@example.com", "ada")
    add_user(db_url, "bob@x.io", "bob")
    _fill(db_url, "ada")
    _fill(db_url, "bob")
    r = ok_run(todo(db_url, "user", "delete", "BOB@x.io", "--yes"))
    assert r.stdout == "deleted user bob <bob@x.io>: 2 tasks, 2 conversations, 3 messages\n"
    assert owned(db_url, "bob") == {"tasks": 0, "conversations": 0, "messages": 0}
    assert owned(db_url, "ada") == {"tasks": 2, "conversations": 2, "messages": 3}
    assert query(db_url, "SELECT id FROM users") == [("ada",)]
    r = todo(db_url, "user", "delete", "bob", "--yes")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == "error: no user 'bob'; create it with: todo user add EMAIL\n"


def test_deleting_the_used_user_falls_back_to_the_local_user(db_url: str) -> None:
    add_user(db_url, "bob@x.io", "bob")
    ok_run(todo(db_url, "user", "use", "bob"))
    ok_run(todo(db_url, "user", "delete", "bob", "-y"))
    assert ok_run(todo(db_url, "user", "whoami")).stdout == f"{LOCAL_ID} <{LOCAL_EMAIL}>\n"


def _delete_on_a_terminal(db_url: str, answer: str) -> tuple[int, str, str]:
    """`todo user delete bob` as a real process whose stdin is a terminal."""
    master, slave = pty.openpty()
    try:
        os.write(master, answer.encode())
        p = subprocess.run(
            [sys.executable, "-m", "todo_cli", "--database-url", db_url, "user", "delete", "bob"],
            stdin=slave,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        os.close(slave)
        os.close(master)
    # click's prompt hands its last space to input(), which writes it to stdout: ignore it.
    return p.returncode, p.stdout.lstrip(" "), p.stderr.rstrip(" ")


def test_delete_asks_on_a_terminal(db_url: str) -> None:
    add_user(db_url, "bob@x.io", "bob")
    _fill(db_url, "bob")
    before = counts(db_url)
    question = "Delete user bob <bob@x.io> with 2 tasks, 2 conversations and 3 messages? [y/N]:"
    assert _delete_on_a_terminal(db_url, "n\n") == (1, "", question + "nothing was changed\n")
    assert counts(db_url) == before
    done = "deleted user bob <bob@x.io>: 2 tasks, 2 conversations, 3 messages\n"
    assert _delete_on_a_terminal(db_url, "y\n") == (0, done, question)
    assert owned(db_url, "bob") == {"tasks": 0, "conversations": 0, "messages": 0}
    assert counts(db_url)["users"] == 0


def test_every_user_command_as_a_real_process(db_url: str) -> None:
    r = proc("--database-url", db_url, "user", "add", "Ada@x.io", "--id", "ada", "--json")
    assert (r.exit_code, r.stderr) == (0, "")
    assert json.loads(r.stdout)["email"] == "ada@x.io"
    r = proc("--database-url", db_url, "user", "list", "--json")
    assert [u["id"] for u in json.loads(r.stdout)["items"]] == ["ada"]
    r = proc("--database-url", db_url, "user", "use", "ada@x.io")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "now acting as ada <ada@x.io>\n", "")
    r = proc("--database-url", db_url, "user", "whoami")
    assert (r.exit_code, r.stdout) == (0, "ada <ada@x.io>\n")
    r = proc("--database-url", db_url, "user", "delete", "ada")
    assert r.exit_code == 2 and "pass --yes" in r.stderr and counts(db_url)["users"] == 1
    r = proc("--database-url", db_url, "user", "delete", "ada", "--yes")
    assert (r.exit_code, r.stdout) == (
        0,
        "deleted user ada <ada@x.io>: 0 tasks, 0 conversations, 0 messages\n",
    )
    r = proc("--database-url", db_url, "user", "add", "bad-email")
    assert (r.exit_code, r.stdout, r.stderr) == (
        2,
        "",
        "error: 'bad-email' is not an email address\n",
    )


@pytest.mark.parametrize("cmd", [["chat", "new", "x"], ["chat", "import", "-"]])
def test_a_user_deleted_from_another_machine_is_resolved_again(
    db_url: str, tmp_path: Path, cmd: list[str]
) -> None:
    add_user(db_url, "bob@x.io", "bob")
    ok_run(todo(db_url, "chat", "list", user="bob"))  # caches bob's id in this data dir
    other_home = tmp_path / "other-machine"
    ok_run(todo(db_url, "user", "delete", "bob", "--yes", env={"TODO_HOME": str(other_home)}))
    r = todo(db_url, *cmd, user="bob", input='[{"role": "user", "content": "hi"}]')
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == "error: no user 'bob'; create it with: todo user add EMAIL\n"
