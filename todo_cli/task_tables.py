"""The tables that hang off tasks: annotations, dependencies, and the journal of changes.

They live beside `models.py` (which holds users, tasks and chat) only to keep each module
small; `ddl.ddl_metadata()` imports this module, so the migrations and the drift test see
every table.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from todo_cli.columns import JsonValue, UTCDateTime
from todo_cli.rules import ANNOTATION_MAX, UUID_LENGTH
from todo_cli.table_parts import DEFERRED, NO_ID_REUSE, user_fk
from todo_cli.when import utcnow

JOURNAL_ACTIONS = ("add", "modify", "delete")


def _task_fk() -> Column[int]:
    return Column(Integer, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False)


class Annotation(SQLModel, table=True):
    """A timestamped note on a task (`todo annotate`), shown under it by `show`."""

    model_config = DEFERRED
    __tablename__ = "annotations"
    __table_args__ = (
        CheckConstraint(
            f"length(description) BETWEEN 1 AND {ANNOTATION_MAX}", name="description_length"
        ),
        Index("ix_annotations_task_entry", "task_id", "entry", "id"),
        NO_ID_REUSE,
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    task_id: int = Field(sa_column=_task_fk())
    user_id: str = Field(sa_column=user_fk())
    entry: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    description: str = Field(sa_column=Column(Text, nullable=False))


class TaskDependency(SQLModel, table=True):
    """`task_id` depends on the task with uuid `depends_on` (of the same user).

    By uuid, as Taskwarrior keeps them: a dependency survives its task's purge and an import
    in any order, and is matched to a task again when one with that uuid comes back.
    """

    model_config = DEFERRED
    __tablename__ = "task_dependencies"
    __table_args__ = (
        # `blocking`: which tasks wait for this one.
        Index("ix_task_dependencies_user_depends_on", "user_id", "depends_on"),
    )

    task_id: int = Field(
        sa_column=Column(Integer, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    )
    depends_on: str = Field(sa_column=Column(String(UUID_LENGTH), primary_key=True))
    user_id: str = Field(sa_column=user_fk())


class JournalEntry(SQLModel, table=True):
    """One task's change within one change a user made (a command): what `todo undo` reverts.

    Written in the same transaction as the change. Entries of one command share `change`;
    each names its task by uuid and holds the task's fields before and after (null for an
    add, resp. a purge), with the time: enough to replay the change elsewhere (a sync).
    """

    model_config = DEFERRED
    __tablename__ = "journal"
    __table_args__ = (
        CheckConstraint(
            "action IN (" + ", ".join(repr(a) for a in JOURNAL_ACTIONS) + ")", name="action_valid"
        ),
        # `undo`: the user's latest change that is not undone, then its entries.
        Index("ix_journal_user_id", "user_id", "id"),
        Index("ix_journal_user_change", "user_id", "change"),
        # Did a later change touch this task?
        Index("ix_journal_user_task", "user_id", "task_uuid", "id"),
        NO_ID_REUSE,
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    user_id: str = Field(sa_column=user_fk())
    change: str = Field(sa_column=Column(String(64), nullable=False))
    command: str = Field(sa_column=Column(String(200), nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    task_uuid: str = Field(sa_column=Column(String(UUID_LENGTH), nullable=False))
    action: str = Field(sa_column=Column(String(16), nullable=False))
    before: dict[str, object] | None = Field(
        default=None, sa_column=Column(JsonValue(), nullable=True)
    )
    after: dict[str, object] | None = Field(
        default=None, sa_column=Column(JsonValue(), nullable=True)
    )
    undone_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
