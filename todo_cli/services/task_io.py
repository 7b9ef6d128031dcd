"""Import of tasks: `todo import` (export is in `task_export`).

Import is all or nothing: every record is checked before anything is written, and the rows then
go in `BATCH` at a time in one transaction. Checking 100,000 records through the `TaskImport`
model costs more than inserting them, so a record first takes a fast path that accepts only what
the model accepts, through the same pydantic types, and stores the same values; anything else
goes through the model, which gives the value or the exact error. Rows are built in storage form
(a timestamp is a naive UTC string on SQLite), so inserting converts nothing per cell.
"""

from __future__ import annotations

import codecs
import gc
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, TypeAdapter
from pydantic_core import from_json
from sqlalchemy import column, insert, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from todo_cli.db import new_request_key
from todo_cli.errors import BadInput
from todo_cli.models import DESCRIPTION_MAX, PRIORITIES, TITLE_MAX, Task, User
from todo_cli.schemas import Description, Tag, TaskImport, Title, validate
from todo_cli.services import retry
from todo_cli.services.runtime import Runtime
from todo_cli.services.users import current_user_id, forget_current_user
from todo_cli.types import utcnow

# fmt: off
IMPORT_FORMATS = ("json", "taskwarrior")
BATCH = 2000  # rows per INSERT
COLUMNS = ("user_id", "title", "description", "completed", "priority", "due", "tags",
           "created_at", "updated_at", "completed_at", "deleted_at")
# fmt: on
_TASKS = table("tasks", *(column(name) for name in COLUMNS))  # untyped: values are stored as is
_KEYED = table("tasks", *(column(name) for name in (*COLUMNS, "request_key")))
Row = tuple[Any, ...]  # a row's values in COLUMNS order, without user_id


class ImportRecord(TaskImport):
    """A record of an import file; `deleted_at` puts the task in the trash."""

    deleted_at: AwareDatetime | None = None


class _Slow(Exception):
    """The fast path declines a record: the model decides."""


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
    build = _RowBuilder("" if rt.target.backend == "sqlite" else "+00:00")
    from_tw = fmt == "taskwarrior"
    rows = []
    for n, record in enumerate(data, 1):
        if not isinstance(record, dict):
            raise BadInput(f"record {n}: expected an object, got {_json_type(record)}")
        rows.append(build(_from_taskwarrior(record, n) if from_tw else record, n))
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

    readline = read  # psycopg2 asks for it on some paths


