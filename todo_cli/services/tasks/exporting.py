"""Export of tasks: `todo export` streams `BATCH` rows at a time (a server-side cursor on
PostgreSQL), so memory stays flat however many tasks there are.

Our JSON and CSV hold each task in the shape `show --json` prints (uuid included), without
the trash; Taskwarrior's holds every task, the trash as `deleted`, in the form `task import`
takes back (`taskwarrior_format.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Boolean, String, literal_column, select

from todo_cli.choices import Priority, Status
from todo_cli.columns import JsonValue
from todo_cli.models import Task
from todo_cli.services.tasks import images
from todo_cli.services.tasks.listing import status_filter
from todo_cli.services.tasks.pipeline import Fragments
from todo_cli.services.work import Work, unit_of_work
from todo_cli.when import utcnow

BATCH = 2000  # rows per fetch
# The CSV's columns: the task shape, in its order.
FIELDS = (
    "id", "uuid", "title", "description", "completed", "status", "priority", "due", "tags",
    "project", "annotations", "wait", "scheduled", "until", "recur", "depends", "start",
    "urgency", "created_at", "updated_at", "completed_at", "deleted_at", "extra",
)  # fmt: skip


@unit_of_work()
def export_tasks(
    w: Work,
    status: Status,
    write: Callable[[list[dict[str, Any]]], None],
    taskwarrior: bool = False,
) -> int:
    """Hand the current user's tasks, by id, to `write`, `BATCH` at a time from a streaming
    cursor: task objects (the trash left out), or with `taskwarrior` Taskwarrior's records
    (the trash included). Returns how many. Not retried once a batch is out: it would be
    written twice."""
    t = Task.__table__.c  # type: ignore[attr-defined]
    p = Task.__table__.alias("p")  # type: ignore[attr-defined]
    f = Fragments(w.dialect)
    now = utcnow()
    extras = [
        literal_column(images.annotations_json(f, "tasks"), JsonValue()).label("annotations"),
        literal_column(images.depends_json(f, "tasks"), JsonValue()).label("depends"),
        literal_column(images.blocked_sql(f, "tasks"), Boolean()).label("blocked"),
        p.c.uuid.label("parent_uuid"),
        literal_column("p.recur", String()).label("parent_recur"),
    ]
    where = [t.user_id == w.me]
    if not taskwarrior:
        where.append(t.deleted_at.is_(None))
    where += status_filter(status, now)
    stmt = (
        select(*(t[c] for c in images.COLUMNS), *extras)
        .select_from(Task.__table__.outerjoin(p, p.c.id == t.parent_id))  # type: ignore[attr-defined]
        .where(*where)
        .order_by(t.id)
    )
    instances = _instances(w) if taskwarrior else {}
    count = 0
    for part in w.session.execute(stmt.execution_options(yield_per=BATCH)).partitions():
        if taskwarrior:
            from todo_cli.services.tasks.taskwarrior_format import to_taskwarrior

            batch = [to_taskwarrior(_tw_row(r._mapping), instances.get(r.id, {})) for r in part]
        else:
            batch = [images.public(dict(r._mapping), now).to_json() for r in part]
        w.output_started()
        write(batch)
        count += len(batch)
    if not count:
        w.check_user()
    return count


def _tw_row(m: Any) -> dict[str, Any]:
    row = dict(m)
    rank = Priority.from_rank(row["priority"])
    row["priority"] = rank.value if rank else None
    row["annotations"] = [
        {"entry": images.moment(a["entry"]), "description": a["description"]}
        for a in row["annotations"] or []
    ]
    return row


def _instances(w: Work) -> dict[int, dict[int, str]]:
    """Each template's instances: index -> `-` pending, `+` completed or `X` deleted."""
    t = Task.__table__.c  # type: ignore[attr-defined]
    rows = w.session.execute(
        select(t.parent_id, t.recur_index, t.completed, t.deleted_at).where(
            t.user_id == w.me, t.parent_id.is_not(None), t.recur_index.is_not(None)
        )
    )
    out: dict[int, dict[int, str]] = {}
    for parent, index, done, deleted in rows:
        out.setdefault(parent, {})[index] = "X" if deleted is not None else "+" if done else "-"
    return out
