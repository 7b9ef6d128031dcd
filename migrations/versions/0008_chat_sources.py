"""chat sources: where an imported conversation came from, message models, two more roles

Conversations gain `source` (the format: chatgpt, claude, llm, openai, todo) and `source_id`
(the conversation's id there), unique per user, so importing the same export again finds the
conversations it made instead of adding them twice. Messages gain `model` (the model that
wrote an answer) and `source_id` (the message's id in its source), unique per conversation,
so a second import adds only the messages that are new. Roles `developer` and `tool` are
allowed.

PostgreSQL: the search vector turns punctuation into spaces with one regexp_replace instead of
translate(), which is the same characters to the same spaces (a test checks it) at a sixth of
the cost: translate() spent more time per message than to_tsvector itself, and an import of a
large export mostly waited for it. The generated column is dropped and added again (as 0004
did), which recomputes it and rebuilds its GIN index: about a minute per million messages.

SQLite rebuilds both tables (batch mode, from the frozen definitions below, so `--sql` works
too), every row and id kept; the rebuild of `messages` drops its FTS triggers with the old
table, so they are made again (the FTS index is untouched: rowids are kept). PostgreSQL alters
the tables in place. The downgrade drops the new columns (asking first: they hold data) and
turns the two new roles into the nearest old ones (developer -> system, tool -> assistant),
so every message is kept.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 13:00:00
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.sql.naming import conv

from todo_cli import ddl

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What the downgrade removes that holds data (`todo db downgrade` asks first; a test checks it).
DROPS: tuple[str, ...] = (
    "conversations.source",
    "conversations.source_id",
    "messages.model",
    "messages.source_id",
)
OLD_ROLES = "role IN ('user', 'assistant', 'system')"
NEW_ROLES = "role IN ('user', 'assistant', 'system', 'developer', 'tool')"
ROLE_CHECK = conv("ck_messages_role_valid")  # the full name, not a convention's part
CONV_UNIQUE = ("uq_conversations_user_id_source_source_id", ["user_id", "source", "source_id"])
MSG_UNIQUE = ("uq_messages_conversation_id_source_id", ["conversation_id", "source_id"])
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
# Frozen copies (see 0002 and 0004): the search configuration, cap and punctuation.
CONFIG = "simple"
MAX_CHARS = 100_000
PUNCTUATION = ".@/_:-+=?&#%~|\\<>"
# The same characters as a regular expression's bracket: `\` escaped, `-` last.
PUNCTUATION_CLASS = "[" + PUNCTUATION.replace("-", "").replace("\\", "\\\\") + "-]"
TRANSLATED = f"translate(left(content, {MAX_CHARS}), '{PUNCTUATION}', '{' ' * len(PUNCTUATION)}')"
REPLACED = f"regexp_replace(left(content, {MAX_CHARS}), '{PUNCTUATION_CLASS}', ' ', 'g')"
WHEN = sa.DateTime(timezone=True)


def _new_conversation_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column("source", sa.String(16)), sa.Column("source_id", sa.String(200))]


def _new_message_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column("model", sa.String(200)), sa.Column("source_id", sa.String(200))]


def _tables(md: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """`conversations` and `messages` as revision 0007 left them (0006 made them so)."""
    users = sa.Table("users", md, sa.Column("id", sa.String(64), primary_key=True))
    conversations = sa.Table(
        "conversations",
        md,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200)),
        sa.Column("message_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
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
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("request_key", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.CheckConstraint(OLD_ROLES, name=ROLE_CHECK),
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
    return conversations, messages


@contextmanager
def _batch(table: sa.Table) -> Iterator[Any]:
    """SQLite: `table` made again from its frozen definition, its counter kept."""
    with (
        ddl.counter_kept(table.name),
        op.batch_alter_table(
            table.name,
            recreate="always",
            copy_from=table,
            table_kwargs={"sqlite_autoincrement": True},
        ) as batch,
    ):
        yield batch


def _search_vector(punctuated: str) -> None:
    op.execute("DROP INDEX IF EXISTS ix_messages_search")
    op.execute("ALTER TABLE messages DROP COLUMN IF EXISTS search_vector")
    op.execute(
        "ALTER TABLE messages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
        f"(to_tsvector('{CONFIG}', {punctuated})) STORED"
    )
    op.execute("CREATE INDEX ix_messages_search ON messages USING gin (search_vector)")


def upgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        _search_vector(REPLACED)
        for column in _new_conversation_columns():
            op.add_column("conversations", column)
        for column in _new_message_columns():
            op.add_column("messages", column)
        op.create_unique_constraint(CONV_UNIQUE[0], "conversations", CONV_UNIQUE[1])
        op.create_unique_constraint(MSG_UNIQUE[0], "messages", MSG_UNIQUE[1])
        op.drop_constraint(ROLE_CHECK, "messages", type_="check")
        op.create_check_constraint(ROLE_CHECK, "messages", NEW_ROLES)
        return
    conversations, messages = _tables(sa.MetaData())
    with _batch(conversations) as batch:
        for column in _new_conversation_columns():
            batch.add_column(column)
        batch.create_unique_constraint(*CONV_UNIQUE)
    with _batch(messages) as batch:
        for column in _new_message_columns():
            batch.add_column(column)
        batch.create_unique_constraint(*MSG_UNIQUE)
        batch.drop_constraint(ROLE_CHECK, type_="check")
        batch.create_check_constraint(ROLE_CHECK, NEW_ROLES)
    for sql in FTS_TRIGGERS:
        op.execute(sql)


def downgrade() -> None:
    op.execute(
        "UPDATE messages SET role = CASE role WHEN 'developer' THEN 'system' ELSE 'assistant' END"
        " WHERE role IN ('developer', 'tool')"
    )
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint(ROLE_CHECK, "messages", type_="check")
        op.create_check_constraint(ROLE_CHECK, "messages", OLD_ROLES)
        op.drop_constraint(MSG_UNIQUE[0], "messages", type_="unique")
        op.drop_constraint(CONV_UNIQUE[0], "conversations", type_="unique")
        for name in ("model", "source_id"):
            op.drop_column("messages", name)
        for name in ("source", "source_id"):
            op.drop_column("conversations", name)
        _search_vector(TRANSLATED)
        return
    # The frozen 0007 tables have none of the new columns: the copy leaves them behind.
    conversations, messages = _tables(sa.MetaData())
    for table in (messages, conversations):
        with _batch(table):
            pass
    for sql in FTS_TRIGGERS:
        op.execute(sql)
