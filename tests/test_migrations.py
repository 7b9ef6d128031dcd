"""Migrations: up, down and up again on both backends; models and migrations agree."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from todo_cli.ddl import ddl_metadata, include_object
from todo_cli.errors import TodoError
from todo_cli.models import SCHEMA_HEAD
from todo_cli.services.database import migrations
from todo_cli.services.runtime import Runtime

TABLES = {
    "users",
    "tasks",
    "conversations",
    "messages",
    "annotations",
    "task_dependencies",
    "journal",
}


def _backend_only(url: str) -> set[str]:
    """alembic's own table, and on PostgreSQL the login mapping of row-level security."""
    return {"alembic_version"} | (set() if url.startswith("sqlite") else {"user_logins"})


def _target(url: str) -> Runtime:
    """The runtime of a command given `--database-url URL`."""
    return Runtime(url)


def make_engine(rt: Runtime, *, fast: bool = True) -> sa.Engine:
    return rt.make_engine(rt.target, fast=fast)


def _inspect(url: str) -> dict[str, dict[str, set[str]]]:
    """Table -> {indexes, checks, fks, uniques} as seen by the database itself."""
    engine = make_engine(_target(url), fast=False)
    try:
        insp = sa.inspect(engine)
        out: dict[str, dict[str, set[str]]] = {}
        for table in insp.get_table_names():
            if table.startswith("messages_fts"):  # FTS5 and its shadow tables: see below
                out.setdefault("messages_fts", {})
                continue
            out[table] = {
                "indexes": {i["name"] or "" for i in insp.get_indexes(table)},
                "checks": {c["name"] or "" for c in insp.get_check_constraints(table)},
                "fks": {
                    f"{f['referred_table']}:{(f.get('options') or {}).get('ondelete')}"
                    for f in insp.get_foreign_keys(table)
                },
                "uniques": {u["name"] or "" for u in insp.get_unique_constraints(table)},
            }
        return out
    finally:
        engine.dispose()


def test_head_constant_matches_scripts() -> None:
    assert migrations.head_revision() == SCHEMA_HEAD


def test_upgrade_creates_every_table_index_and_constraint(empty_url: str) -> None:
    result = migrations.migrate(_target(empty_url))
    assert (result.before, result.after) == (None, SCHEMA_HEAD)
    schema = _inspect(empty_url)
    assert set(schema) - {"messages_fts"} == TABLES | _backend_only(empty_url)
    assert schema["tasks"]["indexes"] >= {
        "ix_tasks_user_live_created",
        "ix_tasks_user_live_due",
        "ix_tasks_user_deleted",
    }
    assert schema["tasks"]["checks"] >= {
        "ck_tasks_title_length",
        "ck_tasks_description_length",
        "ck_tasks_priority_range",
    }
    assert schema["messages"]["checks"] >= {"ck_messages_role_valid"}
    assert schema["tasks"]["fks"] == {"users:CASCADE", "tasks:SET NULL"}  # a template
    assert schema["messages"]["fks"] == {"conversations:CASCADE"}  # (conversation, user)
    assert "uq_users_email" in schema["users"]["uniques"] | schema["users"]["indexes"]
    if empty_url.startswith("sqlite"):
        assert "messages_fts" in schema
    else:
        assert "ix_messages_search" in schema["messages"]["indexes"]


def test_search_objects_come_and_go_with_revision_0002(empty_url: str) -> None:
    target = _target(empty_url)
    migrations.migrate(target)
    migrations.downgrade(target, "0001")
    schema = _inspect(empty_url)
    assert "messages_fts" not in schema
    assert "ix_messages_search" not in schema["messages"]["indexes"]
    migrations.migrate(target)
    schema = _inspect(empty_url)
    assert "messages_fts" in schema or "ix_messages_search" in schema["messages"]["indexes"]


def test_up_down_up(empty_url: str) -> None:
    target = _target(empty_url)
    migrations.migrate(target)
    down = migrations.downgrade(target, "base")
    assert (down.before, down.after) == (SCHEMA_HEAD, None)
    assert set(_inspect(empty_url)) <= {"alembic_version"}
    again = migrations.migrate(target)
    assert (again.before, again.after) == (None, SCHEMA_HEAD)
    assert set(_inspect(empty_url)) - {"messages_fts"} == TABLES | _backend_only(empty_url)


def test_second_migrate_is_a_no_op(db_url: str) -> None:
    result = migrations.migrate(_target(db_url))
    assert not result.changed
    assert result.after == SCHEMA_HEAD


def test_models_and_migrations_agree(db_url: str) -> None:
    """Autogenerate against a migrated database finds nothing to do."""
    engine = make_engine(_target(db_url), fast=False)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "compare_server_default": True,
                    "include_object": include_object,
                },
            )
            diff = compare_metadata(ctx, ddl_metadata())
    finally:
        engine.dispose()
    assert diff == []


def test_sql_mode_prints_ddl_and_touches_nothing(empty_url: str) -> None:
    target = _target(empty_url)
    script = migrations.sql_script(target.target, "head", upgrade=True)
    assert "CREATE TABLE tasks" in script
    assert "CREATE INDEX ix_tasks_user_live_created" in script
    assert migrations.current(target).after is None
    down = migrations.sql_script(target.target, "base", upgrade=False)
    assert "DROP TABLE tasks" in down


def test_unknown_revision_is_bad_input(db_url: str) -> None:
    import pytest

    from todo_cli.errors import BadInput

    with pytest.raises(BadInput, match="nope"):
        migrations.migrate(_target(db_url), "nope")


def test_a_failed_sqlite_run_leaves_the_file_as_it_was(sqlite_url: str) -> None:
    """On SQLite a run is one transaction (migrations/env.py): a revision that fails takes the
    ones before it in the same run back too, so no other process can ever see (or migrate
    from) a revision in between. Alembic alone would commit each one: left at 0006 here."""
    import sqlite3

    target = _target(sqlite_url)
    migrations.migrate(target, "0005")
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as raw:  # 0007 is about to create this table
        raw.execute("CREATE TABLE annotations (id INTEGER PRIMARY KEY)")
    with pytest.raises(TodoError, match="table annotations already exists"):
        migrations.migrate(target)
    assert migrations.current(target).after == "0005"
    with sqlite3.connect(path) as raw:  # 0006's rebuild (AUTOINCREMENT) was taken back too
        (sql,) = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'tasks'").fetchone()
    assert "AUTOINCREMENT" not in sql
