"""The tables. Only migrations create them; `SCHEMA_HEAD` names the revision this code expects.

Every row belongs to a user, and every query filters by `user_id` first, so the composite
indexes (here and in `ddl.py`) all start with it. Validation of user input happens in
`schemas.py`; a `table=True` model does not validate, so the database CHECK constraints back
the same rules, derived from the same enums (`choices.py`) and limits (`rules.py`).

Row ids are never handed out twice: SQLite tables are AUTOINCREMENT (migration 0006) and
PostgreSQL's sequences never go back.
"""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlmodel import Field, SQLModel

from todo_cli.choices import Priority, Role, sql_in
from todo_cli.columns import JsonValue
from todo_cli.rules import (
    DESCRIPTION_MAX,
    EMAIL_MAX,
    MODEL_MAX,
    NAME_MAX,
    PROJECT_MAX,
    SOURCE_ID_MAX,
    TITLE_MAX,
    USER_ID_MAX,
    UUID_LENGTH,
)
from todo_cli.table_parts import (
    DEFERRED,
    NO_ID_REUSE,
    new_uuid,
    no_tags,
    nothing_extra,
    request_key_column,
    timestamp,
    user_fk,
)
from todo_cli.when import utcnow

# Bump this together with a new file in migrations/versions/ (a test checks they agree).
SCHEMA_HEAD = "0010"


class User(SQLModel, table=True):
    model_config = DEFERRED
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"length(id) BETWEEN 1 AND {USER_ID_MAX}", name="id_length"),
        CheckConstraint("email = lower(email)", name="email_lower"),
    )

    id: str = Field(sa_column=Column(String(USER_ID_MAX), primary_key=True))
    email: str = Field(sa_column=Column(String(EMAIL_MAX), nullable=False, unique=True))
    name: str | None = Field(default=None, sa_column=Column(String(NAME_MAX), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp())


class Task(SQLModel, table=True):
    model_config = DEFERRED
    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint(f"length(title) BETWEEN 1 AND {TITLE_MAX}", name="title_length"),
        CheckConstraint(
            f"description IS NULL OR length(description) <= {DESCRIPTION_MAX}",
            name="description_length",
        ),
        CheckConstraint(
            f"priority IS NULL OR {sql_in('priority', [p.rank for p in Priority])}",
            name="priority_range",
        ),
        CheckConstraint(f"length(uuid) = {UUID_LENGTH}", name="uuid_length"),
        CheckConstraint("project IS NULL OR length(project) >= 1", name="project_not_empty"),
        CheckConstraint("recur IS NULL OR parent_id IS NULL", name="template_has_no_parent"),
        CheckConstraint("due IS NOT NULL OR NOT due_all_day", name="all_day_has_due"),
        UniqueConstraint("user_id", "uuid"),
        # Generating a recurrence's instance twice (two processes, two machines) is impossible.
        UniqueConstraint("parent_id", "recur_index"),
        # The partial indexes for the list queries are attached by `ddl_metadata()`.
        NO_ID_REUSE,
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    # Idempotency key of the write that created the row: a retried `add`, `chat new` or
    # `chat say` whose first attempt did commit finds its row instead of adding a second one.
    request_key: str | None = Field(default=None, sa_column=request_key_column())
    user_id: str = Field(sa_column=user_fk())
    title: str = Field(sa_column=Column(String(TITLE_MAX), nullable=False))
    description: str | None = Field(
        default=None, sa_column=Column(String(DESCRIPTION_MAX), nullable=True)
    )
    completed: bool = Field(default=False, nullable=False)
    priority: int | None = Field(default=None, nullable=True)
    due: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    # `due` is a calendar day, stored as its 23:59:59 UTC (todo_cli/when.py has the rule).
    due_all_day: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp(onupdate=True))
    completed_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    deleted_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    # Tags live on the row (a JSON array), so that add, complete and delete are each a single
    # statement that returns the whole task: one round trip to Neon, not a join or a second
    # insert. `--tag` filters within one user's rows, which the user index already narrows.
    tags: list[str] = Field(
        default_factory=no_tags,
        sa_column=Column(JsonValue(), nullable=False, server_default=text("'[]'")),
    )
    # The identity that survives export, import and sync: kept from Taskwarrior, else new.
    uuid: str = Field(
        default_factory=new_uuid,
        sa_column=Column(String(UUID_LENGTH), nullable=False, default=new_uuid),  # Core too
    )
    project: str | None = Field(default=None, sa_column=Column(String(PROJECT_MAX), nullable=True))
    wait: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    scheduled: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    until: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    start: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    # A recurrence: its template has `recur` (the period, as given) and is never listed; each
    # instance is an ordinary task with `parent_id` and its index in the series.
    recur: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    parent_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("tasks.id", ondelete="SET NULL"), nullable=True),
    )
    recur_index: int | None = Field(default=None, nullable=True)
    # What an import brought that todo does not model (Taskwarrior UDAs and the like), written
    # back on export: nothing in an imported file is dropped.
    extra: dict[str, object] = Field(
        default_factory=nothing_extra,
        sa_column=Column(JsonValue(), nullable=False, server_default=text("'{}'")),
    )
    # The part of urgency that does not move with time (see services/tasks/urgency.py), kept
    # in step by every write, so that `--sort urgency` reads an index instead of every task.
    urgency_base: float = Field(
        default=0.0, sa_column=Column(Float, nullable=False, server_default=text("0"))
    )


