"""SQL straight to a test's database, on the same URL the CLI uses, never through the service
layer under test: to set up rows the CLI cannot make and to check what it stored. This module
holds no tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from todo_cli.columns import UTCDateTime
from todo_cli.config import parse_url
from todo_cli.models import Task, User

TABLES = ("users", "tasks", "conversations", "messages")


@contextmanager
def connect(db_url: str) -> Iterator[sa.Connection]:
    engine = sa.create_engine(parse_url(db_url))  # psycopg2, as the CLI uses
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def query(db_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with connect(db_url) as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params)]


def execute(db_url: str, sql: str, **params: Any) -> None:
    with connect(db_url) as conn:
        conn.execute(sa.text(sql), params)


def rows(db_url: str) -> list[dict[str, Any]]:
    """Every row of `tasks` (any user, live or trashed), all columns, by id."""
    table = Task.__table__  # type: ignore[attr-defined]
    with connect(db_url) as c:
        return [dict(r._mapping) for r in c.execute(sa.select(table).order_by(table.c.id))]


def users(db_url: str) -> list[dict[str, Any]]:
    table = User.__table__  # type: ignore[attr-defined]
    with connect(db_url) as c:
        return [dict(r._mapping) for r in c.execute(sa.select(table).order_by(table.c.id))]


def utc_now() -> datetime:
    return datetime.now(UTC)


def insert_user(db_url: str, uid: str, email: str) -> None:
    table = User.__table__  # type: ignore[attr-defined]
    with connect(db_url) as c:
        c.execute(table.insert().values(id=uid, email=email, name=uid, created_at=utc_now()))


def set_time(db_url: str, table: str, column: str, row_id: int, iso: str) -> None:
    """Set a timestamp as the application stores it (naive UTC text on SQLite, timestamptz)."""
    stmt = sa.text(f"UPDATE {table} SET {column} = :t WHERE id = :i").bindparams(
        sa.bindparam("t", type_=UTCDateTime())
    )
    with connect(db_url) as conn:
        conn.execute(stmt, {"t": datetime.fromisoformat(iso), "i": row_id})


def set_deleted_at(db_url: str, task_id: int, days_ago: float) -> None:
    when = (utc_now() - timedelta(days=days_ago)).isoformat()
    set_time(db_url, "tasks", "deleted_at", task_id, when)


def seed(db_url: str, user_id: str, titles: list[str]) -> None:
    """Insert tasks for `user_id`, one second apart in creation order, oldest first."""
    table = Task.__table__  # type: ignore[attr-defined]
    start = utc_now() - timedelta(days=1)
    values = [
        {
            "user_id": user_id,
            "uuid": str(uuid.uuid4()),
            "title": title,
            "completed": False,
            "tags": [],
            "created_at": start + timedelta(seconds=i),
            "updated_at": start + timedelta(seconds=i),
        }
        for i, title in enumerate(titles)
    ]
    with connect(db_url) as c:
        c.execute(table.insert(), values)


def counts(db_url: str) -> dict[str, int]:
    return {t: query(db_url, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}


def owned(db_url: str, user_id: str) -> dict[str, int]:
    return {
        t: query(db_url, f"SELECT count(*) FROM {t} WHERE user_id = :u", u=user_id)[0][0]
        for t in TABLES[1:]
    }


def conv_row(db_url: str, conv_id: int) -> tuple[Any, ...] | None:
    found = query(
        db_url,
        "SELECT id, user_id, title, message_count, created_at, updated_at "
        "FROM conversations WHERE id = :i",
        i=conv_id,
    )
    return found[0] if found else None


def migrate_db(db_url: str, revision: str = "head") -> None:
    """Build (or move) a test database's schema the way `todo db migrate` does."""
    from todo_cli.services.database import migrations
    from todo_cli.services.runtime import Runtime

    rt = Runtime(db_url)
    try:
        migrations.migrate(rt, revision)
    finally:
        rt.close()
