"""Storing checked import rows: new tasks added, known uuids updated when newer, one change.

One transaction, journaled as one change (`todo undo` takes the whole import back). The
tasks' ids are reserved first (a sequence on PostgreSQL; on SQLite the write lock is held), so
every row, annotation, dependency and parent link is complete before it is sent: the tasks go
in as multi-row INSERTs on SQLite and one streaming COPY on PostgreSQL, and so do their
annotations and dependencies.
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from todo_cli.models import new_uuid
from todo_cli.services.tasks import images, import_images
from todo_cli.services.tasks.import_rows import COLUMNS, EXTRA_AT, UPDATED_AT, UUID_AT, Row
from todo_cli.services.tasks.pipeline import Fragments
from todo_cli.services.work import Work

BATCH = 2000  # rows per statement (SQLite) or per piece of the COPY (PostgreSQL)
TASK_COLUMNS = (
    "id", "user_id", *COLUMNS, "parent_id", "recur_index", "request_key", "urgency_base",
)  # fmt: skip
JOURNAL_COLUMNS = ("user_id", "change", "command", "at", "task_uuid", "action", "after")
NOTE_COLUMNS = ("task_id", "user_id", "entry", "description")
DEPEND_COLUMNS = ("task_id", "depends_on", "user_id")
_IN_CHUNK = 500  # ids per `IN (...)`


@dataclass(frozen=True)
class Imported:
    added: int
    updated: int
    unchanged: int


@dataclass
class _Plan:
    new: list[Row]
    changed: list[tuple[int, Row]]  # (id, row) of known uuids that the file has newer
    unchanged: int


def store(w: Work, rows: list[Row], advance: Callable[[int], None], command: str) -> Imported:
    """Add or update the rows for the current user (see the module docstring)."""
    s, key = w.session, w.request_key
    conn = s.connection()
    if s.execute(text("SELECT 1 FROM tasks WHERE request_key = :k"), {"k": key}).first():
        return Imported(len(rows), 0, 0)  # an earlier attempt committed, all of it
    uid = w.user_id()
    known = _known(conn, uid)
    plan = _plan(rows, known)
    advance(plan.unchanged)
    if not plan.new and not plan.changed:
        return Imported(0, 0, plan.unchanged)
    ids = _reserve(conn, len(plan.new))
    by_uuid = {u: i for u, (i, _) in known.items()}
    for task_id, row in zip(ids, plan.new, strict=True):
        by_uuid[row[UUID_AT]] = task_id
    taken = _taken_slots(conn, uid) if known else set()
    now = datetime.now(UTC)
    f = Fragments(w.dialect)
    params: dict[str, Any] = {"uid": uid, "change": key, "command": command[:200], "now": now}
    changed_ids = [i for i, _ in plan.changed]
    if changed_ids:
        for part in _chunks(changed_ids):
            s.execute(text(_journal_before(f, part)), params)
            s.execute(text(f"DELETE FROM annotations WHERE task_id IN ({_ids(part)})"))
            s.execute(text(f"DELETE FROM task_dependencies WHERE task_id IN ({_ids(part)})"))
        _update(conn, uid, plan.changed, by_uuid, taken)
    task_rows = [
        _task_row(task_id, uid, row, by_uuid, taken, key if n == 0 else None, urgency)
        for n, (task_id, row, urgency) in enumerate(
            zip(ids, plan.new, import_images.urgencies(plan.new, (), ()), strict=True)
        )
    ]
    at = now.strftime("%Y-%m-%d %H:%M:%S.%f") + ("" if f.dialect == "sqlite" else "+00:00")
    command = params["command"]
    journal = [
        (
            uid,
            key,
            command,
            at,
            row[UUID_AT],
            "add",
            import_images.image_json(t[0], row, t[-4], t[-3], t[-5]),
        )
        for t, row in zip(task_rows, plan.new, strict=True)
    ]
    every = [*zip(ids, plan.new, strict=True), *plan.changed]
    notes = [(i, uid, at, note) for i, row in every for at, note in row[-4]]
    depends = [(i, d, uid) for i, row in every for d in row[-3]]
    started = time.perf_counter()
    if conn.dialect.name == "sqlite":
        # A large import updates a dozen indexes at random places: keep their pages in memory
        # (this connection only; it goes back to the default when the connection closes).
        conn.exec_driver_sql(f"PRAGMA cache_size = -{min(262144, 64 + len(rows) // 2)}")
        _insert(conn, "tasks", TASK_COLUMNS, task_rows, advance)
        _insert(conn, "annotations", NOTE_COLUMNS, notes, None)
        _insert(conn, "task_dependencies", DEPEND_COLUMNS, depends, None)
        _insert(conn, "journal", JOURNAL_COLUMNS, journal, None)
    else:
        _copy(conn, "tasks", TASK_COLUMNS, task_rows, advance)
        _copy(conn, "annotations", NOTE_COLUMNS, notes, None)
        _copy(conn, "task_dependencies", DEPEND_COLUMNS, depends, None)
        _copy(conn, "journal", JOURNAL_COLUMNS, journal, None)
        if w.rt.profile is not None:  # the COPY bypasses SQLAlchemy's statement events
            sql = f"COPY tasks ({', '.join(TASK_COLUMNS)}) FROM STDIN (and its annotations...)"
            w.rt.profile.record(sql, (time.perf_counter() - started) * 1000)
    advance(len(plan.changed))
    if known:  # blocked and blocking may follow tasks that were there before
        _journal_and_urgency(w, f, changed_ids, params)
    return Imported(len(plan.new), len(plan.changed), plan.unchanged)


def _known(conn: Connection, uid: str) -> dict[str, tuple[int, datetime]]:
    """The user's tasks: uuid -> (id, updated_at)."""
    rows = conn.execute(
        text("SELECT uuid, id, updated_at FROM tasks WHERE user_id = :uid"), {"uid": uid}
    )
    return {u: (i, _instant(at)) for u, i, at in rows}


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return _instant(datetime.fromisoformat(str(value)))


