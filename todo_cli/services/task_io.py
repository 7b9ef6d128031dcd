"""Import of tasks: `todo import` (export is in `task_export`).

Import is all or nothing: every record is checked first (`task_rows`), then the rows go in, in
one transaction: `BATCH` at a time with `executemany` on SQLite, in one streaming COPY on
PostgreSQL.
"""

from __future__ import annotations

import codecs
import gc
import json
from collections.abc import Callable, Iterator
from typing import Any

from pydantic_core import from_json
from sqlalchemy import column, insert, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from todo_cli.db import new_request_key
from todo_cli.errors import BadInput
from todo_cli.models import Task, User
from todo_cli.services import retry
from todo_cli.services.runtime import Runtime
from todo_cli.services.task_rows import Row, RowBuilder, from_taskwarrior
from todo_cli.services.users import current_user_id, forget_current_user

# fmt: off
IMPORT_FORMATS = ("json", "taskwarrior")
BATCH = 2000  # rows per INSERT
COLUMNS = ("user_id", "title", "description", "completed", "priority", "due", "tags",
           "created_at", "updated_at", "completed_at", "deleted_at")
# fmt: on
_TASKS = table("tasks", *(column(name) for name in COLUMNS))  # untyped: values are stored as is
_KEYED = table("tasks", *(column(name) for name in (*COLUMNS, "request_key")))


def load(rt: Runtime, raw: bytes, fmt: str | None = None) -> list[Row]:
    """Parse and check an import file's bytes into rows; nothing is written."""
    was_enabled = gc.isenabled()
    gc.disable()  # a parsed file is a million acyclic objects: collecting them is wasted time
    try:
        return prepare(rt, parse(raw), fmt)
    finally:
        if was_enabled:
            gc.enable()


def parse(raw: bytes) -> Any:
    """JSON text to Python data, or BadInput with the line and column of the first error."""
    raw = raw.removeprefix(codecs.BOM_UTF8)
    if not raw or raw.isspace():
        raise BadInput("the input is empty: expected a JSON array of tasks")
    try:
        return from_json(raw)  # pydantic's parser: faster than json.loads on big files
    except ValueError:
        pass
    try:  # the standard parser for its message (and for UTF-16/32 text, which it decodes)
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise BadInput(f"malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    except UnicodeDecodeError:
        raise BadInput("the input is not UTF-8 text") from None


def prepare(rt: Runtime, data: Any, fmt: str | None = None) -> list[Row]:
    """Check every record of a JSON array (or of the `items` of `todo list --json`) and make
    its row. `fmt`: `json` (ours), `taskwarrior`, or None to detect Taskwarrior's export
    (objects with `description` and `uuid` and no `title`)."""
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list):
        raise BadInput('expected a JSON array of tasks (or an object with an "items" array)')
    if fmt is None:
        first = next((r for r in data if isinstance(r, dict)), {})
        tw = "uuid" in first and "description" in first and "title" not in first
        fmt = "taskwarrior" if tw else "json"
    if fmt not in IMPORT_FORMATS:
        raise BadInput(f"unknown format {fmt!r}: use one of {', '.join(IMPORT_FORMATS)}")
    build = RowBuilder("" if rt.target.backend == "sqlite" else "+00:00")
    from_tw = fmt == "taskwarrior"
    rows = []
    for n, record in enumerate(data, 1):
        if not isinstance(record, dict):
            raise BadInput(f"record {n}: expected an object, got {_json_type(record)}")
        rows.append(build(from_taskwarrior(record, n) if from_tw else record, n))
    return rows


def insert_rows(rt: Runtime, rows: list[Row], advance: Callable[[int], None]) -> int:
    """Insert the rows for the current user in one transaction, `BATCH` at a time: SQLite's
    `executemany`, PostgreSQL's `COPY` (on 100,000 rows, SQLAlchemy's multi-row INSERTs took
    three times as long, and its per-cell type conversion longer than SQLite's inserting).

    A connection lost mid-way is retried as a whole. The first row carries the import's
    request key: if a retry finds it, the earlier attempt committed, all of it."""
    key = new_request_key()
    return retry.run(rt, lambda: _insert_rows(rt, rows, advance, key))


def _insert_rows(rt: Runtime, rows: list[Row], advance: Callable[[int], None], key: str) -> int:
    with rt.session(write=True) as s:
        if s.scalar(select(col(Task.id)).where(col(Task.request_key) == key)) is not None:
            return len(rows)
        uid = current_user_id(rt, s)
        if s.get(User, uid) is None:
            forget_current_user(rt)  # the cached user was deleted since: resolve it again
            uid = current_user_id(rt, s)
        conn = s.connection()
        if not rows:
            return 0
        first = dict(zip(_KEYED.c.keys(), (uid, *rows[0], key), strict=True))
        conn.execute(insert(_KEYED).values(first))
        advance(1)
        batches = (rows[i : i + BATCH] for i in range(1, len(rows), BATCH))
        if conn.dialect.name == "sqlite":
            for batch in batches:
                _executemany(conn, uid, batch)
                advance(len(batch))
        else:
            _copy(conn, uid, batches, advance)
    return len(rows)


def _executemany(conn: Connection, uid: str, batch: list[Row]) -> None:
    sql = str(insert(_TASKS).compile(dialect=conn.dialect))
    conn.exec_driver_sql(sql, [(uid, *row) for row in batch])


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    return value if value.isprintable() and "\\" not in value else value.translate(_COPY_ESCAPES)


def _copy(
    conn: Connection, uid: str, batches: Iterator[list[Row]], advance: Callable[[int], None]
) -> None:
    """One COPY for all the rows: one round trip to Neon rather than one per batch, and the
    server stores a batch while the next one is being turned into text here."""
    sql = f"COPY tasks ({', '.join(COLUMNS)}) FROM STDIN"
    dbapi = conn.dialect.loaded_dbapi
    try:
        with conn.connection.dbapi_connection.cursor() as cur:  # type: ignore[union-attr]
            cur.copy_expert(sql, _CopySource(_copy_text(uid), batches, advance))
    except dbapi.Error as e:  # give it SQLAlchemy's type, which the error boundary knows
        raise DBAPIError.instance(sql, None, e, dbapi.Error) from e


class _CopySource:
    """A file-like object for `copy_expert`: each read() is the text of the next batch."""

    def __init__(
        self, user: str, batches: Iterator[list[Row]], advance: Callable[[int], None]
    ) -> None:
        self.user, self.batches, self.advance = user, batches, advance

    def read(self, size: int = -1) -> str:
        batch = next(self.batches, None)
        if batch is None:
            return ""
        esc, null, user = _copy_text, "\\N", self.user
        text = "".join(
            f"{user}\t{esc(title)}\t{null if notes is None else esc(notes)}\t"
            f"{'t' if done else 'f'}\t{null if rank is None else rank}\t{due or null}\t"
            f"{esc(tags)}\t{created}\t{updated}\t{done_at or null}\t{deleted or null}\n"
            for title, notes, done, rank, due, tags, created, updated, done_at, deleted in batch
        )
        self.advance(len(batch))
        return text


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}
    return names.get(type(value), "a number")
