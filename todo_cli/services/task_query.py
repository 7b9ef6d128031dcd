"""Reading tasks: the list query, its filters, sorts and paging, scoped to the current user.

`list` is one statement: the page of rows with the total as a scalar subquery (a second query
only when asked for a page past the end), served by the partial index on
(user_id, completed, created_at, id) for the default order. A user's table is never loaded whole
to count or page it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select, text, true
from sqlmodel import Session, col

from todo_cli.errors import BadInput
from todo_cli.models import Task
from todo_cli.schemas import PRIORITY_NAMES, Page, TaskPublic
from todo_cli.services.retry import retrying
from todo_cli.services.runtime import Runtime
from todo_cli.services.users import current_user_id
from todo_cli.types import utcnow

STATUSES = ("pending", "completed", "all")
SORTS = ("created", "updated", "due", "priority", "title")
# Without --asc/--desc: newest first, soonest due first, most important first, A to Z.
DEFAULT_DESC = {"created": True, "updated": True, "due": False, "priority": True, "title": False}
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class TaskQuery:
    status: str = "pending"
    tag: str | None = None
    search: str | None = None
    overdue: bool = False
    sort: str = "created"
    descending: bool | None = None
    page: int = 1
    page_size: int = 20
    trash: bool = False

    def check(self) -> None:
        if self.status not in STATUSES:
            raise BadInput(f"unknown status {self.status!r}: use one of {', '.join(STATUSES)}")
        if self.sort not in SORTS:
            raise BadInput(f"unknown sort key {self.sort!r}: use one of {', '.join(SORTS)}")
        if self.page < 1:
            raise BadInput(f"page must be 1 or more (got {self.page})")
        for name, value in (("search", self.search), ("tag", self.tag)):
            if value is not None and not storable(value):
                raise BadInput(f"--{name} must be text without NUL characters")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise BadInput(
                f"page size must be between 1 and {MAX_PAGE_SIZE} (got {self.page_size})"
            )


def public(task: Task) -> TaskPublic:
    data = task.model_dump()
    data["priority"] = PRIORITY_NAMES.get(task.priority) if task.priority else None
    return TaskPublic.model_validate(data)


def storable(text: str) -> bool:
    """Text a database can compare: no NUL (PostgreSQL refuses it), valid UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def live() -> ColumnElement[bool]:
    return col(Task.deleted_at).is_(None)


def filters(s: Session, uid: str, q: TaskQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [col(Task.user_id) == uid]
    where.append(col(Task.deleted_at).is_not(None) if q.trash else live())
    if q.status == "pending" or q.overdue:
        where.append(col(Task.completed) == false())
    elif q.status == "completed":
        where.append(col(Task.completed) == true())
    if q.overdue:
        where.append(col(Task.due) < utcnow())
    if q.tag:
        where.append(_has_tag(s, q.tag))
    if q.search:
        where.append(_text_matches(s, q.search))
    return where


def _text_matches(s: Session, needle: str) -> ColumnElement[bool]:
    """`needle` anywhere in the title or description, ignoring case (all of Unicode's)."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    fields = [col(Task.title), col(Task.description)]
    if s.get_bind().dialect.name == "postgresql":
        return or_(*(f.ilike(f"%{escaped}%", escape="\\") for f in fields))
    pattern = f"%{escaped.casefold()}%"
    return or_(*(func.todo_fold(f).like(pattern, escape="\\") for f in fields))


def _has_tag(s: Session, tag: str) -> ColumnElement[bool]:
    if s.get_bind().dialect.name == "postgresql":
        return text("tasks.tags @> CAST(:tag_json AS jsonb)").bindparams(  # type: ignore[return-value]
            tag_json=json.dumps([tag])
        )
    return text(
        "EXISTS (SELECT 1 FROM json_each(tasks.tags) WHERE json_each.value = :tag)"
    ).bindparams(tag=tag)  # type: ignore[return-value]


def _order(q: TaskQuery) -> list[Any]:
    desc = DEFAULT_DESC[q.sort] if q.descending is None else q.descending
    if q.trash and q.sort == "created":
        key: Any = col(Task.deleted_at)
    else:
        key = {
            "created": col(Task.created_at),
            "updated": col(Task.updated_at),
            "due": col(Task.due),
            "priority": col(Task.priority),
            "title": col(Task.title),
        }[q.sort]
    first = key.desc() if desc else key.asc()
    if q.sort in ("due", "priority"):  # the only keys that can be NULL; on the others NULLS
        first = first.nulls_last()  # LAST would stop PostgreSQL from reading the index in order

    tie = col(Task.id).desc() if desc else col(Task.id).asc()
    return [first, tie]


@retrying
def list_tasks(rt: Runtime, q: TaskQuery) -> Page[TaskPublic]:
    """One page of tasks and the total, in one query (a second only past the last page)."""
    q.check()
    with rt.session(single=True) as s:
        where = filters(s, current_user_id(rt, s), q)
        total_q = select(func.count()).select_from(Task).where(*where)
        stmt = (
            select(Task, total_q.scalar_subquery().label("total"))
            .where(*where)
            .order_by(*_order(q))
            .limit(q.page_size)
            .offset((q.page - 1) * q.page_size)
        )
        rows = s.execute(stmt).all()
        total = int(rows[0][1]) if rows else int(s.scalar(total_q) or 0) if q.page > 1 else 0
    return Page([public(r[0]) for r in rows], total, q.page, q.page_size)
