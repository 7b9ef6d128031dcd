"""What an import computes in Python for its new rows, rather than in SQL over them afterwards:
their stored urgency (`urgency.py`'s formula, term for term) and their journal image (the
keys and values `images.image` gives, which `journal.py` compares by value).

Updating 100,000 fresh rows for either costs seconds on SQLite (every urgency index rewritten,
a JSON object built per row with two subqueries); from the row in hand it is a sum and a dump.
"""

from __future__ import annotations

import json
from typing import Any

from todo_cli.services.tasks import urgency as u
from todo_cli.services.tasks.import_rows import COLUMNS, Row

_AT = {name: i for i, name in enumerate(COLUMNS)}
_I_DONE, _I_DELETED, _I_RECUR = _AT["completed"], _AT["deleted_at"], _AT["recur"]
_I_PRIORITY, _I_TAGS, _I_SCHEDULED = _AT["priority"], _AT["tags"], _AT["scheduled"]
_I_START, _I_PROJECT, _I_DUE, _I_UUID = _AT["start"], _AT["project"], _AT["due"], _AT["uuid"]
# The image's keys, in `images.COLUMNS` order, that come straight from the row.
_PLAIN = ("uuid", "title", "description", "completed", "priority", "due", "due_all_day",
          "project", "wait", "scheduled", "until", "start", "recur")  # fmt: skip
_TIMES = ("created_at", "updated_at", "completed_at", "deleted_at")


def is_open(row: Row) -> bool:
    """Counts toward blocked and blocking: can still be done (`urgency.OPEN`)."""
    return not row[_I_DONE] and row[_I_DELETED] is None and row[_I_RECUR] is None


def _count(n: int) -> float:
    return 0.0 if n == 0 else u.COUNTS.get(n, 1.0)


def urgency_base(row: Row, tag_count: int, blocked: bool, blocking: bool) -> float:
    """`urgency.base_sql` for a row, the terms added in the same order."""
    has_next = tag_count and '"next"' in row[_I_TAGS]
    terms = (
        u.PRIORITY.get(row[_I_PRIORITY], 0) if row[_I_PRIORITY] is not None else 0,
        u.NEXT if has_next else 0,
        u.BLOCKING if blocking else 0,
        u.SCHEDULED if row[_I_SCHEDULED] is not None else 0,
        u.ACTIVE if row[_I_START] is not None else 0,
        u.PROJECT if row[_I_PROJECT] is not None else 0,
        _count(tag_count),
        _count(len(row[-4])),
        u.BLOCKED if blocked else 0,
        u.DUE * u.DUE_FLOOR if row[_I_DUE] is not None else 0,
    )
    total = 0.0
    for term in terms:
        total += term
    return round(total, 9)  # PostgreSQL sums the literals as numeric: the same to 9 places


def open_uuids(rows: list[Row]) -> tuple[set[str], set[str]]:
    """The uuids of the open rows, and the uuids those depend on (what blocked and blocking
    are computed from, for the whole file before its rows are built batch by batch)."""
    open_here, waited = set(), set()
    for r in rows:
        if is_open(r):
            open_here.add(r[_I_UUID])
            waited.update(r[-3])
    return open_here, waited


def urgency_of(row: Row, open_here: set[str], waited: set[str]) -> float:
    """A new row's stored urgency, from `open_uuids` of the file. Tasks that were there
    before are left out: when there are any, the import refreshes those around them in SQL."""
    tags = row[_I_TAGS]
    tag_count = 0 if tags == "[]" else tags.count('", "') + 1
    blocked = any(d in open_here for d in row[-3])
    return urgency_base(row, tag_count, blocked, row[_I_UUID] in waited)


def image_json(task_id: int, row: Row, parent_id: int | None, index: int | None, extra: str) -> str:
    """The journal's after-image of a new task, as compact JSON text. Keys whose value is null
    are left out (`journal._same` reads null and absent alike): an import journals every task
    it adds, and the nulls were a third of it."""
    data: dict[str, Any] = {"id": task_id}
    data.update((k, v) for k in _PLAIN if (v := row[_AT[k]]) is not None)
    if parent_id is not None:
        data["parent_id"], data["recur_index"] = parent_id, index
    data.update((k, v) for k in _TIMES if (v := row[_AT[k]]) is not None)
    data["annotations"] = [{"entry": at, "description": text} for at, text in row[-4]]
    data["depends"] = sorted(row[-3])
    head = _dumps(data)
    return f'{head[:-1]},"tags":{row[_I_TAGS]},"extra":{extra}}}'


_dumps = json.JSONEncoder(separators=(",", ":")).encode
