"""Where an imported recurrence instance goes: its template's id and its place in the series.

Taskwarrior names an instance's template by uuid (`parent`) and its place by `imask`; todo
keeps the template's id and a unique (parent_id, recur_index). An instance that cannot take its
place (its template is not in the file nor the database, or another instance has the place)
is imported on its own with both kept in `extra`, so nothing in the file is lost.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from todo_cli.services.tasks.import_rows import EXTRA_AT, Row


def taken_slots(conn: Connection, uid: str) -> set[tuple[int, int]]:
    """The places in their series that the user's recurrence instances hold already."""
    rows = conn.execute(
        text(
            "SELECT parent_id, recur_index FROM tasks WHERE user_id = :uid"
            " AND parent_id IS NOT NULL AND recur_index IS NOT NULL"
        ),
        {"uid": uid},
    )
    return {(int(p), int(i)) for p, i in rows}


def link(row: Row, by_uuid: dict[str, int], taken: set[tuple[int, int]]) -> tuple[Any, Any, str]:
    """(parent_id, recur_index, extra) of a row: an instance whose template is not here, or
    whose place in the series another instance has, keeps both in `extra`."""
    parent, index, extra = row[-2], row[-1], row[EXTRA_AT]
    if parent is None:
        return None, None, extra
    parent_id = by_uuid.get(parent)
    if parent_id is None or index is None or (parent_id, index) in taken:
        more = {"parent": parent, **({"imask": index} if index is not None else {})}
        return None, None, json.dumps({**json.loads(extra), **more})
    taken.add((parent_id, index))
    return parent_id, index, extra


def task_row(
    task_id: int,
    uid: str,
    row: Row,
    by_uuid: dict[str, int],
    taken: set[tuple[int, int]],
    key: str | None,
    urgency: float,
) -> tuple[Any, ...]:
    """A new task's row, in `import_store.TASK_COLUMNS` order."""
    parent_id, index, extra = link(row, by_uuid, taken)
    return (task_id, uid, *row[:EXTRA_AT], extra, parent_id, index, key, urgency)
