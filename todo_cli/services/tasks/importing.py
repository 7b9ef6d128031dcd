"""Import of tasks: `todo import` (export is in `exporting.py`).

Import is all or nothing: the file is parsed and every record checked (`import_rows.py`)
before any database work, so a bad record anywhere names itself and nothing is written; then
the rows go in in one transaction: multi-row INSERTs on SQLite, one streaming COPY on
PostgreSQL.
"""

from __future__ import annotations

import codecs
import functools
import gc
import itertools
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pydantic_core import from_json
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from todo_cli.choices import TaskImportFormat, one_of
from todo_cli.errors import BadInput
from todo_cli.models import Task
from todo_cli.services.runtime import Runtime
from todo_cli.services.tasks.import_rows import Row, RowBuilder, from_taskwarrior
from todo_cli.services.work import Work, unit_of_work

BATCH = 2000  # rows per statement (SQLite) or per piece of the COPY (PostgreSQL)
# fmt: off
COLUMNS = ("user_id", "title", "description", "completed", "priority", "due", "tags",
           "created_at", "updated_at", "completed_at", "deleted_at", "uuid", "request_key")
# fmt: on
CHECK = "todo list --status all --sort created"  # shows whether a lost import got applied


@contextmanager
def _no_gc() -> Iterator[None]:
    """A parsed file is a million acyclic objects: collecting them is wasted time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_tasks(
    rt: Runtime,
    raw: bytes,
    fmt: TaskImportFormat | None,
    progress: Callable[[int], Callable[[int], None]],
) -> int:
    """Parse and check the whole file, then add its tasks for the current user, all or none.

    `fmt`: ours, Taskwarrior's, or None to detect Taskwarrior's export (objects with
    `description` and `uuid` and no `title`). Our records may also be the `items` of
    `todo list --json`. `progress(total)` gives the function to call as rows are stored.
    """
    with _no_gc():
        records = _records(parse(raw))
        chosen = fmt or _detect(records)
        rows = _checked(records, chosen, "" if rt.target.backend == "sqlite" else "+00:00")
        del records
        if not rows:
            return 0
        return _store(rt, rows, progress(len(rows)))


def parse(raw: bytes) -> Any:
    """JSON text to Python data, or BadInput with the line and column of the first error."""
    raw = raw.removeprefix(codecs.BOM_UTF8)
    if not raw or raw.isspace():
        raise BadInput("the input is empty: expected a JSON array of tasks")
    try:
        return from_json(raw, cache_strings="keys")  # faster than json.loads on big files
    except ValueError:
        pass
    try:  # the standard parser for its message (and for UTF-16/32 text, which it decodes)
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise BadInput(f"malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    except UnicodeDecodeError:
        raise BadInput("the input is not UTF-8 text") from None


def _records(data: Any) -> list[Any]:
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list):
        raise BadInput('expected a JSON array of tasks (or an object with an "items" array)')
    return data


def _detect(records: list[Any]) -> TaskImportFormat:
    first = next((r for r in records if isinstance(r, dict)), {})
    tw = "uuid" in first and "description" in first and "title" not in first
    return TaskImportFormat.taskwarrior if tw else TaskImportFormat.json


def _checked(records: list[Any], fmt: TaskImportFormat, tz_suffix: str) -> list[Row]:
    """The rows of the records, each checked; BadInput names the first bad one.
    `tz_suffix`: see `RowBuilder`."""
    if fmt not in TaskImportFormat:
        raise BadInput(f"unknown format {fmt!r}: use {one_of(TaskImportFormat)}")
    build = RowBuilder(tz_suffix)
    from_tw = fmt == TaskImportFormat.taskwarrior
    rows: list[Row] = []
    for n, record in enumerate(records, 1):
        if not isinstance(record, dict):
            raise BadInput(f"record {n}: expected an object, got {_json_type(record)}")
        rows.append(build(from_taskwarrior(record, n) if from_tw else record, n))
    return rows


@unit_of_work(write=True, check=CHECK)
def _store(w: Work, rows: list[Row], advance: Callable[[int], None]) -> int:
    """Insert the rows for the current user, in one transaction. A connection lost mid-way
    is retried as a whole; the first row carries the import's request key: if a retry finds
    it, the earlier attempt committed, all of it."""
    s, key = w.session, w.request_key
    if s.scalar(select(col(Task.id)).where(col(Task.request_key) == key)) is not None:
        return len(rows)
    conn = s.connection()
    if conn.dialect.name != "sqlite":
        # Row-level security refuses COPY FROM (migration 0009): then the COPY fills a
        # temporary table, and one INSERT ... SELECT puts its rows through the policies.
        me = w.user.lookup().scalar_subquery()
        uid, guarded = s.execute(select(me, func.row_security_active("tasks"))).one()
        if uid is None:
            w.check_user()
        started = time.perf_counter()
        sql = _copy(conn, _copy_text(rows, uid, key), advance, staged=bool(guarded))
        if w.rt.profile is not None:  # the COPY bypasses SQLAlchemy's statement events
            w.rt.profile.record(sql, (time.perf_counter() - started) * 1000)
        _refresh(w, uid)
        return len(rows)
    uid = w.user_id()
    per = _rows_per_statement(conn.connection.dbapi_connection)
    for size, sql, params in _statements(rows, uid, key, per):
        conn.exec_driver_sql(sql, params)
        advance(size)
    _refresh(w, uid)
    return len(rows)


def _refresh(w: Work, uid: str) -> None:
    """The stored urgency of the new rows (they come in with 0)."""
    from sqlalchemy import text

    from todo_cli.services.tasks.urgency import refresh_sql

    w.session.execute(
        text(refresh_sql(w.dialect, "user_id = :uid AND urgency_base = 0")), {"uid": uid}
    )


_WIDTH = len(COLUMNS) - 2  # parameters per row: all but user_id (one for all) and request_key


def _rows_per_statement(dbapi: Any) -> int:
    """Rows per INSERT: `BATCH`, unless the SQLite library allows fewer parameters (999
    before 3.32)."""
    limit: int = dbapi.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(BATCH, (limit - 1) // _WIDTH))


def _statements(
    rows: list[Row], uid: str, key: str, per: int
) -> Iterator[tuple[int, str, tuple[Any, ...]]]:
    """(rows, sql, parameters) of each INSERT; the first row alone, with its request key."""
    yield 1, _keyed_sql(), (uid, *rows[0], key)
    for i in range(1, len(rows), per):
        some = rows[i : i + per]
        yield len(some), _values_sql(len(some)), (uid, *itertools.chain.from_iterable(some))


@functools.cache
def _keyed_sql() -> str:
    return f"INSERT INTO tasks ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


@functools.lru_cache(maxsize=4)
def _values_sql(rows: int) -> str:
    """An INSERT of `rows` rows: the first parameter is the user, then `_WIDTH` per row.

    Plain `?` only: SQLite looks up each numbered `?NNN` in a list, which made compiling a
    2,000-row statement take half a second.
    """
    row = f"({', '.join('?' * _WIDTH)})"
    columns = ", ".join(f"column{i}" for i in range(1, _WIDTH + 1))
    values = ", ".join([row] * rows)
    return (
        f"INSERT INTO tasks ({', '.join(COLUMNS[:-1])}) SELECT ?, {columns} FROM (VALUES {values})"
    )


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _esc(value: str) -> str:
    return value if value.isprintable() and "\\" not in value else value.translate(_COPY_ESCAPES)


def _copy_text(rows: list[Row], uid: str, key: str) -> Iterator[tuple[int, str]]:
    """`BATCH` rows at a time as lines of COPY's text format; the first row carries the
    request key."""
    user = _esc(uid)
    yield 1, _copy_lines(rows[:1], user, _esc(key))
    for i in range(1, len(rows), BATCH):
        batch = rows[i : i + BATCH]
        yield len(batch), _copy_lines(batch, user, "\\N")


def _copy_lines(rows: list[Row], user: str, key: str) -> str:
    esc, null = _esc, "\\N"
    return "".join(
        f"{user}\t{esc(title)}\t{null if notes is None else esc(notes)}\t"
        f"{'t' if done else 'f'}\t{null if rank is None else rank}\t{due or null}\t"
        f"{esc(tags)}\t{created}\t{updated}\t{done_at or null}\t{deleted or null}\t{uuid}\t{key}\n"
        for title, notes, done, rank, due, tags, created, updated, done_at, deleted, uuid in rows
    )


_STAGE = "todo_import_rows"


def _copy(
    conn: Connection,
    pieces: Iterator[tuple[int, str]],
    advance: Callable[[int], None],
    *,
    staged: bool = False,
) -> str:
    """One COPY for all the rows: one round trip to Neon rather than one per batch, and the
    server stores a batch while the next one is being written here. Returns the SQL.

    `staged`: into a temporary table (dropped at commit), then into `tasks` with INSERT."""
    columns = ", ".join(COLUMNS)
    if staged:
        conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {_STAGE} ON COMMIT DROP AS"
            f" SELECT {columns} FROM tasks WITH NO DATA"
        )
    sql = f"COPY {_STAGE if staged else 'tasks'} ({columns}) FROM STDIN"
    dbapi = conn.dialect.loaded_dbapi
    source = _CopySource(pieces, advance)
    try:
        with conn.connection.dbapi_connection.cursor() as cur:  # type: ignore[union-attr]
            cur.copy_expert(sql, source)
    except dbapi.Error as e:
        if source.error is not None:  # Ctrl-C made psycopg2 abort the COPY
            raise source.error from None
        raise DBAPIError.instance(sql, None, e, dbapi.Error) from e  # a type the boundary knows
    if staged:
        conn.exec_driver_sql(f"INSERT INTO tasks ({columns}) SELECT {columns} FROM {_STAGE}")
    return sql


class _CopySource:
    """A file-like object for `copy_expert`: each read() is the text of the next batch. An
    error raised here (Ctrl-C) aborts the COPY, and psycopg2 reports it as an error of its
    own, so it is kept to be raised as itself."""

    def __init__(self, pieces: Iterator[tuple[int, str]], advance: Callable[[int], None]) -> None:
        self.pieces, self.advance = pieces, advance
        self.error: BaseException | None = None

    def read(self, size: int = -1) -> str:
        try:
            count, text = next(self.pieces, (0, ""))
        except BaseException as e:
            self.error = e
            raise
        self.advance(count)
        return text


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}
    return names.get(type(value), "a number")
