"""Import records to rows: the checks of `todo import`, fast where they can be.

Checking 100,000 records through the `TaskImport` model costs more than inserting them, so a
record first takes a fast path that accepts only what the model accepts, through the same
pydantic types, and stores the same values; anything else goes through the model, which gives
the value or the exact error. Rows are built in storage form (a timestamp is a naive UTC string
on SQLite), so inserting converts nothing per cell. Taskwarrior's records are translated first.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, TypeAdapter

from todo_cli.choices import Priority
from todo_cli.errors import BadInput
from todo_cli.rules import DESCRIPTION_MAX, TITLE_MAX
from todo_cli.schemas import Description, Tag, Title, validate
from todo_cli.table_parts import new_uuid
from todo_cli.task_schemas import TaskImport
from todo_cli.when import utcnow

Row = tuple[Any, ...]  # a row's values in COLUMNS order, without user_id


class ImportRecord(TaskImport):
    """A record of an import file; `deleted_at` puts the task in the trash."""

    deleted_at: AwareDatetime | None = None


class _Slow(Exception):
    """The fast path declines a record: the model decides."""


class RowBuilder:
    """Validated rows from our records: the fast path, or `ImportRecord` when it declines."""

    def __init__(self, tz_suffix: str) -> None:
        self.suffix = tz_suffix  # how the driver is to read a UTC timestamp string
        self.whole = ".000000" + tz_suffix
        self.now = self.timestamp(utcnow())
        self.title = TypeAdapter(Title).validator.validate_python
        self.description = TypeAdapter(Description).validator.validate_python
        self.tag = TypeAdapter(Tag).validator.validate_python
        self.aware = TypeAdapter(AwareDatetime).validator.validate_python
        self.good_tags: set[str] = set()
        self.tags_json: dict[tuple[str, ...], str] = {}

    def __call__(self, r: dict[str, Any], n: int) -> Row:
        try:
            return self.fast(r)
        except (_Slow, ValueError, TypeError, KeyError, OverflowError):
            pass
        m = validate(ImportRecord, r, where=f"record {n}: ")
        try:
            return self.fast(m.model_dump())  # valid now: the fast path takes it as it is
        except OverflowError:
            raise BadInput(f"record {n}: a date is out of range") from None

    def fast(self, r: dict[str, Any]) -> Row:
        """The row for a record of plain values, or an exception to decline it. The fields go
        through the model's pydantic types, but `completed` must be a bool, `priority` a name."""
        get = r.get
        completed = get("completed", False)
        tags = get("tags", [])
        if type(completed) is not bool or type(tags) is not list:
            raise _Slow
        title = r["title"]
        # ASCII text without NUL needs no UTF-8 check: only length and blankness are left.
        if not (
            type(title) is str
            and title.isascii()
            and 0 < len(title) <= TITLE_MAX
            and not title.isspace()
            and "\x00" not in title
        ):
            title = self.title(title)
        description = get("description")
        if description is not None and not (
            type(description) is str
            and description.isascii()
            and len(description) <= DESCRIPTION_MAX
            and "\x00" not in description
        ):
            description = self.description(description)
        priority = get("priority")
        if priority is not None:
            priority = Priority(priority).rank
        if tags:
            for tag in tags:
                if tag not in self.good_tags:
                    self.good_tags.add(self.tag(tag))
            key = tuple(dict.fromkeys(tags))
            tags_json = self.tags_json.get(key)
            if tags_json is None:
                tags_json = self.tags_json[key] = json.dumps(list(key))
        else:
            tags_json = "[]"
        at = self.moment
        due, created, updated = get("due"), get("created_at"), get("updated_at")
        done, deleted = get("completed_at"), get("deleted_at")
        if due is not None:
            due = at(due)
        given = created
        created = self.now if created is None else at(created)
        # Most records were never edited: the same text twice needs converting once.
        updated = created if updated is None or updated == given else at(updated)
        if done is not None:
            done = at(done)  # checked even when the task is not completed, like the model does
        if deleted is not None:
            deleted = at(deleted)
        done = (done or updated) if completed else None
        uuid = get("uuid")
        if uuid is not None and not (type(uuid) is str and _UUID.fullmatch(uuid)):
            raise _Slow
        return (
            title, description, completed, priority, due, tags_json,
            created, updated, done, deleted, uuid or new_uuid(),
        )  # fmt: skip

    def moment(self, value: Any) -> str:
        """A checked timestamp in storage form; our own canonical UTC text is just sliced."""
        if type(value) is not str:
            if isinstance(value, datetime):
                return self.timestamp(value)
            raise _Slow
        parsed = self.aware(value)
        size = len(value)
        if (size == 25 and value.endswith("+00:00")) or (size == 20 and value[19] in "Zz"):
            return f"{value[:10]} {value[11:19]}{self.whole}"
        if value[19:20] == "." and (
            (size == 32 and value.endswith("+00:00")) or (size == 27 and value[26] in "Zz")
        ):
            return f"{value[:10]} {value[11:26]}{self.suffix}"
        return self.timestamp(parsed)

    def timestamp(self, value: datetime) -> str:
        """`YYYY-MM-DD HH:MM:SS.ffffff` in UTC (+ `+00:00` for PostgreSQL)."""
        u = value.astimezone(UTC)
        return (
            f"{u.year:04d}-{u.month:02d}-{u.day:02d} "
            f"{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond:06d}{self.suffix}"
        )


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TW_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")
_TW_PRIORITY = {"H": "high", "M": "medium", "L": "low"}


def _tw_date(value: Any) -> Any:
    """`20261125T103000Z` -> `2026-11-25T10:30:00+00:00`; anything else is left to validation."""
    m = _TW_DATE.fullmatch(value) if isinstance(value, str) else None
    return "{}-{}-{}T{}:{}:{}+00:00".format(*m.groups()) if m else value


def from_taskwarrior(r: dict[str, Any], n: int) -> dict[str, Any]:
    """A Taskwarrior `task export` object as one of ours.

    description -> title; annotations -> description (one per line); entry -> created_at;
    modified -> updated_at; due; priority H/M/L -> high/medium/low; tags. Status `completed`
    -> completed, with `end` as the completion time. Status `deleted` -> a task in the trash
    (deleted at `end`, else `modified`), so nothing is lost and `todo purge` can drop it.
    `pending`, `waiting` and `recurring` (a recurrence's template) -> pending tasks. Taskwarrior's
    ids and uuids are not kept.
    """
    notes = r.get("annotations") or []
    if not isinstance(notes, list) or not all(isinstance(a, dict) for a in notes):
        raise BadInput(f"record {n}: annotations must be a list of objects")
    status = r.get("status", "pending")
    priority = r.get("priority")
    end = _tw_date(r.get("end"))
    modified = _tw_date(r.get("modified"))
    record: dict[str, Any] = {
        "title": r.get("description"),
        "description": "\n".join(str(a.get("description", "")) for a in notes) or None,
        "completed": status == "completed",
        "priority": _TW_PRIORITY.get(priority, priority) if isinstance(priority, str) else priority,
        "due": _tw_date(r.get("due")),
        "tags": r.get("tags", []),
        "created_at": _tw_date(r.get("entry")),
        "updated_at": modified,
        "completed_at": end if status == "completed" else None,
    }
    if status == "deleted":
        record["deleted_at"] = end or modified or utcnow().isoformat()
    return record
