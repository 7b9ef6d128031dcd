"""The task model family at the boundary: what `add` and `edit` accept, what an import record
may hold, and the task shape that `show` and `--json` print.

Each rule is stated once, in a validator type below, and the families reuse the types.
"""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime

from todo_cli.choices import Priority, TaskStatus
from todo_cli.periods import canonical
from todo_cli.rules import ANNOTATION_MAX, PROJECT_MAX, UUID_LENGTH
from todo_cli.schemas import Description, Public, Schema, Tags, Title, _control, _no_nul


def _project(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.strip() or len(value) > PROJECT_MAX or _control(value):
        raise ValueError(f"project must be 1-{PROJECT_MAX} characters of text (got {value!r})")
    return _no_nul(value, "project")


def _period(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return canonical(value)
    except Exception as e:  # BadInput: pydantic wants a ValueError to name the field
        raise ValueError(str(e)) from None


def _note(value: str) -> str:
    if not value.strip():
        raise ValueError("annotation must not be empty")
    if len(value) > ANNOTATION_MAX:
        raise ValueError(f"annotation must be at most {ANNOTATION_MAX} characters")
    return _no_nul(value, "annotation")


def _uuid(value: str) -> str:
    import uuid

    try:
        return str(uuid.UUID(value)) if len(value) == UUID_LENGTH else _bad_uuid(value)
    except ValueError:
        return _bad_uuid(value)


def _bad_uuid(value: str) -> str:
    raise ValueError(f"{value!r} is not a uuid (8-4-4-4-12 hex digits)")


Project = Annotated[str | None, AfterValidator(_project)]
Period = Annotated[str | None, AfterValidator(_period)]
Note = Annotated[str, AfterValidator(_note)]
Uuid = Annotated[str, AfterValidator(_uuid)]


class TaskBase(Schema):
    title: Title
    description: Description = None
    priority: Priority | None = None
    due: AwareDatetime | date | None = None  # a date: a calendar day (todo_cli/when.py)
    tags: Tags = []
    project: Project = None
    wait: AwareDatetime | None = None
    scheduled: AwareDatetime | None = None
    until: AwareDatetime | None = None


class TaskCreate(TaskBase):
    """A new task from `todo add`; `recur` makes it a recurrence (a template and its first
    instance, which needs a due date), `depends` are ids of the user's tasks."""

    recur: Period = None
    depends: list[int] = []


class TaskImport(TaskBase):
    """One record of an import file: a task plus the state and times it had elsewhere."""

    uuid: Uuid | None = None
    completed: bool = False
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    completed_at: AwareDatetime | None = None


class TaskUpdate(Schema):
    """A partial update from `todo edit`: only fields that were given are set; `clear` names
    the fields to empty (`--no-due`, `--no-project`...)."""

    title: Title | None = None
    description: Description = None
    priority: Priority | None = None
    due: AwareDatetime | date | None = None
    project: Project = None
    wait: AwareDatetime | None = None
    scheduled: AwareDatetime | None = None
    until: AwareDatetime | None = None
    recur: Period = None
    clear: set[str] = set()
    add_tags: Tags = []
    remove_tags: Tags = []
    add_depends: list[int] = []
    remove_depends: list[int] = []


class AnnotationPublic(Public):
    entry: datetime
    description: str


class TaskPublic(Public):
    """A task as the CLI shows it and as `--json` prints it (the reference's task shape)."""

    id: int
    uuid: str
    title: str
    description: str | None
    completed: bool
    status: TaskStatus
    priority: Priority | None
    due: datetime | date | None
    tags: list[str]
    project: str | None
    annotations: list[AnnotationPublic]
    wait: datetime | None
    scheduled: datetime | None
    until: datetime | None
    recur: str | None
    depends: list[str]
    start: datetime | None
    urgency: float
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    deleted_at: datetime | None
    extra: dict[str, Any]
    # For the table, not the shape: whether an open task it depends on holds it back.
    blocked: bool = False
    parent_id: int | None = None
    recur_index: int | None = None

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        for internal in ("blocked", "parent_id", "recur_index"):
            data.pop(internal)
        data["annotations"] = [a.to_json() for a in self.annotations]
        return data
