"""Helpers shared by the user, chat, search and isolation tests; this module holds no tests.

The database is always real: rows are read and written with plain SQL on the same URL the CLI
uses, never through the service layer under test.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tests.helpers import Run, cli
from todo_cli.config import parse_url
from todo_cli.services.users import local_identity
from todo_cli.types import UTCDateTime

TS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00:00")
WHEN = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")  # render.when: local minutes
TABLES = ("users", "tasks", "conversations", "messages")
CONV_KEYS = ["id", "title", "message_count", "created_at", "updated_at"]
MSG_KEYS = ["id", "conversation_id", "role", "content", "created_at"]
LOCAL_ID, LOCAL_EMAIL = local_identity()


def todo(
    db_url: str,
    *args: str,
    user: str | None = None,
    input: str | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """`todo --database-url URL [--user U] ARGS`, in process."""
    pre = ["--database-url", db_url] + (["--user", user] if user else [])
    return cli(*pre, *args, input=input, env=env)


def ok(run: Run) -> Run:
    assert (run.exit_code, run.stderr) == (0, ""), run
    return run


def js(run: Run) -> Any:
    ok(run)
    return json.loads(run.stdout)


def norm(text: str) -> str:
    """Timestamps made comparable: ISO ones to <TS>, local table ones to a same-width mask."""
    return WHEN.sub("YYYY-MM-DD HH:MM", TS.sub("<TS>", text))


def is_ts(value: Any) -> bool:
    return isinstance(value, str) and TS.fullmatch(value) is not None


def query(db_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(parse_url(db_url))
    try:
        with engine.begin() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def execute(db_url: str, sql: str, **params: Any) -> None:
    engine = sa.create_engine(parse_url(db_url))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(sql), params)
    finally:
        engine.dispose()


def set_time(db_url: str, table: str, column: str, row_id: int, iso: str) -> None:
    """Set a timestamp as the application stores it (naive UTC text on SQLite, timestamptz)."""
    stmt = sa.text(f"UPDATE {table} SET {column} = :t WHERE id = :i").bindparams(
        sa.bindparam("t", type_=UTCDateTime())
    )
    engine = sa.create_engine(parse_url(db_url))
    try:
        with engine.begin() as conn:
            conn.execute(stmt, {"t": datetime.fromisoformat(iso), "i": row_id})
    finally:
        engine.dispose()


def counts(db_url: str) -> dict[str, int]:
    return {t: query(db_url, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}


def owned(db_url: str, user_id: str) -> dict[str, int]:
    return {
        t: query(db_url, f"SELECT count(*) FROM {t} WHERE user_id = :u", u=user_id)[0][0]
        for t in TABLES[1:]
    }


def add_user(db_url: str, email: str, uid: str, name: str | None = None) -> None:
    extra = ["--name", name] if name else []
    ok(todo(db_url, "user", "add", email, "--id", uid, *extra))


def new_conv(db_url: str, title: str | None = None, user: str | None = None) -> int:
    args = [title] if title is not None else []
    conv_id: int = js(todo(db_url, "chat", "new", *args, "--json", user=user))["id"]
    return conv_id


def say(
    db_url: str, conv_id: int, text: str, role: str = "user", user: str | None = None
) -> dict[str, Any]:
    msg: dict[str, Any] = js(
        todo(db_url, "chat", "say", str(conv_id), text, "--role", role, "--json", user=user)
    )
    return msg


def conv_row(db_url: str, conv_id: int) -> tuple[Any, ...] | None:
    rows = query(
        db_url,
        "SELECT id, user_id, title, message_count, created_at, updated_at "
        "FROM conversations WHERE id = :i",
        i=conv_id,
    )
    return rows[0] if rows else None


def backend(db_url: str) -> str:
    return "postgresql" if db_url.startswith("postgres") else "sqlite"
