"""Reading tasks: the list query, its filters, sorts and paging, and one task by id.

`list` is one statement (see `services.paging`): the page of rows, the total and the user,
served by the partial index on (user_id, completed, created_at, id) for the default order. A
user's table is never loaded whole to count or page it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select, text, true
from sqlmodel import col

from todo_cli.choices import DESCENDING_BY_DEFAULT, Priority, Sort, Status
from todo_cli.errors import NotFound
from todo_cli.models import Task
from todo_cli.rules import DEFAULT_PAGE_SIZE, row_id, storable
from todo_cli.schemas import Page, TaskPublic
from todo_cli.services.paging import user_page
from todo_cli.services.work import Work, unit_of_work
from todo_cli.when import utcnow


@dataclass(frozen=True)
class TaskQuery:
    status: Status = Status.pending
    tag: str | None = None
    search: str | None = None
    overdue: bool = False
    sort: Sort = Sort.created
    descending: bool | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    trash: bool = False


def public(task: Task) -> TaskPublic:
    data = task.model_dump()
    data["priority"] = Priority.from_rank(task.priority)
    return TaskPublic.model_validate(data)


def live() -> ColumnElement[bool]:
    return col(Task.deleted_at).is_(None)


def own(w: Work, task_id: int, *, live: bool = True, lock: bool = False) -> Task:
    """The current user's task `task_id`, or NotFound (another user's reads the same)."""
    row_id(task_id, f"no task with id {task_id}")
    stmt = select(Task).where(col(Task.user_id) == w.me, col(Task.id) == task_id)
    if lock:
        stmt = stmt.with_for_update()
    task = w.session.scalars(stmt).first()
    if task is None:
        w.check_user()
        raise NotFound(f"no task with id {task_id}")
    if live and task.deleted_at is not None:
        raise NotFound(f"task {task_id} is in the trash (todo restore {task_id})")
    return task


@unit_of_work(one_statement=True)
def get(w: Work, task_id: int) -> TaskPublic:
    """One task, live or in the trash."""
    return public(own(w, task_id, live=False))


def filters(w: Work, q: TaskQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [col(Task.user_id) == w.me]
    where.append(col(Task.deleted_at).is_not(None) if q.trash else live())
    if q.status == Status.pending or q.overdue:
        where.append(col(Task.completed) == false())
    elif q.status == Status.completed:
        where.append(col(Task.completed) == true())
    if q.overdue:
        where.append(col(Task.due) < utcnow())
    if q.tag:
        where.append(_has_tag(w, storable(q.tag, "--tag")))
    if q.search:
        where.append(_text_matches(w, storable(q.search, "--search")))
    return where


def _text_matches(w: Work, needle: str) -> ColumnElement[bool]:
    """`needle` anywhere in the title or description, ignoring case (all of Unicode's)."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    fields = [col(Task.title), col(Task.description)]
    if w.dialect == "postgresql":
        return or_(*(f.ilike(f"%{escaped}%", escape="\\") for f in fields))
    pattern = f"%{escaped.casefold()}%"
    return or_(*(func.todo_fold(f).like(pattern, escape="\\") for f in fields))


def _has_tag(w: Work, tag: str) -> ColumnElement[bool]:
    if w.dialect == "postgresql":
        return text("tasks.tags @> CAST(:tag_json AS jsonb)").bindparams(  # type: ignore[return-value]
            tag_json=json.dumps([tag])
        )
    return text(
        "EXISTS (SELECT 1 FROM json_each(tasks.tags) WHERE json_each.value = :tag)"
    ).bindparams(tag=tag)  # type: ignore[return-value]


_SORT_COLUMNS = {
    Sort.created: Task.created_at,
    Sort.updated: Task.updated_at,
    Sort.due: Task.due,
    Sort.priority: Task.priority,
    Sort.title: Task.title,
}


def _order(q: TaskQuery) -> list[Any]:
    desc = DESCENDING_BY_DEFAULT[q.sort] if q.descending is None else q.descending
    key: Any = (
        col(Task.deleted_at) if q.trash and q.sort == Sort.created else col(_SORT_COLUMNS[q.sort])
    )
    first = key.desc() if desc else key.asc()
    if q.sort in (Sort.due, Sort.priority):  # the only keys that can be NULL; on the others NULLS
        first = first.nulls_last()  # LAST would stop PostgreSQL from reading the index in order
    tie = col(Task.id).desc() if desc else col(Task.id).asc()
    return [first, tie]


@unit_of_work(one_statement=True)
def list_tasks(w: Work, q: TaskQuery) -> Page[TaskPublic]:
    """One page of tasks and the total, in one statement."""
    rows, total = user_page(w, Task, filters(w, q), _order(q), q.page, q.page_size)
    return Page([public(r[0]) for r in rows], total, q.page, q.page_size)