class Conversation(SQLModel, table=True):
    model_config = DEFERRED
    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint(
            f"title IS NULL OR length(title) BETWEEN 1 AND {TITLE_MAX}", name="title_length"
        ),
        CheckConstraint("message_count >= 0", name="message_count_positive"),
        # `chat list`: by last activity, newest first.
        Index("ix_conversations_user_updated", "user_id", "updated_at", "id"),
        # An import finds the conversations an earlier import of the same source made.
        UniqueConstraint("user_id", "source", "source_id"),
        # What a message's key refers to (migration 0010): an index, not a constraint, so
        # that SQLite adds it without rebuilding the table.
        Index("uq_conversations_id_user_id", "id", "user_id", unique=True),
        NO_ID_REUSE,
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    # Idempotency key of the write that created the row: a retried `add`, `chat new` or
    # `chat say` whose first attempt did commit finds its row instead of adding a second one.
    request_key: str | None = Field(default=None, sa_column=request_key_column())
    user_id: str = Field(sa_column=user_fk())
    title: str | None = Field(default=None, sa_column=Column(String(TITLE_MAX), nullable=True))
    # Kept in step by the chat service in the same transaction as each insert or delete,
    # so that `chat list` never counts messages per row.
    message_count: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default=text("0"))
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp())
    # Where an imported conversation came from (a chat_formats FORMATS name) and its id there;
    # both NULL for one made in todo.
    source: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    source_id: str | None = Field(
        default=None, sa_column=Column(String(SOURCE_ID_MAX), nullable=True)
    )


class Message(SQLModel, table=True):
    model_config = DEFERRED
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(sql_in("role", [r.value for r in Role]), name="role_valid"),
        CheckConstraint("length(content) >= 1", name="content_not_empty"),
        # `chat show`: one conversation's messages, oldest first, paged.
        Index("ix_messages_conversation_created", "conversation_id", "created_at", "id"),
        Index("ix_messages_user_created", "user_id", "created_at"),
        # A second import of a source adds only the messages it has not added yet.
        UniqueConstraint("conversation_id", "source_id"),
        # A message's user is its conversation's user (migration 0010), also for a login
        # role under row-level security, whose policies a key's check does not go through;
        # deleting a user deletes their messages through their conversations.
        ForeignKeyConstraint(
            ["conversation_id", "user_id"],
            ["conversations.id", "conversations.user_id"],
            ondelete="CASCADE",
        ),
        NO_ID_REUSE,
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    # Idempotency key of the write that created the row: a retried `add`, `chat new` or
    # `chat say` whose first attempt did commit finds its row instead of adding a second one.
    request_key: str | None = Field(default=None, sa_column=request_key_column())
    conversation_id: int = Field(sa_column=Column(Integer, nullable=False))
    user_id: str = Field(sa_column=Column(String(USER_ID_MAX), nullable=False))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    content: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp())
    model: str | None = Field(default=None, sa_column=Column(String(MODEL_MAX), nullable=True))
    source_id: str | None = Field(
        default=None, sa_column=Column(String(SOURCE_ID_MAX), nullable=True)
    )


# Full-text search is backend-specific, so it lives only in migration 0002, not in these
# models: a generated tsvector column with a GIN index on PostgreSQL, and an FTS5 table kept in
# sync by triggers on SQLite. Autogenerate and the drift test skip these objects.
SEARCH_CONFIG = "simple"  # no stemming, like FTS5's unicode61 tokenizer: same results on both
SEARCH_MAX_CHARS = 100_000  # tsvector is capped at 1 MB; search covers this much of a message
# Turned into spaces before PostgreSQL parses a message (migration 0004 holds a frozen copy), so
# its parser splits `report.pdf`, e-mail addresses and URLs into words the way FTS5 does, and
# never reads `<a b>` as an HTML tag to drop.
SEARCH_PUNCTUATION = ".@/_:-+=?&#%~|\\<>"
SEARCH_ONLY_OBJECTS = ("search_vector", "ix_messages_search", "messages_fts")
