"""Import of tasks: `todo import` (export is in `task_export`).

Import is all or nothing: the rows go in in one transaction, and a bad record anywhere in the
file rolls it back, so nothing is written. Records are checked (`task_rows`) `BATCH` at a time
in a helper thread (`ahead`) while the database stores the batch before: one multi-row
INSERT per batch on SQLite, one streaming COPY on PostgreSQL.
"""

from __future__ import annotations

import codecs
import functools
import gc
import itertools
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pydantic_core import from_json
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from todo_cli.db import new_request_key
from todo_cli.errors import BadInput
from todo_cli.models import Task, User
from todo_cli.services import json_pieces, retry
from todo_cli.services.ahead import ahead
from todo_cli.services.runtime import Runtime
from todo_cli.services.task_rows import Row, RowBuilder, from_taskwarrior
from todo_cli.services.users import current_user_id, forget_current_user

# fmt: off
IMPORT_FORMATS = ("json", "taskwarrior")
BATCH = 2000  # rows per statement (SQLite) or per piece of the COPY (PostgreSQL)
COLUMNS = ("user_id", "title", "description", "completed", "priority", "due", "tags",
           "created_at", "updated_at", "completed_at", "deleted_at", "request_key")
# fmt: on


class ImportFile:
    """An import file, checked for its shape, and the format of its records.

    A large array is parsed a piece at a time (`json_pieces`) as the import asks for records,
    in its helper thread, while the database stores the rows before; each piece is dropped
    once its rows are made, so memory stays near the size of the file. A retried import
    parses the file again.
    """

    def __init__(self, raw: bytes, fmt: str, whole: list[Any] | None, count: int, end: int) -> None:
        """`whole`: all the records, when the file is not an array (`{"items": [...]}`)."""
        self.raw, self.fmt, self.whole = raw, fmt, whole
        self.count, self.end = count, end  # records parsed in the current pass, and up to where

    def pieces(self) -> Iterator[list[Any]]:
        if self.whole is not None:
            yield self.whole
            return
        count = 0
        for piece, end in json_pieces.pieces(self.raw, parse):
            count += len(piece)
            self.count, self.end = count, end
            yield piece

    def size(self) -> int:
        """The number of records: exact once the whole file is parsed, else an estimate."""
        raw_size = len(self.raw)
        return self.count if self.end >= raw_size else self.count * raw_size // max(self.end, 1)


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


def load(raw: bytes, fmt: str | None = None) -> ImportFile:
    """Parse (the start of) an import file and check its shape. A file small enough to be
    parsed whole here has its records checked here too, so that its errors come before any
    database work; a large one's records are checked as they go in.
    `fmt`: `json` (ours), `taskwarrior`, or None to detect Taskwarrior's export (objects with
    `description` and `uuid` and no `title`). Our records may also be the `items` of
    `todo list --json`."""
    raw = raw.removeprefix(codecs.BOM_UTF8)
    array = json_pieces.is_array(raw)
    with _no_gc():
        if array:  # the first piece only: enough to tell the format
            data, end = next(json_pieces.pieces(raw, parse))
        else:
            data, end = parse(raw), len(raw)
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
    file = ImportFile(raw, fmt, None if array else data, len(data), end)
    if end >= len(raw):  # parsed whole already (a small file): check it before any database work
        for _ in checked(file, ""):
            pass
    return file


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


def checked(file: ImportFile, tz_suffix: str) -> Iterator[list[Row]]:
    """The rows of the file's records, `BATCH` at a time, each record checked; BadInput
    names the first bad one. `tz_suffix`: see `RowBuilder`."""
    build = RowBuilder(tz_suffix)
    from_tw = file.fmt == "taskwarrior"
    n = 0
    rows: list[Row] = []
    for piece in file.pieces():
        for record in piece:
            n += 1
            if not isinstance(record, dict):
                raise BadInput(f"record {n}: expected an object, got {_json_type(record)}")
            rows.append(build(from_taskwarrior(record, n) if from_tw else record, n))
            if len(rows) == BATCH:
                yield rows
                rows = []
    if rows:
        yield rows


def insert_rows(rt: Runtime, file: ImportFile, advance: Callable[[int], None]) -> int:
    """Check the file's records and insert them for the current user, in one transaction.

    A connection lost mid-way is retried as a whole. The first row carries the import's
    request key: if a retry finds it, the earlier attempt committed, all of it."""
    key = new_request_key()
    with _no_gc():
        return retry.run(rt, lambda: _insert_rows(rt, file, advance, key))


