"""Import records to rows: the checks of `todo import`, fast where they can be.

Checking 100,000 records through the `ImportRecord` model costs more than inserting them, so a
record first takes a fast path that accepts only what the model accepts, through the same
pydantic types, and stores the same values; anything else goes through the model, which gives
the value or the exact error. Rows are built in storage form (a timestamp is a naive UTC string
on SQLite), so inserting converts nothing per cell. Taskwarrior's records are translated first
(`taskwarrior_format.py`).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, TypeAdapter, ValidationError, WrapValidator

from todo_cli.choices import Priority
from todo_cli.columns import utc_text
from todo_cli.errors import BadInput
from todo_cli.periods import canonical
from todo_cli.rules import ANNOTATION_MAX, DESCRIPTION_MAX, PROJECT_MAX, TITLE_MAX
from todo_cli.schemas import Description, Schema, Tag, Title, validate
from todo_cli.task_schemas import Note, Period, TaskImport, Uuid
from todo_cli.when import utcnow

# A row's values, in this order: the task's columns (`COLUMNS`), then what hangs off it.
COLUMNS = (
    "title", "description", "completed", "priority", "due", "due_all_day", "tags", "project",
    "wait", "scheduled", "until", "start", "recur", "created_at", "updated_at", "completed_at",
    "deleted_at", "uuid", "extra",
)  # fmt: skip
SIDE = ("annotations", "depends", "parent", "recur_index")
UUID_AT = COLUMNS.index("uuid")
UPDATED_AT = COLUMNS.index("updated_at")
EXTRA_AT = COLUMNS.index("extra")
Row = tuple[Any, ...]
STATUSES = ("pending", "completed", "waiting", "recurring", "deleted")


def _due(value: Any, handler: Any) -> Any:
    try:
        return handler(value)
    except ValidationError:
        raise ValueError(
            "due must be a date (2026-12-01) or a time with a UTC offset"
            f" (2026-12-01T09:00:00+00:00), got {value!r}"
        ) from None


class ImportNote(Schema):
    entry: AwareDatetime | None = None  # none: the time of the import
    description: Note


class ImportRecord(TaskImport):
    """A record of an import file: the task shape, read back. `status` deleted (or
    `deleted_at`) puts the task in the trash; `recur` makes it a recurrence's template;
    `parent` and `recur_index` make it an instance of the template with that uuid."""

    due: Annotated[AwareDatetime | date | None, WrapValidator(_due)] = None
    status: Literal["pending", "completed", "waiting", "recurring", "deleted"] | None = None
    start: AwareDatetime | None = None
    deleted_at: AwareDatetime | None = None
    recur: Period = None
    depends: list[Uuid] = Field(default_factory=list)
    annotations: list[ImportNote] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)
    parent: Uuid | None = None
    recur_index: int | None = None


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
        self.periods: dict[str, str] = {}

    def __call__(self, r: dict[str, Any], n: int) -> Row:
        try:
            return self.fast(r)
        except (_Slow, ValueError, TypeError, KeyError, OverflowError, AttributeError):
            pass
        m = validate(ImportRecord, r, where=f"record {n}: ")
        data = m.model_dump()
        data["annotations"] = [a.model_dump() for a in m.annotations]
        try:
            return self.fast(data)  # valid now: the fast path takes it as it is
        except OverflowError:
            raise BadDate(n) from None
        except _Slow as e:
            raise BadRecord(n, str(e)) from None

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
        tags_json = self.tags_text(tags) if tags else "[]"
        at = self.moment
        created, updated = get("created_at"), get("updated_at")
        done, deleted = get("completed_at"), get("deleted_at")
        due, all_day = self.due(get("due"))
        given = created
        created = self.now if created is None else at(created)
        # Most records were never edited: the same text twice needs converting once.
        updated = created if updated is None or updated == given else at(updated)
        if done is not None:
            done = at(done)  # checked even when the task is not completed, like the model does
        if deleted is not None:
            deleted = at(deleted)
        status = get("status")
        if status is not None and status not in STATUSES:
            raise _Slow
        completed = completed or status == "completed"
        done = (done or updated) if completed else None
        if status == "deleted" and deleted is None:
            deleted = updated
        uuid = get("uuid")
        if uuid is not None and not (type(uuid) is str and _UUID.fullmatch(uuid)):
            raise _Slow
        wait, scheduled, until, start = (
            None if (v := get(k)) is None else at(v)
            for k in ("wait", "scheduled", "until", "start")
        )
        project = get("project")
        if project is not None and not (
            type(project) is str
            and 0 < len(project) <= PROJECT_MAX
            and project.isprintable()
            and not project.isspace()
        ):
            raise _Slow
        recur = get("recur")
        if recur is not None:
            recur = self.period(recur)
            if due is None:
                raise _Slow("a recurrence needs a due date")
        if status == "recurring" and recur is None:
            raise _Slow("status recurring needs recur, the period")
        extra = get("extra") or {}
        if type(extra) is not dict:
            raise _Slow
        parent, index = get("parent"), get("recur_index")
        if parent is not None and not (type(parent) is str and _UUID.fullmatch(parent)):
            raise _Slow
        if index is not None and not (type(index) is int and index >= 0):
            raise _Slow
        return (
            title, description, completed, priority, due, all_day, tags_json, project,
            wait, scheduled, until, start, recur, created, updated, done, deleted,
            uuid, json.dumps(extra) if extra else "{}",
            self.notes(get("annotations") or ()), self.uuids(get("depends") or ()),
            None if recur is not None else parent, index,
        )  # fmt: skip

    def tags_text(self, tags: list[Any]) -> str:
        for tag in tags:
            if tag not in self.good_tags:
                self.good_tags.add(self.tag(tag))
        key = tuple(dict.fromkeys(tags))
        text = self.tags_json.get(key)
        if text is None:
            text = self.tags_json[key] = json.dumps(list(key))
        return text

    def period(self, value: Any) -> str:
        known = self.periods.get(value) if type(value) is str else None
        if known is None:
            if type(value) is not str:
                raise _Slow
            known = self.periods[value] = canonical(value)
        return known

    def due(self, value: Any) -> tuple[str | None, bool]:
        """A due date in storage form, and whether it is a calendar day (todo_cli/when.py:
        stored as its 23:59:59 UTC)."""
        if value is None:
            return None, False
        if type(value) is date or (type(value) is str and _DAY.fullmatch(value)):
            day = value if isinstance(value, date) else date.fromisoformat(value)
            return f"{day.isoformat()} 23:59:59{self.whole}", True
        return self.moment(value), False

    def notes(self, notes: Any) -> tuple[tuple[str, str], ...]:
        """(entry, text) of each annotation; no entry: the time of the import."""
        if type(notes) not in (list, tuple):
            raise _Slow
        out = []
        for note in notes:
            text, entry = note["description"], note.get("entry")
            if not (
                type(text) is str
                and 0 < len(text) <= ANNOTATION_MAX
                and text.isascii()
                and "\x00" not in text
                and not text.isspace()
            ):
                if type(text) is not str:
                    raise _Slow
                text = _NOTE(text)
            out.append((self.now if entry is None else self.moment(entry), text))
        return tuple(out)

    def uuids(self, values: Any) -> tuple[str, ...]:
        if type(values) not in (list, tuple):
            raise _Slow
        for u in values:
            if not (type(u) is str and _UUID.fullmatch(u)):
                raise _Slow
        return tuple(dict.fromkeys(values))

    def moment(self, value: Any) -> str:
        """A checked timestamp in storage form."""
        if isinstance(value, datetime):
            return self.timestamp(value)
        if type(value) is not str:
            raise _Slow
        return self.timestamp(self.aware(value))

    def timestamp(self, value: datetime) -> str:
        """`YYYY-MM-DD HH:MM:SS.ffffff` in UTC (+ `+00:00` for PostgreSQL)."""
        return utc_text(value, offset=bool(self.suffix))


_NOTE = TypeAdapter(Note).validator.validate_python
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class BadRecord(BadInput):
    """A record that passed the model but not a rule across its fields."""

    def __init__(self, n: int, why: str) -> None:
        super().__init__(f"record {n}: {why or 'not a task'}")


class BadDate(BadRecord):
    def __init__(self, n: int) -> None:
        super().__init__(n, "a date is out of range")
