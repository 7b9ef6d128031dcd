"""Export of tasks: `todo export` streams `BATCH` rows at a time (a server-side cursor on
PostgreSQL), so memory stays flat however many tasks there are."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Text, cast, false, select, true

from todo_cli.choices import Priority, Status
from todo_cli.models import Task
from todo_cli.services.work import Work, unit_of_work

BATCH = 2000  # rows per fetch
# fmt: off
FIELDS = ("id", "title", "description", "completed", "priority", "due", "tags",  # the task shape
          "created_at", "updated_at", "deleted_at")
# fmt: on


@unit_of_work()
def export_tasks(w: Work, status: Status, write: Callable[[list[dict[str, Any]]], None]) -> int:
    """Hand the current user's live tasks (not the trash), by id, to `write` as task objects
    with ISO timestamps, `BATCH` at a time from a streaming cursor; returns how many. Equal
    tag lists may be one object. Not retried once a batch is out: it would be written twice."""
    t = Task.__table__.c  # type: ignore[attr-defined]
    where = [t.user_id == w.me, t.deleted_at.is_(None)]
    if status != Status.all:
        where.append(t.completed == (true() if status == Status.completed else false()))
    # Tags as text: the same few lists come back again and again, so each is decoded once.
    columns = [cast(t.tags, Text) if name == "tags" else t[name] for name in FIELDS[:-1]]
    stmt = select(*columns).where(*where).order_by(t.id)
    tag_lists: dict[str, list[str]] = {}
    count = 0
    for part in w.session.execute(stmt.execution_options(yield_per=BATCH)).partitions():
        batch = []
        for task_id, title, notes, done, rank, due, tags, created, updated in part:
            tag_list = tag_lists.get(tags)
            if tag_list is None:
                tag_list = json.loads(tags)
                if len(tag_lists) < 10_000:
                    tag_lists[tags] = tag_list
            priority = Priority.from_rank(rank)
            values = (task_id, title, notes, done, priority and priority.value,
                      due and due.isoformat(), tag_list, created.isoformat(),
                      updated.isoformat(), None)  # fmt: skip
            batch.append(dict(zip(FIELDS, values, strict=True)))
        w.output_started()
        write(batch)
        count += len(batch)
    if not count:
        w.check_user()
    return count
