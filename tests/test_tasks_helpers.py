"""Helpers shared by the task-command tests (`test_tasks_*.py`); this module holds no tests.

The database is always real: rows are read and written with plain SQLAlchemy on the same URL
the CLI uses, never through the service layer under test.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tests.helpers import Run, cli
from todo_cli.config import parse_url
from todo_cli.models import Task, User

TS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00:00")
KEYS = [
    "id",
    "title",
    "description",
    "completed",
    "priority",
    "due",
    "tags",
    "created_at",
    "updated_at",
    "deleted_at",
]


@contextmanager
def local_tz(name: str) -> Iterator[None]:
    """Run with the process's local time zone set to `name`, then put the old one back."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


def todo(db_url: str, *args: str, user: str | None = None) -> Run:
    """`todo --database-url URL [--user U] ARGS`, in process."""
    pre = ["--database-url", db_url] + (["--user", user] if user else [])
    return cli(*pre, *args)


def ok(db_url: str, *args: str, user: str | None = None) -> Run:
    r = todo(db_url, *args, user=user)
    assert (r.exit_code, r.stderr) == (0, ""), (args, r.exit_code, r.stderr)
    return r


def js(db_url: str, *args: str, user: str | None = None) -> Any:
    """Run a command with --json and parse stdout."""
    return json.loads(ok(db_url, *args, "--json", user=user).stdout)


def add(db_url: str, title: str, *args: str, user: str | None = None) -> dict[str, Any]:
    task: dict[str, Any] = js(db_url, "add", title, *args, user=user)
    return task


def ids(page: dict[str, Any]) -> list[int]:
    return [t["id"] for t in page["items"]]


def stamp(value: str) -> datetime:
    assert TS.fullmatch(value), value
    return datetime.fromisoformat(value)


def plain(task: dict[str, Any]) -> dict[str, Any]:
    """A task's JSON with its timestamps checked (UTC, +00:00) and replaced by placeholders."""
    assert list(task) == KEYS
    out = dict(task)
    for key in ("created_at", "updated_at", "deleted_at"):
        if out[key] is not None:
            stamp(out[key])
            out[key] = "<ts>"
    return out


@contextmanager
def connect(db_url: str) -> Iterator[sa.Connection]:
    engine = sa.create_engine(parse_url(db_url))  # psycopg2, as the CLI uses
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def rows(db_url: str) -> list[dict[str, Any]]:
    """Every row of `tasks` (any user, live or trashed), all columns, by id."""
    table = Task.__table__  # type: ignore[attr-defined]
    with connect(db_url) as c:
        return [dict(r._mapping) for r in c.execute(sa.select(table).order_by(table.c.id))]


def users(db_url: str) -> list[dict[str, Any]]:
    table = User.__table__  # type: ignore[attr-defined]
    with connect(db_url) as c:
        return [dict(r._mapping) for r in c.execute(sa.select(table).order_by(table.c.id))]


def insert_user(db_url: str, uid: str, email: str) -> None:
    table = User.__table__  # type: ignore[attr-defined]
    with connect(db_url) as c:
        c.execute(table.insert().values(id=uid, email=email, name=uid, created_at=utc_now()))


def set_deleted_at(db_url: str, task_id: int, days_ago: float) -> None:
    table = Task.__table__  # type: ignore[attr-defined]
    when = utc_now() - timedelta(days=days_ago)
    with connect(db_url) as c:
        c.execute(table.update().where(table.c.id == task_id).values(deleted_at=when))


def seed(db_url: str, user_id: str, titles: list[str]) -> None:
    """Insert tasks for `user_id`, one second apart in creation order, oldest first."""
    table = Task.__table__  # type: ignore[attr-defined]
    start = utc_now() - timedelta(days=1)
    values = [
        {
            "user_id": user_id,
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


def utc_now() -> datetime:
    return datetime.now(UTC)
