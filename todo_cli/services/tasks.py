"""Tasks: every query and transaction behind the task commands, scoped to the current user.

Everyday writes (add, complete, reopen, delete, restore) are one statement each, with RETURNING,
so against Neon they cost one round trip after connecting. A task of another user is reported
exactly like a task that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlmodel import Session, col

from todo_cli.db import insert_for, new_request_key
from todo_cli.errors import BadInput, NotFound
from todo_cli.models import HAS_REQUEST_KEY, PRIORITIES, Task
from todo_cli.schemas import TaskCreate, TaskPublic, TaskUpdate
from todo_cli.services import retry
from todo_cli.services.retry import retrying
from todo_cli.services.runtime import Runtime
from todo_cli.services.task_query import (
    live,
    public,
)
from todo_cli.services.users import as_current_user, current_user_id
from todo_cli.types import utcnow


def _row_values(data: dict[str, Any]) -> dict[str, Any]:
    """Schema values -> column values (priority names become their sortable numbers)."""
    if "priority" in data:
        data["priority"] = PRIORITIES[data["priority"]] if data["priority"] else None
    return data


def add(rt: Runtime, data: TaskCreate) -> TaskPublic:
    """Create a task for the current user: one INSERT ... RETURNING.

    The request key makes a retry after a lost reply find the row the first attempt wrote.
    """
    key = new_request_key()
    return retry.run(rt, lambda: _add(rt, data, key))


def _add(rt: Runtime, data: TaskCreate, key: str) -> TaskPublic:
    def insert() -> TaskPublic:
        with rt.session(write=True, single=True) as s:
            now = utcnow()
            values = {
                **_row_values(data.model_dump()),
                "user_id": current_user_id(rt, s),
                "completed": False,
                "created_at": now,
                "updated_at": now,
                "request_key": key,
            }
            stmt = insert_for(s, Task).values(values)
            stmt = stmt.on_conflict_do_nothing(
                index_elements=["request_key"], index_where=HAS_REQUEST_KEY
            )
            task = s.scalars(stmt.returning(Task)).first()
            if task is None:  # an earlier attempt committed before its reply was lost
                task = s.scalars(select(Task).where(col(Task.request_key) == key)).one()
            return public(task)

    return as_current_user(rt, insert)


@retrying
def get(rt: Runtime, task_id: int) -> TaskPublic:
    with rt.session(single=True) as s:
        return public(_own(s, current_user_id(rt, s), task_id, live=False))


def _own(s: Session, uid: str, task_id: int, *, live: bool = True, lock: bool = False) -> Task:
    if not 0 < task_id < 2**63:  # no row can have it (and SQLite could not even bind it)
        raise NotFound(f"no task with id {task_id}")
    stmt = select(Task).where(col(Task.user_id) == uid, col(Task.id) == task_id)
    if lock:
        stmt = stmt.with_for_update()
    task = s.scalars(stmt).first()
    if task is None:
        raise NotFound(f"no task with id {task_id}")
    if live and task.deleted_at is not None:
        raise NotFound(f"task {task_id} is in the trash (todo restore {task_id})")
    return task


@retrying
def edit(rt: Runtime, task_id: int, changes: TaskUpdate) -> TaskPublic:
    """Change only the fields that were given; `updated_at` moves."""
    given = changes.model_fields_set
    if not given:
        raise BadInput("nothing to change: give --title, --description, --due, --priority or tags")
    with rt.session(write=True) as s:
        task = _own(s, current_user_id(rt, s), task_id, lock=True)
        values = _row_values({k: getattr(changes, k) for k in given if k in Task.model_fields})
        if changes.clear_due:
            values["due"] = None
        if "add_tags" in given or "remove_tags" in given:
            keep = [t for t in task.tags if t not in changes.remove_tags]
            values["tags"] = list(dict.fromkeys(keep + changes.add_tags))
        for key, value in values.items():
            setattr(task, key, value)
        task.updated_at = utcnow()
        s.flush()
        return public(task)


@retrying
def _update_many(
    rt: Runtime, ids: Sequence[int], values: dict[str, Any], *scope: ColumnElement[bool]
) -> list[TaskPublic]:
    """Apply `values` to all of `ids`, or to none of them if any is missing or not ours.

    One UPDATE whose WHERE also checks that every id matched, so the statement is atomic on
    its own and needs no transaction of its own on PostgreSQL.
    """
    wanted = _valid_ids(ids)
    with rt.session(write=True, single=True) as s:
        uid = current_user_id(rt, s)
        where = [col(Task.user_id) == uid, col(Task.id).in_(wanted), *scope]
        all_found = select(func.count()).select_from(Task).where(*where).scalar_subquery()
        stmt = (
            update(Task)
            .where(*where, all_found == len(wanted))
            .values(**values)
            .returning(Task)
            .execution_options(synchronize_session=False)
        )
        done = list(s.scalars(stmt).all())
        if len(done) != len(wanted):
            _raise_missing(s, uid, wanted, where)
    return sorted((public(t) for t in done), key=lambda t: wanted.index(t.id))


def _valid_ids(ids: Sequence[int]) -> list[int]:
    """Distinct ids in order; one that no row could have (SQLite keys are 64-bit) is missing."""
    for i in ids:
        if not 0 < i < 2**63:
            raise NotFound(f"no task with id {i}; nothing was changed")
    return sorted(set(ids))


def _raise_missing(s: Session, uid: str, wanted: list[int], where: list[Any]) -> None:
    """Say which id stopped the command: missing (or another user's: the same words), in the
    trash, or, for `restore`, not in the trash. Runs only when something was wrong."""
    found = set(s.scalars(select(col(Task.id)).where(*where)).all())
    missing = [i for i in wanted if i not in found]
    first = missing[0]
    more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
    mine = [col(Task.user_id) == uid, col(Task.id) == first]
    row = s.execute(select(col(Task.id), col(Task.deleted_at)).where(*mine)).first()
    if row is None:
        what = f"no task with id {first}"
    elif row[1] is not None:
        what = f"task {first} is in the trash (todo restore {first})"
    else:
        what = f"task {first} is not in the trash"
    raise NotFound(f"{what}{more}; nothing was changed")


def complete(rt: Runtime, ids: Sequence[int]) -> list[TaskPublic]:
    now = utcnow()
    values = {
        "completed": True,
        "completed_at": func.coalesce(Task.completed_at, now),
        "updated_at": now,
    }
    return _update_many(rt, ids, values, live())


def reopen(rt: Runtime, ids: Sequence[int]) -> list[TaskPublic]:
    values = {"completed": False, "completed_at": None, "updated_at": utcnow()}
    return _update_many(rt, ids, values, live())


def soft_delete(rt: Runtime, ids: Sequence[int]) -> list[TaskPublic]:
    """Move tasks to the trash; `restore` brings them back."""
    now = utcnow()
    return _update_many(rt, ids, {"deleted_at": now, "updated_at": now}, live())


def restore(rt: Runtime, ids: Sequence[int]) -> list[TaskPublic]:
    values = {"deleted_at": None, "updated_at": utcnow()}
    return _update_many(rt, ids, values, col(Task.deleted_at).is_not(None))


@retrying
def hard_delete(rt: Runtime, ids: Sequence[int]) -> int:
    """Remove tasks for good (live or in the trash); all of them or none, in one statement."""
    wanted = _valid_ids(ids)
    with rt.session(write=True, single=True) as s:
        uid = current_user_id(rt, s)
        where = [col(Task.user_id) == uid, col(Task.id).in_(wanted)]
        all_found = select(func.count()).select_from(Task).where(*where).scalar_subquery()
        stmt = delete(Task).where(*where, all_found == len(wanted)).returning(col(Task.id))
        gone = s.execute(stmt).all()
        if len(gone) != len(wanted):
            _raise_missing(s, uid, wanted, where)
    return len(gone)


def _purge_scope(uid: str, older_than_days: int | None) -> list[ColumnElement[bool]]:
    where = [col(Task.user_id) == uid, col(Task.deleted_at).is_not(None)]
    if older_than_days is not None:
        if older_than_days < 0:
            raise BadInput(f"--older-than must be 0 or more days (got {older_than_days})")
        where.append(col(Task.deleted_at) < utcnow() - timedelta(days=older_than_days))
    return where


@retrying
def count_purgeable(rt: Runtime, older_than_days: int | None) -> int:
    with rt.session() as s:
        where = _purge_scope(current_user_id(rt, s), older_than_days)
        return int(s.scalar(select(func.count()).select_from(Task).where(*where)) or 0)


@retrying
def purge(rt: Runtime, older_than_days: int | None) -> int:
    """Empty the trash (only what was deleted more than N days ago, if given)."""
    with rt.session(write=True, single=True) as s:
        where = _purge_scope(current_user_id(rt, s), older_than_days)
        return len(s.execute(delete(Task).where(*where).returning(col(Task.id))).all())