def _plan(rows: list[Row], known: dict[str, tuple[int, datetime]]) -> _Plan:
    """New rows (each given a uuid), and the known ones the file has a newer version of."""
    plan = _Plan([], [], 0)
    for row in rows:
        uuid = row[UUID_AT]
        if uuid is None:
            plan.new.append((*row[:UUID_AT], new_uuid(), *row[UUID_AT + 1 :]))
        elif uuid not in known:
            plan.new.append(row)
        else:
            task_id, updated = known[uuid]
            if _instant(row[UPDATED_AT]) > updated:  # the newer `modified` wins
                plan.changed.append((task_id, row))
            else:
                plan.unchanged += 1
    return plan


def _reserve(conn: Connection, n: int) -> list[int]:
    """`n` ids for new tasks, never used before (nor after: the sequence moves past them)."""
    if n == 0:
        return []
    if conn.dialect.name == "sqlite":  # the write lock is held: nobody else takes ids now
        top = conn.execute(
            text(
                "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'tasks'), 0),"
                " coalesce((SELECT max(id) FROM tasks), 0))"
            )
        ).scalar_one()
        return list(range(int(top) + 1, int(top) + 1 + n))
    got = conn.execute(
        text(
            "SELECT array_agg(nextval(pg_get_serial_sequence('tasks', 'id')))"
            " FROM generate_series(1, :n)"
        ),
        {"n": n},
    ).scalar_one()
    return sorted(int(i) for i in got)


def _taken_slots(conn: Connection, uid: str) -> set[tuple[int, int]]:
    rows = conn.execute(
        text(
            "SELECT parent_id, recur_index FROM tasks WHERE user_id = :uid"
            " AND parent_id IS NOT NULL AND recur_index IS NOT NULL"
        ),
        {"uid": uid},
    )
    return {(int(p), int(i)) for p, i in rows}


def _link(row: Row, by_uuid: dict[str, int], taken: set[tuple[int, int]]) -> tuple[Any, Any, str]:
    """(parent_id, recur_index, extra) of a row: an instance whose template is not here, or
    whose place in the series another instance has, keeps both in `extra`."""
    parent, index, extra = row[-2], row[-1], row[EXTRA_AT]
    if parent is None:
        return None, None, extra
    parent_id = by_uuid.get(parent)
    if parent_id is None or index is None or (parent_id, index) in taken:
        import json

        more = {"parent": parent, **({"imask": index} if index is not None else {})}
        return None, None, json.dumps({**json.loads(extra), **more})
    taken.add((parent_id, index))
    return parent_id, index, extra


def _task_row(
    task_id: int,
    uid: str,
    row: Row,
    by_uuid: dict[str, int],
    taken: set[tuple[int, int]],
    key: str | None,
    urgency: float,
) -> tuple[Any, ...]:
    parent_id, index, extra = _link(row, by_uuid, taken)
    return (task_id, uid, *row[:EXTRA_AT], extra, parent_id, index, key, urgency)


def _update(
    conn: Connection,
    uid: str,
    changed: list[tuple[int, Row]],
    by_uuid: dict[str, int],
    taken: set[tuple[int, int]],
) -> None:
    names = [*COLUMNS[:UUID_AT], "extra", "parent_id", "recur_index"]
    sets = ", ".join(f"{c} = :{c}" for c in names)
    values = []
    for task_id, row in changed:
        taken.discard((by_uuid.get(row[-2], -1), row[-1]))  # its own place is free to keep
        parent_id, index, extra = _link(row, by_uuid, taken)
        own = dict(zip(COLUMNS[:UUID_AT], row[:UUID_AT], strict=True))
        values.append({**own, "extra": extra, "parent_id": parent_id, "recur_index": index,
                       "id": task_id})  # fmt: skip
    # psycopg2 sends values as literals, which PostgreSQL reads as the columns' types.
    conn.execute(text(f"UPDATE tasks SET {sets} WHERE id = :id AND user_id = :uid"),
                 [{**v, "uid": uid} for v in values])  # fmt: skip


