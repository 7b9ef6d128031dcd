"""Reading tasks: the list query, its filters, sorts and paging, and one task by id.

`list` is one statement (see `services.paging`): the page of rows, the total and the user,
served by the partial index on (user_id, completed, created_at, id) for the default order. A
user's table is never loaded whole to count or page it; `--sort urgency` reads the best
candidates of each of a few index orders (`ranking.py`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    and_,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlmodel import col

from todo_cli.choices import DESCENDING_BY_DEFAULT, Sort, Status
from todo_cli.columns import JsonValue
from todo_cli.errors import NotFound
from todo_cli.models import Task
from todo_cli.rules import DEFAULT_PAGE_SIZE, ID_LIMIT, row_id, storable
from todo_cli.schemas import Page
from todo_cli.services.paging import user_page
from todo_cli.services.tasks import images
from todo_cli.services.tasks.pipeline import Fragments
from todo_cli.services.work import Work, unit_of_work
from todo_cli.task_schemas import TaskPublic
from todo_cli.when import utcnow, wall_clock


@dataclass(frozen=True)
class TaskQuery:
    status: Status = Status.pending
    tag: str | None = None
    project: str | None = None
    search: str | None = None
    overdue: bool = False
    blocked: bool | None = None  # True: only blocked tasks; False: only unblocked ones
    sort: Sort = Sort.created
    descending: bool | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    trash: bool = False


def extras(w: Work) -> list[Any]:
    """The columns a page of tasks needs beside the task's own: annotations, dependencies and
    whether it is blocked (correlated to the page's `tasks` rows)."""
    f = Fragments(w.dialect)
    return [
        literal_column(images.annotations_json(f, "tasks"), JsonValue()).label("annotations"),
        literal_column(images.depends_json(f, "tasks"), JsonValue()).label("depends"),
        literal_column(images.blocked_sql(f, "tasks"), Boolean()).label("blocked"),
    ]


def public(task: Task, more: Mapping[str, Any], now: datetime) -> TaskPublic:
    row = {c: getattr(task, c) for c in images.COLUMNS}
    row.update(more)
    return images.public(row, now)


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
    """One task, live or in the trash, with its annotations and dependencies."""
    row_id(task_id, f"no task with id {task_id}")
    stmt = select(Task, *extras(w)).where(col(Task.user_id) == w.me, col(Task.id) == task_id)
    found = w.session.execute(stmt).first()
    if found is None:
        w.check_user()
        raise NotFound(f"no task with id {task_id}")
    return public(found[0], dict(found._mapping), utcnow())


def status_filter(status: Status, now: datetime) -> list[ColumnElement[bool]]:
    """The live tasks of a status (the trash is separate)."""
    template = col(Task.recur).is_not(None)
    waiting = and_(col(Task.wait).is_not(None), col(Task.wait) > now)
    expired = and_(col(Task.until).is_not(None), col(Task.until) <= now)
    if status == Status.recurring:
        return [template]
    if status == Status.all:
        return []
    if status == Status.completed:
        return [col(Task.completed) == true(), ~template]
    open_ = [col(Task.completed) == false(), ~template, ~expired]
    return [*open_, waiting] if status == Status.waiting else [*open_, ~waiting]


def filters(w: Work, q: TaskQuery, now: datetime) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [col(Task.user_id) == w.me]
    where.append(col(Task.deleted_at).is_not(None) if q.trash else live())
    if not q.trash:
        where += status_filter(Status.pending if q.overdue else q.status, now)
    if q.overdue:  # a calendar day is past once it has ended here (todo_cli/when.py)
        day = col(Task.due_all_day)
        where.append(
            or_(and_(~day, col(Task.due) < now), and_(day, col(Task.due) < wall_clock(now)))
        )
    if q.tag:
        where.append(_has_tag(w, storable(q.tag, "--tag")))
    if q.project:
        where.append(in_project(storable(q.project, "--project")))
    if q.search:
        where.append(_text_matches(w, storable(q.search, "--search")))
    if q.blocked is not None:
        is_blocked = literal_column(images.blocked_sql(Fragments(w.dialect), "tasks"), Boolean())
        where.append(is_blocked if q.blocked else ~is_blocked)
    return where


def in_project(project: str) -> ColumnElement[bool]:
    """The project and its sub-projects: `Home` takes `Home` and `Home.Garden`, not `Homework`."""
    escaped = project.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(col(Task.project) == project, col(Task.project).like(f"{escaped}.%", escape="\\"))


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


def _order(w: Work, q: TaskQuery, now: datetime) -> list[Any]:
    desc = DESCENDING_BY_DEFAULT[q.sort] if q.descending is None else q.descending
    if q.sort == Sort.urgency:
        from todo_cli.services.tasks.ranking import urgency_now

        key: Any = urgency_now(w.dialect, now)
    elif q.trash and q.sort == Sort.created:
        key = col(Task.deleted_at)
    else:
        key = col(_SORT_COLUMNS[q.sort])
    first = key.desc() if desc else key.asc()
    if q.sort in (Sort.due, Sort.priority):  # the only keys that can be NULL; on the others NULLS
        first = first.nulls_last()  # LAST would stop PostgreSQL from reading the index in order
    tie = col(Task.id).desc() if desc else col(Task.id).asc()
    return [first, tie]


@unit_of_work(one_statement=True)
def list_tasks(w: Work, q: TaskQuery) -> Page[TaskPublic]:
    """One page of tasks and the total, in one statement."""
    now = utcnow()
    where = filters(w, q, now)
    counted = None
    if q.sort == Sort.urgency and q.status == Status.pending and not q.trash:
        from todo_cli.services.tasks import ranking

        desc = DESCENDING_BY_DEFAULT[q.sort] if q.descending is None else q.descending
        best = ranking.candidates(w.dialect, where, now, q.page * q.page_size, desc)
        where, counted = [col(Task.user_id) == w.me, col(Task.id).in_(select(best.c.id))], where
    rows, total = user_page(
        w, Task, where, _order(w, q, now), q.page, q.page_size, *extras(w), count_where=counted
    )
    names = ("annotations", "depends", "blocked")
    items = [public(r[0], dict(zip(names, r[1:], strict=True)), now) for r in rows]
    return Page(items, total, q.page, q.page_size)


MATCH_LIMIT = 10_000  # the most tasks one filter may change at once


@unit_of_work(one_statement=True)
def matching(w: Work, q: TaskQuery) -> list[tuple[int, str]]:
    """The (id, title) of every task a filter selects, by id, for a change to many at once."""
    from todo_cli.errors import BadInput

    rows = w.session.execute(
        select(col(Task.id), col(Task.title))
        .where(*filters(w, q, utcnow()))
        .order_by(col(Task.id))
        .limit(MATCH_LIMIT + 1)
    ).all()
    if len(rows) > MATCH_LIMIT:
        raise BadInput(f"the filter selects more than {MATCH_LIMIT:,} tasks: narrow it")
    if not rows:
        w.check_user()
    return [(int(r[0]), str(r[1])) for r in rows]


@unit_of_work(one_statement=True)
def named(w: Work, ids: list[int]) -> list[tuple[int, str]]:
    """The (id, title) of the user's tasks among `ids` (in the trash or not), to ask about."""
    wanted = sorted({i for i in ids if 0 < i < ID_LIMIT})
    rows = w.session.execute(
        select(col(Task.id), col(Task.title))
        .where(col(Task.user_id) == w.me, col(Task.id).in_(wanted))
        .order_by(col(Task.id))
    ).all()
    return [(int(r[0]), str(r[1])) for r in rows]
