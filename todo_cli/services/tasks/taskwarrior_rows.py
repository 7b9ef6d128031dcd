"""Taskwarrior records straight to rows, for the records `task export` writes.

`from_taskwarrior` then `RowBuilder` is the rule (`taskwarrior_format.py`, `import_rows.py`);
going through an intermediate record costs ~20 µs a record, most of the time of importing
100,000. This path builds the same row in one pass for the plain case (Taskwarrior's own date
format, H/M/L priorities, tags and uuids that are already known good), and declines anything
else (`_Slow`), which then takes the rule. A test holds the two to the same rows.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from todo_cli.periods import from_taskwarrior as period_from_tw
from todo_cli.periods import to_taskwarrior as period_to_tw
from todo_cli.rules import ANNOTATION_MAX, PROJECT_MAX, TITLE_MAX
from todo_cli.services.tasks.import_rows import _UUID, Row, RowBuilder, _Slow
from todo_cli.services.tasks.taskwarrior_format import _MAPPED, from_taskwarrior

_DATE = re.compile(
    r"\d{4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3])[0-5]\d[0-5]\dZ"
)
_RANK = {"H": 3, "M": 2, "L": 1}
_OPEN = ("pending", "waiting")


class TaskwarriorRows(RowBuilder):
    """Rows from Taskwarrior records: the one-pass path, else the rule."""

    def __init__(self, tz_suffix: str) -> None:
        super().__init__(tz_suffix)
        self.recur_ok: dict[str, str | None] = {}

    def record(self, r: dict[str, Any], n: int) -> Row:
        try:
            return self.direct(r)
        except (_Slow, ValueError, TypeError, KeyError, AttributeError, OverflowError):
            return self(from_taskwarrior(r, n), n)

    def date(self, v: Any) -> str:
        if type(v) is not str or not _DATE.fullmatch(v) or v.startswith("0000"):
            raise _Slow
        if v[6] == "3" or (v[6:8] > "28" and v[4:6] == "02"):  # a day some months lack
            datetime(int(v[:4]), int(v[4:6]), int(v[6:8]))
        return f"{v[:4]}-{v[4:6]}-{v[6:8]} {v[9:11]}:{v[11:13]}:{v[13:15]}{self.whole}"

    def text(self, v: Any, limit: int) -> str:
        if not (type(v) is str and 0 < len(v) <= limit and not v.isspace()):
            raise _Slow
        if not v.isascii() or "\x00" in v:
            v.encode("utf-8")  # a lone surrogate: declined (UnicodeEncodeError)
            if "\x00" in v:
                raise _Slow
        return v

    def direct(self, r: dict[str, Any]) -> Row:
        get, date = r.get, self.date
        status = get("status", "pending")
        title = self.text(r["description"], TITLE_MAX)
        priority = get("priority")
        if priority is not None:
            priority = _RANK[priority]
        tags = get("tags")
        tags_json = "[]" if tags is None else self.tags_text(tags if type(tags) is list else _no())
        project = get("project")
        if project is not None and not (
            type(project) is str
            and 0 < len(project) <= PROJECT_MAX
            and project.isprintable()
            and not project.isspace()
        ):
            raise _Slow
        entry = get("entry")
        created = self.now if entry is None else date(entry)
        modified = get("modified")
        updated = created if modified is None or modified == entry else date(modified)
        end = get("end")
        end = None if end is None else date(end)
        due = get("due")
        due = None if due is None else date(due)
        wait, scheduled, until, start = (
            None if (v := get(k)) is None else date(v)
            for k in ("wait", "scheduled", "until", "start")
        )
        extra = {k: v for k, v in r.items() if k not in _MAPPED}
        recur, parent, index = None, None, None
        if status in _OPEN:
            done, deleted = None, None
        elif status == "completed":
            done, deleted = end or updated, None
        elif status == "deleted":
            done, deleted = None, end or updated
        elif status == "recurring" and r.get("recur") is not None:
            done, deleted = None, None  # (a template without a period: the rule says why not)
        else:
            raise _Slow
        if "recur" in r or "parent" in r or "imask" in r:
            recur, parent, index = self.recurrence(r, status, extra, due)
        notes = get("annotations")
        annotations = () if not notes else self.tw_notes(notes)
        depends = get("depends")
        deps = () if depends is None else self.tw_uuids(depends)
        uuid = r["uuid"]
        if not (type(uuid) is str and _UUID.fullmatch(uuid)):
            raise _Slow
        return (
            title, None, status == "completed", priority, due, False, tags_json, project,
            wait, scheduled, until, start, recur, created, updated, done, deleted, uuid,
            json.dumps(extra) if extra else "{}", annotations, deps, parent, index,
        )  # fmt: skip

    def recurrence(
        self, r: dict[str, Any], status: str, extra: dict[str, Any], due: str | None
    ) -> tuple[str | None, str | None, int | None]:
        given = r.get("recur")
        recur = None
        if given is not None:
            if type(given) is not str:
                raise _Slow
            if given not in self.recur_ok:
                self.recur_ok[given] = period_from_tw(given)
            ours = self.recur_ok[given]
            if status == "recurring" and ours is not None:
                if due is None or "parent" in r:
                    raise _Slow
                recur = self.period(ours)
                if period_to_tw(ours) != given:
                    extra["recur"] = given
            elif status == "recurring":
                raise _Slow
            else:
                extra["recur"] = given
        parent, imask = r.get("parent"), r.get("imask")
        if parent is None:
            if imask is not None:
                raise _Slow
            return recur, None, None
        if not (type(parent) is str and _UUID.fullmatch(parent)) or type(imask) is not int:
            raise _Slow
        if imask < 0 or imask >= 2**31:
            raise _Slow
        return recur, parent, imask

    def tw_notes(self, notes: Any) -> tuple[tuple[str, str], ...]:
        if type(notes) is not list:
            raise _Slow
        return tuple(
            (self.date(a["entry"]), self.text(a["description"], ANNOTATION_MAX))
            if type(a) is dict and len(a) == 2
            else _no()
            for a in notes
        )

    def tw_uuids(self, values: Any) -> tuple[str, ...]:
        if type(values) is not list:
            raise _Slow
        for v in values:
            if not (type(v) is str and _UUID.fullmatch(v)):
                raise _Slow
        return tuple(dict.fromkeys(values))


def _no() -> Any:
    raise _Slow
