"""`list --sort urgency`: urgency at this moment, and the page of the most urgent open tasks
found without computing it for every task (`urgency.py` says how it is made).

The stored `urgency_base` holds all but the due and age terms. Each of those is constant, or
grows linearly with time, in a few regions of (due, created_at): due far away or none, due
within the 21 days around now, overdue by a week or more; and younger or older than a year.
Within one region, urgency is one of four keys (the base, less the due date and/or the
creation day times their slopes) plus an offset that is the same for every task there, so the
region's most urgent tasks are the first rows of that key's index (migration 0007). The page is
the best of those few candidates of each region, computed exactly.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Float,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlmodel import col

from todo_cli.columns import UTCDateTime
from todo_cli.models import Task
from todo_cli.services.tasks import urgency as u

# Frozen in migration 0007's index expressions, written exactly as they are there.
AGE_SLOPE = repr(u.AGE / u.AGE_DAYS)
DUE_SLOPE = repr(u.DUE * (1 - u.DUE_FLOOR) / (u.OVERDUE_DAYS + u.AHEAD_DAYS))


def _days_since(dialect: str, now: datetime, column: Any) -> Any:
    moment = literal(now, UTCDateTime())
    if dialect == "postgresql":
        return func.extract("epoch", moment - column) / u.DAY_S
    return func.julianday(moment) - func.julianday(column)


def moving(dialect: str, now: datetime) -> Any:
    """The due and age terms at `now`, less the due floor that the base holds already."""
    overdue = _days_since(dialect, now, col(Task.due))
    age = _days_since(dialect, now, col(Task.created_at))
    span = u.OVERDUE_DAYS + u.AHEAD_DAYS
    due = case(
        (col(Task.due).is_(None), 0.0),
        (overdue >= u.OVERDUE_DAYS, u.DUE * (1 - u.DUE_FLOOR)),
        (overdue >= -u.AHEAD_DAYS, (overdue + u.AHEAD_DAYS) * (u.DUE * (1 - u.DUE_FLOOR) / span)),
        else_=0.0,
    )
    aged = case(
        (age >= u.AGE_DAYS, u.AGE),
        (age <= 0, 0.0),
        else_=age * (u.AGE / u.AGE_DAYS),
    )
    return cast(due, Float()) + cast(aged, Float())


def urgency_now(dialect: str, now: datetime) -> Any:
    """Urgency at `now` for the rows of `tasks`, as an expression to sort on."""
    return col(Task.urgency_base) + moving(dialect, now)


def _key(dialect: str, due: bool, age: bool) -> Any:
    """One of the four index keys, as the index writes it (so the planner matches them)."""
    days = "todo_days" if dialect == "postgresql" else "julianday"
    sql = "tasks.urgency_base"
    if due:
        sql += f" - {DUE_SLOPE} * {days}(tasks.due)"
    if age:
        sql += f" - {AGE_SLOPE} * {days}(tasks.created_at)"
    return literal_column(f"({sql})" if due or age else sql, Float())


def regions(now: datetime) -> list[tuple[Any, bool, bool]]:
    """(condition, due key?, age key?) for each region of (due, created_at) at `now`."""
    due, created = col(Task.due), col(Task.created_at)
    ahead = now + timedelta(days=u.AHEAD_DAYS)
    overdue = now - timedelta(days=u.OVERDUE_DAYS)
    old = created <= now - timedelta(days=u.AGE_DAYS)
    by_due = [
        (or_(due.is_(None), due > ahead), False),
        (and_(due > overdue, due <= ahead), True),
        (due <= overdue, False),
    ]
    return [
        (and_(where, age_where), due_key, young)
        for where, due_key in by_due
        for age_where, young in ((old, False), (~old, True))
    ]


def candidates(dialect: str, where: list[Any], now: datetime, wanted: int, descending: bool) -> Any:
    """The ids of at most `wanted` tasks per region, best first: a superset of the first
    `wanted` of all of them."""
    scans = []
    for condition, due_key, age_key in regions(now):
        key = _key(dialect, due_key, age_key)
        scans.append(
            select(col(Task.id))
            .where(*where, condition)
            .order_by(key.desc() if descending else key.asc())
            .limit(wanted)
        )
    return union_all(*(s.subquery().select() for s in scans)).subquery("candidates")
