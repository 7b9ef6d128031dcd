"""Storing checked import rows: new tasks added, known uuids updated when newer, one change.

One transaction, journaled as one change (`todo undo` takes the whole import back). The
tasks' ids are reserved first (a sequence on PostgreSQL; on SQLite the write lock is held), so
every row, annotation, dependency and parent link is complete before it is sent: the tasks go
in as multi-row INSERTs on SQLite and one streaming COPY on PostgreSQL, and so do their
annotations and dependencies (`services/bulk_insert.py`). The new tasks' rows, with their urgency
and journal image (`import_images.py`), are built in a helper thread a batch ahead of the
one being stored (`services/prefetch.py`): the databases do their work with the GIL released.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from todo_cli.columns import utc_text
from todo_cli.models import Task
from todo_cli.services.bulk_insert import (
    BATCH,
    copy,
    copy_batches,
    insert,
    must_stage,
)
from todo_cli.services.prefetch import ahead
from todo_cli.services.tasks import images, import_images
from todo_cli.services.tasks.import_links import link, taken_slots, task_row
from todo_cli.services.tasks.import_rows import COLUMNS, UPDATED_AT, UUID_AT, Row
from todo_cli.services.tasks.pipeline import Fragments
from todo_cli.services.work import Work
from todo_cli.table_parts import new_uuid

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
    if w.attempts[0] > 1 and w.stored(Task) is not None:  # did an earlier attempt commit?
        return Imported(len(rows), 0, 0)  # all of it (the first new row carries the key)
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
    taken = taken_slots(conn, uid) if known else set()
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
    at = utc_text(now, offset=f.pg)
    every = [*zip(ids, plan.new, strict=True), *plan.changed]
    notes = [(i, uid, at, note) for i, row in every for at, note in row[-4]]
    depends = [(i, d, uid) for i, row in every for d in row[-3]]
    batches = _batches(ids, plan.new, _Context(uid, key, params["command"], at, by_uuid, taken))
    started = time.perf_counter()
    with ahead(batches) as made:  # the next batch is built while this one is stored
        if conn.dialect.name == "sqlite":
            # A large import updates a dozen indexes at random places: keep their pages in
            # memory (this connection only; it goes back to the default when it closes).
            conn.exec_driver_sql(f"PRAGMA cache_size = -{min(262144, 64 + len(rows) // 2)}")
            for task_rows, journal in made:
                insert(conn, "tasks", TASK_COLUMNS, task_rows, advance)
                insert(conn, "journal", JOURNAL_COLUMNS, journal, None)
            insert(conn, "annotations", NOTE_COLUMNS, notes, None)
            insert(conn, "task_dependencies", DEPEND_COLUMNS, depends, None)
        else:
            journal = []
            staged = must_stage(conn, "tasks")
            tasks = _stash(made, journal)
            copy_batches(conn, "tasks", TASK_COLUMNS, tasks, advance, staged=staged)
            copy(conn, "annotations", NOTE_COLUMNS, notes, None, staged=staged)
            copy(conn, "task_dependencies", DEPEND_COLUMNS, depends, None, staged=staged)
            copy(conn, "journal", JOURNAL_COLUMNS, journal, None, staged=staged)
            if w.rt.profile is not None:  # the COPY bypasses SQLAlchemy's statement events
                sql = f"COPY tasks ({', '.join(TASK_COLUMNS)}) FROM STDIN (and its annotations...)"
                w.rt.profile.record(sql, (time.perf_counter() - started) * 1000)
    advance(len(plan.changed))
    if known:  # blocked and blocking may follow tasks that were there before
        _journal_and_urgency(w, f, changed_ids, params)
    return Imported(len(plan.new), len(plan.changed), plan.unchanged)


@dataclass(frozen=True)
class _Context:
    uid: str
    key: str
    command: str
    at: str  # the import's time, in storage form
    by_uuid: dict[str, int]
    taken: set[tuple[int, int]]


def _batches(ids: list[int], rows: list[Row], c: _Context) -> Iterator[tuple[list[Any], list[Any]]]:
    """The new tasks' rows and journal rows, `BATCH` at a time (built in a helper thread)."""
    open_here, waited = import_images.open_uuids(rows)
    for start in range(0, len(rows), BATCH):
        task_rows, journal = [], []
        for n in range(start, min(start + BATCH, len(rows))):
            row = rows[n]
            urgency = import_images.urgency_of(row, open_here, waited)
            t = task_row(ids[n], c.uid, row, c.by_uuid, c.taken, c.key if n == 0 else None, urgency)
            task_rows.append(t)
            image = import_images.image_json(t[0], row, t[-4], t[-3], t[-5])
            journal.append((c.uid, c.key, c.command, c.at, row[UUID_AT], "add", image))
        yield task_rows, journal


def _stash(made: Iterator[tuple[list[Any], list[Any]]], journal: list[Any]) -> Iterator[list[Any]]:
    """The task rows of each batch, keeping its journal rows for the COPY after."""
    for task_rows, journal_rows in made:
        journal += journal_rows
        yield task_rows


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
        parent_id, index, extra = link(row, by_uuid, taken)
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