class _RowBuilder:
    """Validated rows from our records: the fast path, or `ImportRecord` when it declines."""

    def __init__(self, tz_suffix: str) -> None:
        self.suffix = tz_suffix  # how the driver is to read a UTC timestamp string
        self.whole = ".000000" + tz_suffix
        self.now = self.timestamp(utcnow())
        self.title = TypeAdapter(Title).validator.validate_python
        self.description = TypeAdapter(Description).validator.validate_python
        self.tag = TypeAdapter(Tag).validator.validate_python
        self.aware = TypeAdapter(AwareDatetime).validator.validate_python
        self.good_tags: set[str] = set()
        self.tags_json: dict[tuple[str, ...], str] = {}

    def __call__(self, r: dict[str, Any], n: int) -> Row:
        try:
            return self.fast(r)
        except (_Slow, ValueError, TypeError, KeyError, OverflowError):
            pass
        m = validate(ImportRecord, r, where=f"record {n}: ")
        try:
            return self.fast(m.model_dump())  # valid now: the fast path takes it as it is
        except OverflowError:
            raise BadInput(f"record {n}: a date is out of range") from None

    def fast(self, r: dict[str, Any]) -> Row:
        """The row for a record of plain values, or an exception to decline it. The fields go
        through the model's pydantic types, but `completed` must be a bool, `priority` a name."""
        get = r.get
        completed = get("completed", False)
        tags = get("tags", [])
        if type(completed) is not bool or type(tags) is not list:
            raise _Slow
        title = r["title"]
        # ASCII text without NUL needs no UTF-8 check: only length and blankness are left.
        if not (
            type(title) is str
            and title.isascii()
            and 0 < len(title) <= TITLE_MAX
            and not title.isspace()
            and "\x00" not in title
        ):
            title = self.title(title)
        description = get("description")
        if description is not None and not (
            type(description) is str
            and description.isascii()
            and len(description) <= DESCRIPTION_MAX
            and "\x00" not in description
        ):
            description = self.description(description)
        priority = get("priority")
        if priority is not None:
            priority = PRIORITIES[priority]
        if tags:
            for tag in tags:
                if tag not in self.good_tags:
                    self.good_tags.add(self.tag(tag))
            key = tuple(dict.fromkeys(tags))
            tags_json = self.tags_json.get(key)
            if tags_json is None:
                tags_json = self.tags_json[key] = json.dumps(list(key))
        else:
            tags_json = "[]"
        at = self.moment
        due, created, updated = get("due"), get("created_at"), get("updated_at")
        done, deleted = get("completed_at"), get("deleted_at")
        if due is not None:
            due = at(due)
        created = self.now if created is None else at(created)
        updated = created if updated is None else at(updated)
        if done is not None:
            done = at(done)  # checked even when the task is not completed, like the model does
        if deleted is not None:
            deleted = at(deleted)
        done = (done or updated) if completed else None
        return (
            title, description, completed, priority, due, tags_json,
            created, updated, done, deleted,
        )  # fmt: skip

    def moment(self, value: Any) -> str:
        """A checked timestamp in storage form; our own canonical UTC text is just sliced."""
        if type(value) is not str:
            if isinstance(value, datetime):
                return self.timestamp(value)
            raise _Slow
        parsed = self.aware(value)
        size = len(value)
        if (size == 25 and value.endswith("+00:00")) or (size == 20 and value[19] in "Zz"):
            return f"{value[:10]} {value[11:19]}{self.whole}"
        if value[19:20] == "." and (
            (size == 32 and value.endswith("+00:00")) or (size == 27 and value[26] in "Zz")
        ):
            return f"{value[:10]} {value[11:26]}{self.suffix}"
        return self.timestamp(parsed)

    def timestamp(self, value: datetime) -> str:
        """`YYYY-MM-DD HH:MM:SS.ffffff` in UTC (+ `+00:00` for PostgreSQL)."""
        u = value.astimezone(UTC)
        return (
            f"{u.year:04d}-{u.month:02d}-{u.day:02d} "
            f"{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond:06d}{self.suffix}"
        )


_TW_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")
_TW_PRIORITY = {"H": "high", "M": "medium", "L": "low"}


def _tw_date(value: Any) -> Any:
    """`20261125T103000Z` -> `2026-11-25T10:30:00+00:00`; anything else is left to validation."""
    m = _TW_DATE.fullmatch(value) if isinstance(value, str) else None
    return "{}-{}-{}T{}:{}:{}+00:00".format(*m.groups()) if m else value


def _from_taskwarrior(r: dict[str, Any], n: int) -> dict[str, Any]:
    """A Taskwarrior `task export` object as one of ours.

    description -> title; annotations -> description (one per line); entry -> created_at;
    modified -> updated_at; due; priority H/M/L -> high/medium/low; tags. Status `completed`
    -> completed, with `end` as the completion time. Status `deleted` -> a task in the trash
    (deleted at `end`, else `modified`), so nothing is lost and `todo purge` can drop it.
    `pending`, `waiting` and `recurring` (a recurrence's template) -> pending tasks. Taskwarrior's
    ids and uuids are not kept.
    """
    notes = r.get("annotations") or []
    if not isinstance(notes, list) or not all(isinstance(a, dict) for a in notes):
        raise BadInput(f"record {n}: annotations must be a list of objects")
    status = r.get("status", "pending")
    priority = r.get("priority")
    end = _tw_date(r.get("end"))
    modified = _tw_date(r.get("modified"))
    record: dict[str, Any] = {
        "title": r.get("description"),
        "description": "\n".join(str(a.get("description", "")) for a in notes) or None,
        "completed": status == "completed",
        "priority": _TW_PRIORITY.get(priority, priority) if isinstance(priority, str) else priority,
        "due": _tw_date(r.get("due")),
        "tags": r.get("tags", []),
        "created_at": _tw_date(r.get("entry")),
        "updated_at": modified,
        "completed_at": end if status == "completed" else None,
    }
    if status == "deleted":
        record["deleted_at"] = end or modified or utcnow().isoformat()
    return record


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}
    return names.get(type(value), "a number")
