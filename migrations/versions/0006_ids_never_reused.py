"""ids are never handed out twice: SQLite tables become AUTOINCREMENT

SQLite gives a new row the largest rowid plus one, so after the task with the largest id was
purged, the next task got its id again, and a script that had saved that id could change
someone else's row. AUTOINCREMENT keeps the largest id ever used (in sqlite_sequence) and never
goes back. The tables are rebuilt with every row and id kept (batch mode: copy, drop, rename);
sqlite_sequence starts at the largest id present, since ids purged before this revision left
no trace. The rebuild of `messages` drops its FTS triggers with the old table, so they are
made again (the FTS index itself is untouched: rowids are kept).

PostgreSQL's sequences never hand out a value twice: nothing changes there.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPS: tuple[str, ...] = ()  # what the downgrade removes that holds data: nothing
# Frozen copies of the triggers of 0002.
FTS_TRIGGERS = [
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);"
    " END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);"
    " INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END",
]
HAS_KEY = sa.text("request_key IS NOT NULL")
LIVE, TRASHED = sa.text("deleted_at IS NULL"), sa.text("deleted_at IS NOT NULL")


def _tables() -> list[sa.Table]:
    """The three tables as revision 0005 left them (frozen here: copy_from lets the rebuild
    run without reflecting the database, which `todo db migrate --sql` needs)."""
    md = sa.MetaData()
    when = sa.DateTime(timezone=True)
    users = sa.Table("users", md, sa.Column("id", sa.String(64), primary_key=True))
    tasks = sa.Table(
        "tasks",
        md,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.String(1000)),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer()),
        sa.Column("due", when),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.Column("completed_at", when),
        sa.Column("deleted_at", when),
        sa.Column("tags", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("request_key", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
        sa.CheckConstraint(
            "description IS NULL OR length(description) <= 1000", name="ck_tasks_description_length"
        ),
        sa.CheckConstraint("length(title) BETWEEN 1 AND 200", name="ck_tasks_title_length"),
        sa.CheckConstraint(
            "priority IS NULL OR priority IN (1, 2, 3)", name="ck_tasks_priority_range"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], [users.c.id], name="fk_tasks_user_id_users", ondelete="CASCADE"
        ),
        sa.Index("ix_tasks_user_deleted", "user_id", "deleted_at", sqlite_where=TRASHED),
        sa.Index(
            "ix_tasks_user_live_created",
            "user_id",
            "completed",
            "created_at",
            "id",
            sqlite_where=LIVE,
        ),
        sa.Index("ix_tasks_user_live_due", "user_id", "due", sqlite_where=LIVE),
        sa.Index("uq_tasks_request_key", "request_key", unique=True, sqlite_where=HAS_KEY),
    )
    conversations = sa.Table(
        "conversations",
        md,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200)),
        sa.Column("message_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.Column("request_key", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_conversations"),
        sa.CheckConstraint("message_count >= 0", name="ck_conversations_message_count_positive"),
        sa.CheckConstraint(
            "title IS NULL OR length(title) BETWEEN 1 AND 200", name="ck_conversations_title_length"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], [users.c.id], name="fk_conversations_user_id_users", ondelete="CASCADE"
        ),
        sa.Index("ix_conversations_user_updated", "user_id", "updated_at", "id"),
        sa.Index("uq_conversations_request_key", "request_key", unique=True, sqlite_where=HAS_KEY),
    )
    messages = sa.Table(
        "messages",
        md,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("request_key", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.CheckConstraint(
            "role IN ('user', 'assistant', 'system')", name="ck_messages_role_valid"
        ),
        sa.CheckConstraint("length(content) >= 1", name="ck_messages_content_not_empty"),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            [conversations.c.id],
            name="fk_messages_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], [users.c.id], name="fk_messages_user_id_users", ondelete="CASCADE"
        ),
        sa.Index("ix_messages_conversation_created", "conversation_id", "created_at", "id"),
        sa.Index("ix_messages_user_created", "user_id", "created_at"),
        sa.Index("uq_messages_request_key", "request_key", unique=True, sqlite_where=HAS_KEY),
    )
    return [tasks, conversations, messages]


def _rebuild(autoincrement: bool) -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    for table in _tables():
        with op.batch_alter_table(
            table.name,
            recreate="always",
            copy_from=table,
            table_kwargs={"sqlite_autoincrement": autoincrement},
        ):
            pass
    for sql in FTS_TRIGGERS:
        op.execute(sql)


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