def _insert_rows(rt: Runtime, file: ImportFile, advance: Callable[[int], None], key: str) -> int:
    with rt.session(write=True) as s:
        if s.scalar(select(col(Task.id)).where(col(Task.request_key) == key)) is not None:
            return file.size()  # exact: that attempt parsed all of it
        uid = current_user_id(rt, s)
        if s.get(User, uid) is None:
            forget_current_user(rt)  # the cached user was deleted since: resolve it again
            uid = current_user_id(rt, s)
        conn = s.connection()
        sqlite = conn.dialect.name == "sqlite"
        batches = checked(file, "" if sqlite else "+00:00")
        if not sqlite:
            with ahead(_copy_text(batches, uid, key)) as pieces:
                _copy(conn, pieces, advance)
            return file.size()  # exact now: every piece has been parsed
        # The helper thread checks a batch while SQLite stores the one before: a multi-row
        # INSERT is one sqlite3_step, which runs with the GIL released (per-row executemany
        # would take the GIL back for every row).
        per = _rows_per_statement(conn.connection.dbapi_connection)
        with ahead(_statements(batches, uid, key, per)) as statements:
            for size, sql, params in statements:
                conn.exec_driver_sql(sql, params)
                advance(size)
    return file.size()  # exact now: every piece has been parsed


_WIDTH = len(COLUMNS) - 2  # parameters per row: all but user_id (one for all) and request_key


def _rows_per_statement(dbapi: Any) -> int:
    """Rows per INSERT: `BATCH`, unless the SQLite library allows fewer parameters (999
    before 3.32)."""
    limit: int = dbapi.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(BATCH, (limit - 1) // _WIDTH))


def _statements(
    batches: Iterator[list[Row]], uid: str, key: str, per: int
) -> Iterator[tuple[int, str, tuple[Any, ...]]]:
    """(rows, sql, parameters) of each INSERT; the first row alone, with its request key."""
    first = True
    for batch in batches:
        if first:
            first = False
            yield 1, _keyed_sql(), (uid, *batch[0], key)
            batch = batch[1:]
        for i in range(0, len(batch), per):
            rows = batch[i : i + per]
            yield len(rows), _values_sql(len(rows)), (uid, *itertools.chain.from_iterable(rows))


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


def _copy_text(batches: Iterator[list[Row]], uid: str, key: str) -> Iterator[tuple[int, str]]:
    """Each batch as lines of COPY's text format; the first row carries the request key."""
    user = _esc(uid)
    for i, batch in enumerate(batches):
        if i == 0:
            text = _copy_lines(batch[:1], user, _esc(key)) + _copy_lines(batch[1:], user, "\\N")
        else:
            text = _copy_lines(batch, user, "\\N")
        yield len(batch), text


def _copy_lines(rows: list[Row], user: str, key: str) -> str:
    esc, null = _esc, "\\N"
    return "".join(
        f"{user}\t{esc(title)}\t{null if notes is None else esc(notes)}\t"
        f"{'t' if done else 'f'}\t{null if rank is None else rank}\t{due or null}\t"
        f"{esc(tags)}\t{created}\t{updated}\t{done_at or null}\t{deleted or null}\t{key}\n"
        for title, notes, done, rank, due, tags, created, updated, done_at, deleted in rows
    )


def _copy(
    conn: Connection, pieces: Iterator[tuple[int, str]], advance: Callable[[int], None]
) -> None:
    """One COPY for all the rows: one round trip to Neon rather than one per batch, and the
    server stores a batch while the next one is being checked and written here."""
    sql = f"COPY tasks ({', '.join(COLUMNS)}) FROM STDIN"
    dbapi = conn.dialect.loaded_dbapi
    source = _CopySource(pieces, advance)
    try:
        with conn.connection.dbapi_connection.cursor() as cur:  # type: ignore[union-attr]
            cur.copy_expert(sql, source)
    except dbapi.Error as e:
        if source.error is not None:  # a bad record or Ctrl-C made psycopg2 abort the COPY
            raise source.error from None
        raise DBAPIError.instance(sql, None, e, dbapi.Error) from e  # a type the boundary knows


class _CopySource:
    """A file-like object for `copy_expert`: each read() is the text of the next batch. An
    error raised here (a bad record, Ctrl-C) aborts the COPY, and psycopg2 reports it as an
    error of its own, so it is kept to be raised as itself."""

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
