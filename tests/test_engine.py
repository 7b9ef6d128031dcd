"""The engine and the schema's own rules, checked against the real databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy import exc

from tests.dbutil import migrate_db, query
from todo_cli import datadir
from todo_cli.config import DatabaseTarget, parse_url
from todo_cli.db import session_scope
from todo_cli.errors import DatabaseUnavailable, NotMigrated
from todo_cli.models import Conversation, Message, Task, User
from todo_cli.services.runtime import Runtime


def _target(url: str) -> DatabaseTarget:
    return DatabaseTarget(parse_url(url))


def make_engine(target: DatabaseTarget, *, fast: bool = True) -> sa.Engine:
    """An engine as a command makes it (connect timeouts from its runtime)."""
    return Runtime().make_engine(target, fast=fast)


def test_sqlite_pragmas(sqlite_url: str) -> None:
    engine = make_engine(_target(sqlite_url))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    engine.dispose()


def test_postgres_engine_for_a_cli_process(pg_url: str) -> None:
    engine = make_engine(_target(pg_url))
    assert engine.pool.size() == 1  # type: ignore[attr-defined]
    assert engine.pool._pre_ping is False  # type: ignore[attr-defined]
    with engine.connect() as conn:
        info = conn.connection.dbapi_connection.get_dsn_parameters()  # type: ignore[union-attr]
        assert info["connect_timeout"] == "2"  # the first attempt: short, then growing
        # The fast dialect learned the version without asking; it matches the server's answer.
        major = conn.exec_driver_sql("SHOW server_version_num").scalar()
        assert engine.dialect.server_version_info[0] == int(major) // 10000  # type: ignore[index]
        assert (
            engine.dialect.default_schema_name
            == conn.exec_driver_sql("SELECT current_schema()").scalar()
        )
    engine.dispose()


def test_the_fast_dialect_overrides_what_sqlalchemy_still_has() -> None:
    """pgdialect.py replaces private methods of SQLAlchemy's psycopg2 dialect. If a new
    SQLAlchemy renames one or changes its signature, the override would be silently dead (or
    broken): fail here instead, and check pyproject's pinned range."""
    import inspect

    from sqlalchemy.dialects.postgresql.psycopg2 import PGDialect_psycopg2

    from todo_cli.pgdialect import FastPGDialect

    overridden = [
        name
        for name, value in vars(FastPGDialect).items()
        if callable(value) and not name.startswith("__")
    ]
    assert sorted(overridden) == [
        "_get_default_schema_name",
        "_get_server_version_info",
        "_set_backslash_escapes",
        "get_default_isolation_level",
    ]
    for name in overridden:
        theirs = getattr(PGDialect_psycopg2, name, None)
        assert theirs is not None, f"SQLAlchemy no longer has {name}"
        assert list(inspect.signature(theirs).parameters) == list(
            inspect.signature(getattr(FastPGDialect, name)).parameters
        ), name


def test_nothing_connects_at_import_or_construction() -> None:
    # A URL to a port nobody listens on: building the runtime and engine must not fail.
    rt = Runtime("postgresql://u:secret@127.0.0.1:1/db")
    assert rt.engine is not None
    rt.close()


def test_unreachable_postgres_is_one_clean_error() -> None:
    rt = Runtime("postgresql://u:s3cretpw@127.0.0.1:1/db")
    with pytest.raises(DatabaseUnavailable) as info, rt.session():
        pass
    message = str(info.value)
    assert "s3cretpw" not in message
    assert "\n" not in message
    assert message.startswith("cannot reach database postgresql+psycopg2://u:***@127.0.0.1:1/db")


def test_unmigrated_postgres_says_run_migrate(pg_url: str) -> None:
    rt = Runtime(pg_url)
    with pytest.raises(NotMigrated, match="run: todo db migrate"), rt.session():
        pass
    rt.close()


def test_embedded_sqlite_migrates_itself(sqlite_url: str) -> None:
    rt = Runtime(sqlite_url)
    with rt.session() as s:
        assert s.exec(sa.text("SELECT count(*) FROM tasks")).scalar() == 0  # type: ignore[call-overload]
    rt.close()


