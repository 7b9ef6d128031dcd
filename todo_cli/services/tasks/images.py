"""A task as SQL reads it in full: its columns, annotations, dependencies and blocked state,
and the same as one JSON value (its image, which the journal keeps before and after a change).

Every statement that returns tasks to show selects `columns(f, "t")` and hands the rows to
`public`, so a task looks the same whichever command read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from todo_cli.choices import Priority, TaskStatus
from todo_cli.columns import JsonValue, UTCDateTime
from todo_cli.periods import shown
from todo_cli.services.tasks.pipeline import Fragments
from todo_cli.services.tasks.urgency import OPEN, urgency
from todo_cli.task_schemas import AnnotationPublic, TaskPublic
from todo_cli.when import public_due

# The task's own columns, in the order of the task shape.
COLUMNS = (
    "id", "uuid", "title", "description", "completed", "priority", "due", "due_all_day", "tags",
    "project", "wait", "scheduled", "until", "start", "recur", "parent_id", "recur_index",
    "created_at", "updated_at", "completed_at", "deleted_at", "extra", "urgency_base",
)  # fmt: skip
TIMES = ("due", "wait", "scheduled", "until", "start", "created_at", "updated_at",
         "completed_at", "deleted_at")  # fmt: skip
JSONS = ("tags", "extra", "annotations", "depends")
RESULT_TYPES: dict[str, Any] = {
    **{c: UTCDateTime() for c in TIMES},
    **{c: JsonValue() for c in JSONS},
}


def annotations_json(f: Fragments, t: str) -> str:
    value = f.json_object({"entry": "entry", "description": "description"})
    return f.json_agg(value, f"annotations WHERE task_id = {t}.id", "entry, id")


def depends_json(f: Fragments, t: str) -> str:
    return f.json_agg("depends_on", f"task_dependencies WHERE task_id = {t}.id", "depends_on")


def blocked_sql(f: Fragments, t: str) -> str:
    """Whether the task waits for an open task it depends on."""
    return (
        "EXISTS (SELECT 1 FROM task_dependencies dd JOIN tasks bb"
        " ON bb.user_id = dd.user_id AND bb.uuid = dd.depends_on"
        f" WHERE dd.task_id = {t}.id AND {OPEN.format(t='bb', false=f.false)})"
    )


def columns(f: Fragments, t: str) -> str:
    """The select list of a task to show, under the names `public` reads."""
    own = [f"{t}.{c}" for c in COLUMNS]
    return ", ".join(
        [
            *own,
            f"{annotations_json(f, t)} AS annotations",
            f"{depends_json(f, t)} AS depends",
            f"{blocked_sql(f, t)} AS blocked",
        ]
    )


def image(f: Fragments, t: str) -> str:
    """The task as one JSON object: every column, its annotations and dependencies."""
    pairs = {c: f.json_value(f"{t}.{c}") if c in ("tags", "extra") else f"{t}.{c}" for c in COLUMNS}
    pairs.pop("urgency_base")
    pairs["annotations"] = annotations_json(f, t)
    pairs["depends"] = depends_json(f, t)
    return f.json_object(pairs)


def moment(value: Any) -> datetime | None:
    """A timestamp from JSON: SQLite's naive UTC text or PostgreSQL's ISO text."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def status(row: Mapping[str, Any], now: datetime) -> TaskStatus:
    if row["deleted_at"] is not None:
        return TaskStatus.deleted
    if row["recur"] is not None:
        return TaskStatus.recurring
    if not row["completed"] and row["until"] is not None and row["until"] <= now:
        return TaskStatus.deleted  # expired: past its `until`
    if row["completed"]:
        return TaskStatus.completed
    if row["wait"] is not None and row["wait"] > now:
        return TaskStatus.waiting
    return TaskStatus.pending


def public(row: Mapping[str, Any], now: datetime) -> TaskPublic:
    """A task to show from a row of `columns(...)`."""
    notes = [
        AnnotationPublic.model_validate(
            {"entry": moment(a["entry"]), "description": a["description"]}
        )
        for a in row["annotations"] or []
    ]
    data = {c: row[c] for c in COLUMNS if c not in ("urgency_base", "due_all_day")}
    data.update(
        due=public_due(row["due"], bool(row["due_all_day"])),
        priority=Priority.from_rank(row["priority"]),
        completed=bool(row["completed"]),
        recur=shown(row["recur"]) if row["recur"] else None,
        annotations=notes,
        depends=list(row["depends"] or []),
        status=status(row, now),
        blocked=bool(row["blocked"]),
        urgency=urgency(float(row["urgency_base"]), row["due"], row["created_at"], now),
    )
    return TaskPublic.model_validate(data)
