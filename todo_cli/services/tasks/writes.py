"""Changing tasks: add, edit, complete, reopen, delete, restore, purge; all for the current user.

Everyday writes (add, complete, reopen, delete, restore) are one statement each, with RETURNING,
so against Neon they cost one round trip after connecting. A task of another user is reported
exactly like a task that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlmodel import col

from todo_cli.choices import Priority
from todo_cli.errors import BadInput, NotFound
from todo_cli.models import Task
from todo_cli.rules import row_id
from todo_cli.schemas import TaskCreate, TaskPublic, TaskUpdate
from todo_cli.services.tasks.listing import live, own, public
from todo_cli.services.work import Work, count_of, unit_of_work
from todo_cli.when import utcnow

CHECK = "todo list --status all --sort updated"  # shows whether a lost write got applied


def _row_values(data: dict[str, Any]) -> dict[str, Any]:
    """Schema values -> column values (priority names become their sortable numbers)."""
    if "priority" in data:
        data["priority"] = Priority(data["priority"]).rank if data["priority"] else None
    return data


@unit_of_work(write=True, one_statement=True, check=CHECK)
def add(w: Work, data: TaskCreate) -> TaskPublic:
    """Create a task for the current user: one INSERT ... RETURNING."""
    now = utcnow()
    values = {
        **_row_values(data.model_dump()),
        "completed": False,
        "created_at": now,
        "updated_at": now,
    }
    return public(w.insert_once(Task, values))


@unit_of_work(write=True)
def edit(w: Work, task_id: int, changes: TaskUpdate) -> TaskPublic:
    """Change only the fields that were given; `updated_at` moves."""
    given = changes.model_fields_set
    if not given:
        raise BadInput("nothing to change: give --title, --description, --due, --priority or tags")
    task = own(w, task_id, lock=True)
    values = _row_values({k: getattr(changes, k) for k in given if k in Task.model_fields})
    if changes.clear_due:
        values["due"] = None
    if "add_tags" in given or "remove_tags" in given:
        keep = [t for t in task.tags if t not in changes.remove_tags]
        values["tags"] = list(dict.fromkeys(keep + changes.add_tags))
    for key, value in values.items():
        setattr(task, key, value)
    task.updated_at = utcnow()
    w.session.flush()
    return public(task)


def _valid_ids(ids: Sequence[int]) -> list[int]:
    """Distinct ids in order; one that no row could have is missing."""
    for i in ids:
        row_id(i, f"no task with id {i}; nothing was changed")
    return sorted(set(ids))


def _mine(w: Work, ids: list[int], *scope: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    return [col(Task.user_id) == w.me, col(Task.id).in_(ids), *scope]


def _update_many(
    w: Work, ids: Sequence[int], values: dict[str, Any], *scope: ColumnElement[bool]
) -> list[TaskPublic]:
    """Apply `values` to all of `ids`, or to none of them if any is missing or not ours.

    One UPDATE whose WHERE also checks that every id matched, so the statement is atomic on
    its own and needs no transaction of its own on PostgreSQL.
    """
    wanted = _valid_ids(ids)
    where = _mine(w, wanted, *scope)
    stmt = (
        update(Task)
        .where(*where, count_of(Task, *where) == len(wanted))
        .values(**values)
        .returning(Task)
        .execution_options(synchronize_session=False)
    )
    done = list(w.session.scalars(stmt).all())
    if len(done) != len(wanted):
        _raise_missing(w, wanted, where)
    return sorted((public(t) for t in done), key=lambda t: wanted.index(t.id))


def _raise_missing(w: Work, wanted: list[int], where: list[Any]) -> None:
    """Say which id stopped the command: missing (or another user's: the same words), in the
    trash, or, for `restore`, not in the trash. Runs only when something was wrong."""
    w.check_user()
    found = set(w.session.scalars(select(col(Task.id)).where(*where)).all())
    missing = [i for i in wanted if i not in found]
    first = missing[0]
    more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
    mine = [col(Task.user_id) == w.me, col(Task.id) == first]
    row = w.session.execute(select(col(Task.id), col(Task.deleted_at)).where(*mine)).first()
    if row is None:
        what = f"no task with id {first}"
    elif row[1] is not None:
        what = f"task {first} is in the trash (todo restore {first})"
    else:
        what = f"task {first} is not in the trash"
    raise NotFound(f"{what}{more}; nothing was changed")


@unit_of_work(write=True, one_statement=True, check=CHECK)
def complete(w: Work, ids: Sequence[int]) -> list[TaskPublic]:
    now = utcnow()
    values = {
        "completed": True,
        "completed_at": func.coalesce(Task.completed_at, now),
        "updated_at": now,
    }
    return _update_many(w, ids, values, live())


@unit_of_work(write=True, one_statement=True, check=CHECK)
def reopen(w: Work, ids: Sequence[int]) -> list[TaskPublic]:
    values = {"completed": False, "completed_at": None, "updated_at": utcnow()}
    return _update_many(w, ids, values, live())


@unit_of_work(write=True, one_statement=True, check=CHECK)
def soft_delete(w: Work, ids: Sequence[int]) -> list[TaskPublic]:
    """Move tasks to the trash; `restore` brings them back."""
    now = utcnow()
    return _update_many(w, ids, {"deleted_at": now, "updated_at": now}, live())


@unit_of_work(write=True, one_statement=True, check=CHECK)
def restore(w: Work, ids: Sequence[int]) -> list[TaskPublic]:
    values = {"deleted_at": None, "updated_at": utcnow()}
    return _update_many(w, ids, values, col(Task.deleted_at).is_not(None))


@unit_of_work(write=True, one_statement=True, check=CHECK)
def hard_delete(w: Work, ids: Sequence[int]) -> int:
    """Remove tasks for good (live or in the trash); all of them or none, in one statement."""
    wanted = _valid_ids(ids)
    where = _mine(w, wanted)
    stmt = delete(Task).where(*where, count_of(Task, *where) == len(wanted))
    gone = w.session.execute(stmt.returning(col(Task.id))).all()
    if len(gone) != len(wanted):
        _raise_missing(w, wanted, where)
    return len(gone)


def _purge_scope(w: Work, older_than_days: int | None) -> list[ColumnElement[bool]]:
    where = [col(Task.user_id) == w.me, col(Task.deleted_at).is_not(None)]
    if older_than_days is not None:
        if older_than_days < 0:
            raise BadInput(f"--older-than must be 0 or more days (got {older_than_days})")
        where.append(col(Task.deleted_at) < utcnow() - timedelta(days=older_than_days))
    return where


@unit_of_work(one_statement=True)
def count_purgeable(w: Work, older_than_days: int | None) -> int:
    count = int(w.session.scalar(select(count_of(Task, *_purge_scope(w, older_than_days)))) or 0)
    if not count:
        w.check_user()
    return count


@unit_of_work(write=True, one_statement=True, check=CHECK)
def purge(w: Work, older_than_days: int | None) -> int:
    """Empty the trash (only what was deleted more than N days ago, if given)."""
    stmt = delete(Task).where(*_purge_scope(w, older_than_days)).returning(col(Task.id))
    count = len(w.session.execute(stmt).all())
    if not count:
        w.check_user()
    return count
