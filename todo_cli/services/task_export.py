"""Export of tasks: `todo export` streams `BATCH` rows at a time (a server-side cursor on
PostgreSQL), so memory stays flat however many tasks there are."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Text, cast, false, select, true

from todo_cli.errors import BadInput
from todo_cli.models import Task
from todo_cli.schemas import PRIORITY_NAMES
from todo_cli.services.runtime import Runtime
from todo_cli.services.task_query import STATUSES
from todo_cli.services.users import current_user_id

BATCH = 2000  # rows per fetch
# fmt: off
FIELDS = ("id", "title", "description", "completed", "priority", "due", "tags",  # CLI.md's task
          "created_at", "updated_at", "deleted_at")
# fmt: on


def export_batches(rt: Runtime, status: str = "all") -> Iterator[list[dict[str, Any]]]:
    """The current user's live tasks (not the trash) by id, as CLI.md task objects with ISO
    timestamps, `BATCH` at a time from a streaming cursor. Equal tag lists may be one object."""
    if status not in STATUSES:
        raise BadInput(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
    t = Task.__table__.c  # type: ignore[attr-defined]
    where = [t.deleted_at.is_(None)]
    if status != "all":
        where.append(t.completed == (true() if status == "completed" else false()))
    # Tags as text: the same few lists come back again and again, so each is decoded once.
    columns = [cast(t.tags, Text) if name == "tags" else t[name] for name in FIELDS[:-1]]
    stmt = select(*columns).where(*where).order_by(t.id)
    tag_lists: dict[str, list[str]] = {}
    with rt.session() as s:
        stmt = stmt.where(t.user_id == current_user_id(rt, s))
        for part in s.execute(stmt.execution_options(yield_per=BATCH)).partitions():
            batch = []
            for task_id, title, notes, done, rank, due, tags, created, updated in part:
                tag_list = tag_lists.get(tags)
                if tag_list is None:
                    tag_list = json.loads(tags)
                    if len(tag_lists) < 10_000:
                        tag_lists[tags] = tag_list
                rank_name = PRIORITY_NAMES[rank] if rank else None
                values = (task_id, title, notes, done, rank_name, due and due.isoformat(),
                          tag_list, created.isoformat(), updated.isoformat(), None)  # fmt: skip
                batch.append(dict(zip(FIELDS, values, strict=True)))
            yield batch
