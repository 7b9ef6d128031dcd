"""Row-level security (migration 0009), PostgreSQL only: connected as alice's login role with
plain psycopg2, whatever SQL she sends, she reads and changes only her own rows; the
administrator (the tables' owner, not a superuser) still sees and manages everything."""

from __future__ import annotations

import io
from typing import Any

import psycopg2
import pytest

from tests.dbutil import migrate_db
from tests.helpers import ok, todo
from tests.rls_setup import Shared, shared_fixture  # noqa: F401  (the fixture `shared`)
from todo_cli.services.database import migrations, rls
from todo_cli.services.runtime import Runtime

# Every table holding users' rows, as the catalog says; and the key of its user.
USER_ROWS = """
SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
  AND a.attname = 'user_id' AND NOT a.attisdropped ORDER BY 1
"""


def _all(cur: Any, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    cur.execute(sql, args)
    return list(cur.fetchall())


def _tables(db: Shared) -> list[str]:
    with db.connect() as conn, conn.cursor() as cur:
        return [r[0] for r in _all(cur, USER_ROWS)]


def _refused(cur: Any, sql: str, *args: Any) -> str:
    """The SQLSTATE of a statement that must fail."""
    with pytest.raises(psycopg2.Error) as e:
        cur.execute(sql, args)
    return str(e.value.pgcode)


def test_every_table_holding_user_rows_has_its_policies(shared: Shared) -> None:
    """A migration that adds a table holding `user_id` without `rls.protect_sql()` fails here."""
    tables = _tables(shared)
    assert {"tasks", "annotations", "task_dependencies", "journal", "conversations"} <= set(tables)
    assert {"messages", "user_logins"} <= set(tables)
    with shared.connect() as conn, conn.cursor() as cur:
        for table in [*tables, "users"]:
            flags = _all(
                cur,
                "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = %s::regclass",
                table,
            )
            assert flags == [(True, True)], table
            policies = dict(
                _all(cur, "SELECT policyname, cmd FROM pg_policies WHERE tablename = %s", table)
            )
            assert policies == {rls.OWN_POLICY: "ALL", rls.OWNER_POLICY: "ALL"}, table
            checks = _all(
                cur,
                "SELECT qual, with_check FROM pg_policies WHERE tablename = %s AND policyname = %s",
                table,
                rls.OWN_POLICY,
            )
            assert checks[0][0] == checks[0][1]  # rows cannot move to another user


def test_alice_reads_only_her_rows_in_every_table(shared: Shared) -> None:
    tables = _tables(shared)
    with shared.connect() as admin, admin.cursor() as cur:
        everyone = {
            t: _all(cur, f"SELECT count(*), count(*) FILTER (WHERE user_id = 'alice') FROM {t}")[0]
            for t in tables
        }
    with shared.connect("alice") as conn, conn.cursor() as cur:
        for table in tables:
            total, hers = everyone[table]
            assert total > hers > 0, table
            assert _all(cur, f"SELECT DISTINCT user_id FROM {table}") == [("alice",)], table
            assert _all(cur, f"SELECT count(*) FROM {table}") == [(hers,)], table
        assert _all(cur, "SELECT id FROM users") == [("alice",)]
        # COPY ... TO goes through the same policies.
        for table in tables:
            out = io.StringIO()
            cur.copy_expert(f"COPY {table} (user_id) TO STDOUT", out)
            assert set(out.getvalue().split()) == {"alice"}, table


def _copy_of_hers_for_bob(cur: Any, table: str) -> str:
    """INSERT of one of alice's rows of `table` with bob as its user (ids left to defaults)."""
    cols = [
        r[0]
        for r in _all(
            cur,
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
            " AND column_default IS NULL AND is_generated = 'NEVER' ORDER BY ordinal_position",
            table,
        )
    ]
    picked = ", ".join("'bob'" if c == "user_id" else c for c in cols)
    return (
        f"INSERT INTO {table} ({', '.join(cols)}) SELECT {picked} FROM {table}"
        " WHERE user_id = 'alice' LIMIT 1"
    )


def test_alice_cannot_write_bobs_rows_in_any_table(shared: Shared) -> None:
    tables = _tables(shared)
    with shared.connect() as admin, admin.cursor() as cur:
        before = {t: _all(cur, f"SELECT count(*) FROM {t} WHERE user_id = 'bob'") for t in tables}
    with shared.connect("alice") as conn, conn.cursor() as cur:
        for table in tables:
            if table == rls.LOGINS:  # she only reads her mapping: no write at all
                for write in (
                    f"UPDATE {table} SET login_role = login_role",
                    f"DELETE FROM {table}",
                ):
                    assert _refused(cur, write) == "42501", write
            else:
                # 42501: new row violates row-level security policy
                assert _refused(cur, _copy_of_hers_for_bob(cur, table)) == "42501", table
                cur.execute(f"UPDATE {table} SET user_id = user_id WHERE user_id = 'bob'")
                assert cur.rowcount == 0, table
                cur.execute(f"DELETE FROM {table} WHERE user_id = 'bob'")
                assert cur.rowcount == 0, table
            # Her own rows cannot be given to bob.
            assert _refused(cur, f"UPDATE {table} SET user_id = 'bob'") == "42501", table
            for ddl in (
                f"TRUNCATE {table}",
                f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
                f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
                f"DROP TABLE {table}",
            ):
                assert _refused(cur, ddl) == "42501", ddl
            assert _refused(cur, f"COPY {table} FROM STDIN") in {"42501", "0A000"}
        assert (
            _refused(
                cur,
                "INSERT INTO users (id, email, created_at) VALUES"
                " ('eve', 'eve@example.com', now())",
            )
            == "42501"
        )
        assert _refused(cur, "UPDATE users SET name = 'x'") == "42501"
        assert _refused(cur, "DROP POLICY todo_own_rows ON tasks") == "42501"
        assert (
            _refused(
                cur, "INSERT INTO user_logins (login_role, user_id) VALUES (current_user, 'bob')"
            )
            == "42501"
        )
    with shared.connect() as admin, admin.cursor() as cur:
        after = {t: _all(cur, f"SELECT count(*) FROM {t} WHERE user_id = 'bob'") for t in tables}
    assert after == before


def test_search_and_counts_see_only_her_messages(shared: Shared) -> None:
    with shared.connect("alice") as conn, conn.cursor() as cur:
        hits = "SELECT count(*) FROM messages WHERE search_vector @@ plainto_tsquery('simple', %s)"
        assert _all(cur, hits, "secretbob") == [(0,)]
        assert _all(cur, hits, "secretalice") == [(2,)]
        assert _all(cur, "SELECT sum(message_count) FROM conversations") == [(2,)]
        bobs = shared.ids["bob"]["conversation"]
        assert _all(cur, "SELECT count(*) FROM messages WHERE conversation_id = %s", bobs) == [(0,)]
    alice = shared.url("alice")
    assert "secretbob" not in todo(alice, "chat", "search", "secretbob").stdout
    assert "secretalice" in todo(alice, "chat", "search", "secretalice").stdout


def test_a_users_delete_cascades_only_through_their_rows(shared: Shared) -> None:
    with shared.connect("alice") as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM tasks")
        cur.execute("DELETE FROM conversations")
        assert _all(cur, "SELECT count(*) FROM messages") == [(0,)]
        assert _all(cur, "SELECT count(*) FROM annotations") == [(0,)]
    with shared.connect() as admin, admin.cursor() as cur:
        assert _all(cur, "SELECT count(*) FROM messages WHERE user_id = 'bob'") == [(2,)]
        assert _all(cur, "SELECT count(*) FROM annotations WHERE user_id = 'bob'") == [(1,)]


def test_she_cannot_add_her_message_to_bobs_conversation(shared: Shared) -> None:
    """The row is hers by `user_id`, so the policies let it in; the key (migration 0010)
    refuses it, its check not being subject to them (23503: foreign key violation)."""
    bobs = shared.ids["bob"]["conversation"]
    insert = (
        "INSERT INTO messages (conversation_id, user_id, role, content, created_at)"
        " VALUES (%s, 'alice', 'user', 'planted', now())"
    )
    with shared.connect("alice") as conn, conn.cursor() as cur:
        assert _refused(cur, insert, bobs) == "23503"
        cur.execute(insert, (shared.ids["alice"]["conversation"],))  # her own: fine
    with shared.connect() as admin, admin.cursor() as cur:
        assert _all(cur, "SELECT count(*) FROM messages WHERE conversation_id = %s", bobs) == [(2,)]


def test_the_list_query_uses_the_index_with_the_lookup_run_once(shared: Shared) -> None:
    with shared.connect("alice") as conn, conn.cursor() as cur:
        cur.execute("SET enable_seqscan = off")  # a tiny table: show what a big one gets
        plan = "\n".join(
            r[0]
            for r in _all(
                cur,
                "EXPLAIN SELECT id FROM tasks WHERE deleted_at IS NULL AND NOT completed"
                " ORDER BY created_at DESC LIMIT 20",
            )
        )
    assert "ix_tasks_user_live_created" in plan
    assert "InitPlan" in plan and "SubPlan" not in plan  # once per statement, not per row
    assert "pk_user_logins" in plan  # the role's user: one probe of the mapping's key


def test_a_table_reaching_user_rows_by_foreign_key_is_protected(shared: Shared) -> None:
    with shared.connect() as admin, admin.cursor() as cur:
        cur.execute("CREATE TABLE task_notes (task_id integer REFERENCES tasks (id), body text)")
        cur.execute("INSERT INTO task_notes SELECT id, title FROM tasks")
        cur.execute(f"GRANT SELECT, INSERT ON task_notes TO {shared.roles['alice']}")
        cur.execute(rls.protect_sql())
        total = _all(cur, "SELECT count(*) FROM task_notes")[0][0]
    with shared.connect("alice") as conn, conn.cursor() as cur:
        assert _all(cur, "SELECT DISTINCT split_part(body, ' ', 1) FROM task_notes") == [("alice",)]
        assert total == 4
        bobs = shared.ids["bob"]["task"]
        assert _refused(cur, "INSERT INTO task_notes VALUES (%s, 'x')", bobs) == "42501"


def test_administrator_migrates_seeds_and_checks_health(shared: Shared) -> None:
    admin = shared.admin_url
    ok(
        admin,
        "db",
        "seed",
        "--users",
        "2",
        "--tasks",
        "5",
        "--conversations",
        "1",
        "--messages",
        "2",
    )
    assert todo(admin, "db", "health").exit_code == 0
    assert todo(shared.url("alice"), "db", "health").exit_code == 0
    with shared.connect() as conn, conn.cursor() as cur:
        assert _all(cur, "SELECT count(DISTINCT user_id) FROM tasks")[0][0] >= 4
    ok(admin, "db", "migrate")


def test_downgrade_and_upgrade_keep_every_row(shared: Shared) -> None:
    tables = _tables(shared)
    counts = "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables if t != rls.LOGINS)
    with shared.connect() as conn, conn.cursor() as cur:
        before = _all(cur, counts)
    rt = Runtime(shared.admin_url)
    try:
        migrations.downgrade(rt, "0007")
    finally:
        rt.close()
    with shared.connect() as conn, conn.cursor() as cur:
        assert _all(cur, counts) == before
        assert _all(cur, "SELECT count(*) FROM pg_policies") == [(0,)]
        assert _all(cur, "SELECT to_regclass('user_logins')") == [(None,)]
    migrate_db(shared.admin_url)
    with shared.connect() as conn, conn.cursor() as cur:
        assert _all(cur, counts) == before
        assert (
            _all(cur, "SELECT count(DISTINCT tablename) FROM pg_policies")[0][0] == len(tables) + 1
        )
