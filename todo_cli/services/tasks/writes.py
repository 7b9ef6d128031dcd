"""Everyday changes to tasks: add, complete, reopen, delete, restore, start and stop.

Each is one pipeline of statements (`changes.py`): against Neon one round trip after
connecting, atomic, journaled for `undo`, and keeping urgency in step. Changes to several ids
are all or nothing: an id that is missing (or another user's: the same words) changes nothing.
A task already in the state asked for is left as it is and reported as such.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from todo_cli.errors import BadInput, NotFound
from todo_cli.rules import row_id
from todo_cli.services.runtime import Runtime
from todo_cli.services.tasks import images
from todo_cli.services.tasks.changes import Change
from todo_cli.services.work import NoSuchUser, Work, unit_of_work
from todo_cli.table_parts import ONCE_PER_KEY, new_uuid
from todo_cli.task_schemas import TaskCreate, TaskPublic
from todo_cli.when import stored_due, utcnow

CHECK = "todo list --status all --sort updated"  # shows whether a lost write got applied
OPEN = "t.deleted_at IS NULL AND t.recur IS NULL"  # a task that can be done (not a template)


@dataclass
class Outcome:
    """What a change did, task by task."""

    changed: list[TaskPublic] = field(default_factory=list)
    unchanged: list[TaskPublic] = field(default_factory=list)  # already so
    added: list[TaskPublic] = field(default_factory=list)  # next instances of recurrences
    # `edit --untag` of tags a task did not have, by task id (nothing to remove: said so)
    absent_tags: dict[int, list[str]] = field(default_factory=dict)


def _outcome(rows: Sequence[Any], now: Any) -> Outcome:
    out = Outcome()
    for row in rows:
        task = images.public(row._mapping, now)
        {"modify": out.changed, "add": out.added}.get(row.action, out.unchanged).append(task)
    return out


def _values(data: TaskCreate) -> dict[str, Any]:
    due, all_day = stored_due(data.due)
    return {
        "title": data.title,
        "description": data.description,
        "priority": data.priority.rank if data.priority else None,
        "due": due,
        "due_all_day": all_day,
        "tags": json.dumps(data.tags),
        "project": data.project,
        "wait": data.wait,
        "scheduled": data.scheduled,
        "until": data.until,
    }


_ADD_COLUMNS = (
    "title, description, priority, due, due_all_day, tags, project, wait, scheduled, until"
)


def _insert(c: Change, data: TaskCreate) -> None:
    """The task (or a recurrence's template and first instance), once per request key."""
    f = c.f
    tags = "CAST(:tags AS jsonb)" if f.pg else "json(:tags)"
    c.add(
        f"INSERT INTO tasks (user_id, uuid, {_ADD_COLUMNS}, recur, completed, created_at,"
        " updated_at, request_key)"
        " SELECT id, :uuid, :title, :description, :priority, :due, :due_all_day,"
        f" {tags}, :project, :wait, :scheduled, :until, :recur, {f.false}, :now, :now, :change"
        f" FROM users WHERE {c.w.user.where_sql()}"
        f" {ONCE_PER_KEY}",
        uuid=new_uuid(),
        recur=data.recur,
        **_values(data),
    )
    if data.recur:
        c.add(
            f"INSERT INTO tasks (user_id, uuid, {_ADD_COLUMNS}, completed, parent_id,"
            " recur_index, created_at, updated_at)"
            f" SELECT user_id, {f.new_uuid}, {_ADD_COLUMNS}, {f.false}, id, 0, :now, :now"
            " FROM tasks WHERE request_key = :change"
            " ON CONFLICT (parent_id, recur_index) DO NOTHING"
        )
    c.journal_added(
        "t.user_id = ({me}) AND (t.request_key = :change OR t.parent_id IN"
        " (SELECT id FROM tasks WHERE request_key = :change))"
    )


def _depend(c: Change, depends: list[int]) -> None:
    c.add(
        "INSERT INTO task_dependencies (task_id, depends_on, user_id)"
        " SELECT t.id, d.uuid, t.user_id FROM tasks t JOIN tasks d ON d.user_id = t.user_id"
        " AND d.id IN :depends WHERE t.user_id = ({me}) AND t.uuid IN {changed}"
        " AND t.recur IS NULL ON CONFLICT DO NOTHING",
        depends=depends,
    )


def _add(w: Work, data: TaskCreate) -> list[TaskPublic]:
    if data.recur and data.due is None:
        raise BadInput("a recurring task needs a due date: give --due (or due:WHEN)")
    if data.depends:
        _check_ids(w, data.depends)
    c = Change(w, f"add {data.title}", utcnow())
    _insert(c, data)
    if data.depends:
        _depend(c, data.depends)
    rows = c.refresh_urgency().journal_after().show().run()
    if not rows:
        raise NoSuchUser(w.user)
    return _outcome(rows, c.now).added


@unit_of_work(write=True, one_statement=True, check=CHECK)
def _add_alone(w: Work, data: TaskCreate) -> list[TaskPublic]:
    return _add(w, data)


@unit_of_work(write=True, check=CHECK)
def _add_with_dependencies(w: Work, data: TaskCreate) -> list[TaskPublic]:
    return _add(w, data)


def add(rt: Runtime, data: TaskCreate) -> list[TaskPublic]:
    """Create a task for the current user (a recurrence: its template, then its first
    instance); one round trip, unless it depends on others (those are checked first)."""
    return (_add_with_dependencies if data.depends else _add_alone)(rt, data)


def _check_ids(w: Work, ids: Sequence[int]) -> None:
    """Every id names a task of the current user (in the trash or not)."""
    from sqlalchemy import select
    from sqlmodel import col

    from todo_cli.models import Task

    wanted = sorted({row_id(i, f"no task with id {i}") for i in ids})
    found = set(
        w.session.scalars(
            select(col(Task.id)).where(col(Task.user_id) == w.me, col(Task.id).in_(wanted))
        ).all()
    )
    missing = [i for i in wanted if i not in found]
    if missing:
        w.check_user()
        raise NotFound(f"no task with id {missing[0]}; nothing was changed")


@dataclass(frozen=True)
class StateChange:
    """A change of state of some tasks: which may take it, which need it, and the change."""

    verb: str
    scope: str  # the tasks that may be named (others are missing)
    needs: str  # those of them not yet in the new state
    assign: str  # SET ...
    next_instance: bool = False  # done or deleted: a recurrence brings its next instance


COMPLETE = StateChange(
    "complete",
    OPEN,
    "t.completed = {false}",
    "completed = {true}, completed_at = :now, start = NULL",
    next_instance=True,
)
REOPEN = StateChange(
    "reopen", OPEN, "t.completed = {true}", "completed = {false}, completed_at = NULL"
)
DELETE = StateChange(
    "delete", "t.deleted_at IS NULL", "1 = 1", "deleted_at = :now, start = NULL", True
)
RESTORE = StateChange("restore", "t.deleted_at IS NOT NULL", "1 = 1", "deleted_at = NULL")
START = StateChange("start", OPEN, "t.start IS NULL AND t.completed = {false}", "start = :now")
STOP = StateChange("stop", OPEN, "t.start IS NOT NULL", "start = NULL")


def _state(w: Work, change: StateChange, ids: Sequence[int]) -> Outcome:
    wanted = sorted({row_id(i, f"no task with id {i}; nothing was changed") for i in ids})
    c = Change(w, f"{change.verb} {' '.join(map(str, wanted))}", utcnow())
    f = c.f
    scope = change.scope.format(false=f.false, true=f.true)
    mine = "t.user_id = ({me}) AND t.id IN :ids AND " + scope
    all_found = f"(SELECT count(*) FROM tasks t WHERE {mine}) = :n"
    needs = change.needs.format(false=f.false, true=f.true)
    c.params.update(ids=wanted, n=len(wanted))
    c.journal_before("modify", f"{mine} AND {needs} AND {all_found}")
    c.add(
        f"UPDATE tasks SET {change.assign.format(false=f.false, true=f.true)}, updated_at = :now"
        " WHERE user_id = ({me}) AND uuid IN {changed}"
    )
    if change.next_instance:
        c.next_instances()
    rows = c.refresh_urgency().journal_after().show(also=mine).run()
    out = _outcome(rows, c.now)
    shown = {t.id for t in out.changed + out.unchanged}
    if shown != set(wanted):
        _raise_missing(w, [i for i in wanted if i not in shown], change)
    return out


def _raise_missing(w: Work, missing: list[int], change: StateChange) -> None:
    """Say which id stopped the command: missing (or another user's), in the trash, not in
    the trash (for restore), or a recurrence's template. Runs only when something was wrong."""
    from sqlalchemy import select
    from sqlmodel import col

    from todo_cli.models import Task

    w.check_user()
    first = missing[0]
    more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
    row = w.session.execute(
        select(col(Task.deleted_at), col(Task.recur)).where(
            col(Task.user_id) == w.me, col(Task.id) == first
        )
    ).first()
    if row is None:
        what = f"no task with id {first}"
    elif row[1] is not None and change is not DELETE:
        what = f"task {first} is a recurrence's template (todo edit {first}, todo delete {first})"
    elif row[0] is not None and change is not RESTORE:
        what = f"task {first} is in the trash (todo restore {first})"
    else:
        what = f"task {first} is not in the trash"
    raise NotFound(f"{what}{more}; nothing was changed")


def _stateful(change: StateChange) -> Callable[[Runtime, Sequence[int]], Outcome]:
    @unit_of_work(write=True, one_statement=True, check=CHECK)
    def apply(w: Work, ids: Sequence[int]) -> Outcome:
        return _state(w, change, ids)

    apply.__name__ = apply.__qualname__ = change.verb
    apply.__doc__ = f"{change.verb.capitalize()} tasks, all of them or none."
    return apply


complete = _stateful(COMPLETE)
reopen = _stateful(REOPEN)
soft_delete = _stateful(DELETE)
restore = _stateful(RESTORE)
start = _stateful(START)
stop = _stateful(STOP)