def test_stale_schema_cache_is_dropped_when_proven_wrong(db_url: str) -> None:
    rt = Runtime(db_url)
    with rt.session() as s:
        s.exec(sa.text("SELECT 1"))  # type: ignore[call-overload]
    if rt.target.backend == "postgresql":
        assert datadir.cache_get(rt.target.key, "schema") is not None
    rt.close()
    # Someone drops a table behind our back: the next command must not trust the cache.
    engine = make_engine(_target(db_url), fast=False)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE messages")
        conn.exec_driver_sql("DELETE FROM alembic_version")
    engine.dispose()
    rt = Runtime(db_url)
    if rt.target.backend == "postgresql":
        with pytest.raises(NotMigrated), rt.session() as s:
            s.exec(sa.text("SELECT * FROM messages"))  # type: ignore[call-overload]
        assert datadir.cache_get(rt.target.key, "schema") is None
    rt.close()


def _user(session: sa.orm.Session, uid: str = "u1") -> User:
    user = User(id=uid, email=f"{uid}@example.com")
    session.add(user)
    session.flush()
    return user


@pytest.mark.parametrize(
    "task",
    [
        {"title": ""},
        {"title": "x" * 201},
        {"title": "ok", "description": "d" * 1001},
        {"title": "ok", "priority": 7},
    ],
)
def test_database_constraints_back_the_task_rules(db_url: str, task: dict[str, object]) -> None:
    engine = make_engine(_target(db_url))
    # PostgreSQL's varchar(n) may refuse an over-long value (DataError) before the CHECK does.
    with pytest.raises((exc.IntegrityError, exc.DataError)), session_scope(engine, write=True) as s:
        _user(s)
        s.add(Task(user_id="u1", **task))  # type: ignore[arg-type]
    engine.dispose()


def test_message_role_and_user_email_are_checked(db_url: str) -> None:
    engine = make_engine(_target(db_url))
    with pytest.raises(exc.IntegrityError), session_scope(engine, write=True) as s:
        _user(s)
        conv = Conversation(user_id="u1")
        s.add(conv)
        s.flush()
        s.add(Message(conversation_id=conv.id, user_id="u1", role="robot", content="hi"))
    with pytest.raises(exc.IntegrityError), session_scope(engine, write=True) as s:
        s.add(User(id="u2", email="Mixed@Example.com"))
    engine.dispose()


def test_deleting_a_user_cascades_and_timestamps_are_utc(db_url: str) -> None:
    engine = make_engine(_target(db_url))
    due = datetime(2026, 12, 1, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    with session_scope(engine, write=True) as s:
        _user(s)
        s.add(Task(user_id="u1", title="t", due=due))
    with session_scope(engine) as s:
        task = s.exec(sa.select(Task)).scalar_one()  # type: ignore[call-overload]
        assert task.due == due and task.due.tzinfo == UTC
        assert task.created_at.tzinfo == UTC
    with session_scope(engine, write=True) as s:
        s.delete(s.get(User, "u1"))
    with session_scope(engine) as s:
        assert s.exec(sa.text("SELECT count(*) FROM tasks")).scalar() == 0  # type: ignore[call-overload]
    engine.dispose()


def test_naive_datetimes_are_refused(db_url: str) -> None:
    engine = make_engine(_target(db_url))
    with pytest.raises(exc.StatementError, match="naive"), session_scope(engine, write=True) as s:
        _user(s)
        s.add(Task(user_id="u1", title="t", due=datetime(2026, 1, 1)))
    engine.dispose()


@pytest.mark.postgres
def test_a_second_write_in_a_one_statement_unit_is_refused(pg_url: str) -> None:
    """In autocommit each statement commits alone, so a second write would not be atomic with
    the first: the guard stops it before it is sent, and reads after the write are fine."""
    migrate_db(pg_url)
    engine = make_engine(_target(pg_url))
    add = sa.text("INSERT INTO users (id, email, name, created_at) VALUES (:i, :e, 'n', now())")
    with session_scope(engine, write=True, one_statement=True) as s:
        s.execute(add, {"i": "u1", "e": "u1@x.com"})
        assert s.execute(sa.text("SELECT count(*) FROM users")).scalar() == 1
    second = pytest.raises(RuntimeError, match="sent a second write")
    with second, session_scope(engine, write=True, one_statement=True) as s:
        s.execute(add, {"i": "u2", "e": "u2@x.com"})
        s.execute(add, {"i": "u3", "e": "u3@x.com"})
    # The first write of that unit committed on its own (autocommit); the second never ran.
    assert query(pg_url, "SELECT id FROM users ORDER BY id") == [("u1",), ("u2",)]