def _ids(ids: Iterable[int]) -> str:
    return ", ".join(str(int(i)) for i in ids)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), _IN_CHUNK):
        yield ids[i : i + _IN_CHUNK]


def _journal_before(f: Fragments, ids: Sequence[int]) -> str:
    return (
        "INSERT INTO journal (user_id, change, command, at, task_uuid, action, before)"
        f" SELECT t.user_id, :change, :command, :now, t.uuid, 'modify', {images.image(f, 't')}"
        f" FROM tasks t WHERE t.user_id = :uid AND t.id IN ({_ids(ids)})"
    )


def _journal_and_urgency(w: Work, f: Fragments, changed: list[int], params: dict[str, Any]) -> None:
    """The changed tasks' images after, then the stored urgency of the tasks around the
    import (new ones come with theirs: `import_images.py`)."""
    from todo_cli.services.tasks.urgency import refresh_sql

    s = w.session
    if changed:
        s.execute(
            text(
                f"UPDATE journal SET after = (SELECT {images.image(f, 't')} FROM tasks t"
                " WHERE t.user_id = journal.user_id AND t.uuid = journal.task_uuid)"
                " WHERE user_id = :uid AND change = :change AND action = 'modify'"
            ),
            params,
        )
    # New and changed tasks, and those whose blocked or blocking state may follow them.
    if len(changed) > _IN_CHUNK:
        around = "user_id = :uid"
    else:
        also = f" OR id IN ({_ids(changed)})" if changed else ""
        around = (
            f"user_id = :uid AND (FALSE{also}"
            " OR id IN (SELECT task_id FROM task_dependencies WHERE user_id = :uid)"
            " OR uuid IN (SELECT depends_on FROM task_dependencies WHERE user_id = :uid))"
        )
    s.execute(text(refresh_sql(w.dialect, around)), params)


# --- SQLite: multi-row INSERTs ---------------------------------------------------------


def rows_per_statement(dbapi: Any, width: int) -> int:
    """Rows per INSERT: `BATCH`, unless the SQLite library allows fewer parameters (999
    before 3.32)."""
    limit: int = dbapi.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(BATCH, limit // width))


def _insert(
    conn: Connection,
    table: str,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    advance: Callable[[int], None] | None,
) -> None:
    from todo_cli.services.tasks import importing  # the tests may set its rows per statement

    per = importing._rows_per_statement(conn.connection.dbapi_connection, len(columns))
    for i in range(0, len(rows), per):
        some = rows[i : i + per]
        conn.exec_driver_sql(_values_sql(table, columns, len(some)), tuple(itertools.chain(*some)))
        if advance is not None:
            advance(len(some))


@functools.lru_cache(maxsize=16)
def _values_sql(table: str, columns: tuple[str, ...], rows: int) -> str:
    """An INSERT of `rows` rows. Plain `?` only: SQLite looks up each numbered `?NNN` in a
    list, which made compiling a 2,000-row statement take half a second."""
    row = f"({', '.join('?' * len(columns))})"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * rows)}"


# --- PostgreSQL: COPY -------------------------------------------------------------------

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _cell(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if type(value) is str:
        return (
            value if value.isprintable() and "\\" not in value else value.translate(_COPY_ESCAPES)
        )
    return str(value)


def _copy_text(rows: list[tuple[Any, ...]], advance: Callable[[int], None] | None) -> Iterator[str]:
    for i in range(0, len(rows), BATCH):
        batch = rows[i : i + BATCH]
        yield "".join("\t".join(map(_cell, r)) + "\n" for r in batch)
        if advance is not None:
            advance(len(batch))


def _copy(
    conn: Connection,
    table: str,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    advance: Callable[[int], None] | None,
) -> None:
    """One COPY for all the rows: one round trip to Neon rather than one per batch, and the
    server stores a batch while the next one is being written here."""
    if not rows:
        return
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    dbapi = conn.dialect.loaded_dbapi
    source = _CopySource(_copy_text(rows, advance))
    try:
        with conn.connection.dbapi_connection.cursor() as cur:  # type: ignore[union-attr]
            cur.copy_expert(sql, source)
    except dbapi.Error as e:
        if source.error is not None:  # Ctrl-C made psycopg2 abort the COPY
            raise source.error from None
        raise DBAPIError.instance(sql, None, e, dbapi.Error) from e  # a type the boundary knows


class _CopySource:
    """A file-like object for `copy_expert`: each read() is the text of the next batch. An
    error raised here (Ctrl-C) aborts the COPY, and psycopg2 reports it as an error of its
    own, so it is kept to be raised as itself."""

    def __init__(self, pieces: Iterator[str]) -> None:
        self.pieces = pieces
        self.error: BaseException | None = None

    def read(self, size: int = -1) -> str:
        try:
            return next(self.pieces, "")
        except BaseException as e:
            self.error = e
            raise
