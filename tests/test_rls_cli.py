"""`todo` connected as a mapped login role (row-level security, PostgreSQL): it acts as that
user without `--user`, for tasks and chat, directly and through PgBouncer in transaction
mode; another user's rows read like missing ones. And `user add --login` / `user delete`."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import pgbouncer
from tests.helpers import js, ok, todo
from tests.rls_setup import Shared, shared_fixture  # noqa: F401  (the fixture `shared`)
from todo_cli.services.chat.import_rows import BATCH_CONVERSATIONS as BATCH


def _flow(db: Shared, url: str, tmp: Path) -> None:
    """Tasks and chat as alice, by her role alone."""
    assert js(url, "user", "whoami")["id"] == "alice"
    assert [u["id"] for u in js(url, "user", "list")["items"]] == ["alice"]
    task = js(url, "add", "buy", "milk", "+shop", "due:tomorrow")
    n = str(task["id"])
    ok(url, "edit", n, "--title", "buy oat milk")
    ok(url, "annotate", n, "in the fridge")
    ok(url, "start", n)
    ok(url, "stop", n)
    assert js(url, "complete", n)["items"][0]["completed"] is True
    ok(url, "reopen", n)
    ok(url, "delete", n)
    assert [t["id"] for t in js(url, "trash")["items"]] == [task["id"]]
    ok(url, "restore", n)
    ok(url, "undo", "--yes")  # the restore
    ok(url, "restore", n)
    shown = js(url, "show", n)
    assert (shown["title"], shown["annotations"][0]["description"]) == (
        "buy oat milk",
        "in the fridge",
    )
    titles = {t["title"] for t in js(url, "list", "--status", "all")["items"]}
    assert titles == {"alice first", "alice second", "buy oat milk"}
    exported = json.loads(ok(url, "export").stdout)
    assert {t["title"] for t in exported} == titles
    new = tmp / "new.json"
    new.write_text(json.dumps([{"title": "imported one"}, {"title": "imported two"}]))
    ok(url, "import", str(new))  # one COPY, staged: RLS refuses COPY FROM itself
    assert js(url, "list", "-s", "imported")["total"] == 2

    conv = str(js(url, "chat", "new", "plans")["id"])
    js(url, "chat", "say", conv, "meet at noon secretalice")
    assert js(url, "chat", "say", conv, "ok", "--role", "assistant")["role"] == "assistant"
    assert {c["title"] for c in js(url, "chat", "list")["items"]} == {"alice chat", "plans"}
    assert js(url, "chat", "show", conv)["message_count"] == 2
    hits = js(url, "chat", "search", "secretalice")["items"]
    assert len(hits) == 3
    assert js(url, "chat", "search", "secretbob")["items"] == []
    dump = tmp / "chat.json"
    dump.write_text(ok(url, "chat", "export", conv).stdout)
    before = len(js(url, "chat", "list")["items"])
    ok(url, "chat", "import", str(dump))
    assert len(js(url, "chat", "list")["items"]) == before + 1
    # More conversations than one batch: a staged COPY per batch, each through the policies.
    many = tmp / "many.jsonl"
    lines = [{"messages": [{"role": "user", "content": f"line {i}"}]} for i in range(BATCH + 1)]
    many.write_text("".join(json.dumps(line) + "\n" for line in lines))
    ok(url, "chat", "import", str(many))
    assert js(url, "chat", "list")["total"] == before + 2 + BATCH

    # bob's rows read exactly like missing ones, and none can be made for him.
    bob = db.ids["bob"]
    for args in (
        ["show", str(bob["task"])],
        ["complete", str(bob["task"])],
        ["chat", "show", str(bob["conversation"])],
        ["chat", "say", str(bob["conversation"]), "hi"],
    ):
        r = todo(url, *args)
        assert r.exit_code == 1 and "no " in r.stderr, (args, r)
    for args in (["list"], ["add", "for bob"], ["chat", "new", "for bob"]):
        r = todo(url, *args, user="bob")
        assert (r.exit_code, r.stderr) == (
            1,
            "error: no user 'bob'; create it with: todo user add EMAIL\n",
        ), r
    assert js(url, "list", user="alice")["total"] == 4

    with db.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT user_id, count(*) FROM tasks GROUP BY 1 ORDER BY 1")
        assert cur.fetchall() == [("alice", 5), ("bob", 2)]
        cur.execute("SELECT user_id, count(*) FROM messages GROUP BY 1 ORDER BY 1")
        assert cur.fetchall() == [("alice", 6 + BATCH + 1), ("bob", 2)]


def test_tasks_and_chat_as_a_mapped_role(shared: Shared, tmp_path: Path) -> None:
    _flow(shared, shared.url("alice"), tmp_path)


def test_tasks_and_chat_as_a_mapped_role_through_pgbouncer(shared: Shared, tmp_path: Path) -> None:
    with pgbouncer(users=tuple(shared.roles.values())) as port:
        _flow(shared, shared.url("alice", port=port), tmp_path)


def _role(db: Shared, role: str) -> tuple[bool, ...] | None:
    with psycopg2.connect(db.server_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb,"
            " rolpassword LIKE 'SCRAM-SHA-256$%%' FROM pg_authid WHERE rolname = %s",
            (role,),
        )
        row = cur.fetchone()
    conn.close()
    return tuple(row) if row else None


def test_user_add_login_creates_a_least_privileged_role(shared: Shared) -> None:
    role = shared.roles["alice"] + "_c"
    shared.roles["carol"] = role  # dropped with the others
    r = ok(shared.admin_url, "user", "add", "carol@example.com", "--id", "carol", "--login", role)
    assert f"created login role {role}" in r.stdout
    url = r.stdout.split("DATABASE_URL='")[1].split("'")[0]
    password = make_url(url).password
    assert password and len(password) >= 20  # 128 bits from `secrets`
    assert _role(shared, role) == (True, False, False, False, False, True)
    assert js(url, "user", "whoami")["id"] == "carol"
    assert js(url, "list")["total"] == 0
    # Printed once: nothing keeps it.
    assert password not in ok(shared.admin_url, "user", "list").stdout


def test_user_add_login_maps_an_existing_user_and_role_with_a_given_password(
    shared: Shared,
) -> None:
    role = shared.roles["alice"] + "_d"
    shared.roles["dan"] = role
    with psycopg2.connect(shared.server_url) as conn, conn.cursor() as cur:
        cur.execute(f'CREATE ROLE "{role}" LOGIN')
    conn.close()
    ok(shared.admin_url, "user", "add", "dan@example.com", "--id", "dan")
    out = js(
        shared.admin_url,
        "user",
        "add",
        "dan@example.com",
        "--login",
        role,
        "--password-stdin",
        input="correct horse battery staple\n",
    )
    assert (out["id"], out["login_role"]) == ("dan", role)
    assert make_url(out["database_url"]).password == "correct horse battery staple"
    assert js(shared.url("dan"), "user", "whoami")["id"] == "dan"


def test_user_add_login_refusals(shared: Shared, sqlite_url: str) -> None:
    admin = shared.admin_url
    bad = todo(admin, "user", "add", "e@example.com", "--login", "Bad-Name")
    assert bad.exit_code == 2 and "bad login role" in bad.stderr
    taken = todo(admin, "user", "add", "e@example.com", "--login", shared.roles["bob"])
    assert taken.exit_code == 1 and "already mapped" in taken.stderr
    superuser = todo(admin, "user", "add", "e@example.com", "--login", "postgres")
    assert superuser.exit_code == 1 and "bypasses row-level security" in superuser.stderr
    assert [u["id"] for u in js(admin, "user", "list")["items"]] == ["alice", "bob"]
    lone = todo(admin, "user", "add", "e@example.com", "--password-stdin", input="pw\n")
    assert (lone.exit_code, lone.stderr) == (2, "error: --password-stdin goes with --login ROLE\n")
    local = todo(sqlite_url, "user", "add", "e@example.com", "--login", "eve")
    assert local.exit_code == 2 and "PostgreSQL" in local.stderr


def test_user_delete_drops_the_mapping_and_the_role(shared: Shared) -> None:
    role = shared.roles["bob"]
    ok(shared.admin_url, "user", "delete", "bob", "--yes")
    assert _role(shared, role) is None
    with shared.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT login_role FROM user_logins")
        assert cur.fetchall() == [(shared.roles["alice"],)]
        cur.execute("SELECT DISTINCT user_id FROM tasks")
        assert cur.fetchall() == [("alice",)]


@pytest.mark.parametrize("who", ["alice"])
def test_a_mapped_role_cannot_manage_users(shared: Shared, who: str) -> None:
    url = shared.url(who)
    assert todo(url, "user", "add", "x@example.com").exit_code == 1
    assert todo(url, "user", "delete", "bob", "--yes").exit_code == 1
    assert todo(url, "user", "add", "y@example.com", "--login", "rls_nope").exit_code == 1
