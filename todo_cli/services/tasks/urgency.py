"""Urgency: a score like Taskwarrior's, for `show`, `--json` and `list --sort urgency`.

    urgency = 6.0 / 3.9 / 1.8 for priority high / medium / low
            + 15.0 if tagged `next`
            + 8.0 if blocking (a pending task depends on it)
            + 5.0 if scheduled
            + 4.0 if started (active)
            + 1.0 if it has a project
            + 0.8 / 0.9 / 1.0 for 1 / 2 / 3 or more tags, and the same for annotations
            - 5.0 if blocked (it depends on a pending task)
            + 12.0 x due term: 1.0 from 7 days overdue down to 0.2 from 14 days ahead
              (linear in between), 0 without a due date
            + 2.0 x age term: the task's age in years, at most 1

These are Taskwarrior 2.6's default coefficients; its `waiting` (-3.0) term is left out, and
`scheduled` counts whenever it is set. Everything but the due and age terms stays the same
until the task (or one it depends on) changes, so it is stored with the task (`urgency_base`,
with the due term's floor of 2.4 for a task that has a due date), kept in step by every write
through `REFRESH`; only the two time terms are computed when the score is shown or sorted on.
"""

from __future__ import annotations

from datetime import datetime

PRIORITY = {3: 6.0, 2: 3.9, 1: 1.8}  # by stored rank (choices.Priority.rank)
NEXT = 15.0
BLOCKING = 8.0
SCHEDULED = 5.0
ACTIVE = 4.0
PROJECT = 1.0
COUNTS = {1: 0.8, 2: 0.9}  # tags and annotations; 3 or more: 1.0
BLOCKED = -5.0
DUE = 12.0
DUE_FLOOR = 0.2  # the due term far ahead
AGE = 2.0
AGE_DAYS = 365.0
OVERDUE_DAYS = 7.0  # from here the due term is 1.0
AHEAD_DAYS = 14.0  # from here it is DUE_FLOOR
DAY_S = 86400.0

# A task counts toward blocked and blocking while it can still be done.
OPEN = "{t}.completed = {false} AND {t}.deleted_at IS NULL AND {t}.recur IS NULL"


def due_term(due: datetime | None, now: datetime) -> float:
    if due is None:
        return 0.0
    overdue = (now - due).total_seconds() / DAY_S
    if overdue >= OVERDUE_DAYS:
        return 1.0
    if overdue >= -AHEAD_DAYS:
        span = OVERDUE_DAYS + AHEAD_DAYS
        return (overdue + AHEAD_DAYS) * (1.0 - DUE_FLOOR) / span + DUE_FLOOR
    return DUE_FLOOR


def age_term(created: datetime, now: datetime) -> float:
    return min(max((now - created).total_seconds() / DAY_S / AGE_DAYS, 0.0), 1.0)


def urgency(base: float, due: datetime | None, created: datetime, now: datetime) -> float:
    """The score shown: the stored part plus the two terms that move with time."""
    moving = DUE * (due_term(due, now) - (DUE_FLOOR if due else 0.0)) + AGE * age_term(created, now)
    return round(base + moving, 4)


def _count(expr: str) -> str:
    cases = " ".join(f"WHEN {n} THEN {v}" for n, v in COUNTS.items())
    return f"(CASE {expr} WHEN 0 THEN 0 {cases} ELSE 1.0 END)"


def base_sql(dialect: str) -> str:
    """SQL for `urgency_base` of the row of `tasks` being updated (see the formula above)."""
    pg = dialect == "postgresql"
    false = "false" if pg else "0"
    tags = "jsonb_array_length(tasks.tags)" if pg else "json_array_length(tasks.tags)"
    has_next = (
        "tasks.tags ? 'next'"
        if pg
        else "EXISTS (SELECT 1 FROM json_each(tasks.tags) WHERE json_each.value = 'next')"
    )
    notes = "(SELECT count(*) FROM annotations a WHERE a.task_id = tasks.id)"
    blocking = (
        "EXISTS (SELECT 1 FROM task_dependencies d JOIN tasks x ON x.id = d.task_id"
        f" WHERE d.user_id = tasks.user_id AND d.depends_on = tasks.uuid"
        f" AND {OPEN.format(t='x', false=false)})"
    )
    blocked = (
        "EXISTS (SELECT 1 FROM task_dependencies d JOIN tasks b"
        " ON b.user_id = d.user_id AND b.uuid = d.depends_on"
        f" WHERE d.task_id = tasks.id AND {OPEN.format(t='b', false=false)})"
    )
    priority = " ".join(f"WHEN {rank} THEN {v}" for rank, v in PRIORITY.items())
    terms = [
        f"(CASE tasks.priority {priority} ELSE 0 END)",
        f"(CASE WHEN {has_next} THEN {NEXT} ELSE 0 END)",
        f"(CASE WHEN {blocking} THEN {BLOCKING} ELSE 0 END)",
        f"(CASE WHEN tasks.scheduled IS NULL THEN 0 ELSE {SCHEDULED} END)",
        f"(CASE WHEN tasks.start IS NULL THEN 0 ELSE {ACTIVE} END)",
        f"(CASE WHEN tasks.project IS NULL THEN 0 ELSE {PROJECT} END)",
        _count(tags),
        _count(notes),
        f"(CASE WHEN {blocked} THEN {BLOCKED} ELSE 0 END)",
        f"(CASE WHEN tasks.due IS NULL THEN 0 ELSE {DUE * DUE_FLOOR} END)",
    ]
    return " + ".join(terms)


def refresh_sql(dialect: str, where: str) -> str:
    """`UPDATE tasks SET urgency_base = ... WHERE <where>`."""
    return f"UPDATE tasks SET urgency_base = {base_sql(dialect)} WHERE {where}"
