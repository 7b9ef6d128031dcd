"""messages: one foreign key to their conversation and its user, instead of one to each

A message's `user_id` was checked against `users` and its `conversation_id` against
`conversations`, but nothing said the two agree: a message could belong to one user while its
conversation belonged to another. Now one foreign key, `(conversation_id, user_id)` to
`conversations (id, user_id)`, says that a message's user is its conversation's user; deleting
a user still deletes their messages (through their conversations). `conversations` gains the
unique index on `(id, user_id)` that the key refers to.

This matters most under row-level security (0009): a key's check does not go through the
policies, so a mapped login role could add a message, its own by `user_id`, to another user's
conversation; now the database refuses it.

A message whose user is not its conversation's (none should exist) is given the
conversation's user before the key is made, so the key can be made and no row is lost; that
is the user whose `chat show` lists it. The downgrade puts the two keys back and keeps every
row.

SQLite rebuilds `messages` (batch mode, from the frozen definition below, so `--sql` works
too), every row and id kept; its FTS triggers go with the old table and are made again, and so
does its AUTOINCREMENT counter, which is put back (`ddl.counter_kept`): the copy alone would
restart it at the largest id left, and the ids of the newest messages, if deleted, would be
handed out again (0006's rule). PostgreSQL alters the table in place.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 02:00:00
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op

from todo_cli import ddl

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPS: tuple[str, ...] = ()  # what the downgrade removes that holds data: nothing
OWNER_INDEX = "uq_conversations_id_user_id"
# The convention names a key after its first column: the new key has the old one's name.
CONV_KEY = "fk_messages_conversation_id_conversations"
USER_KEY = "fk_messages_user_id_users"
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
ROLES = "role IN ('user', 'assistant', 'system', 'developer', 'tool')"
# Gives each message its conversation's user: one join on PostgreSQL; SQLite before 3.33 has
# no UPDATE ... FROM.
ALIGN = (
    "UPDATE messages m SET user_id = c.user_id FROM conversations c"
    " WHERE c.id = m.conversation_id AND m.user_id <> c.user_id"
)
ALIGN_SQLITE = (
    "UPDATE messages SET user_id = (SELECT c.user_id FROM conversations c"
    " WHERE c.id = messages.conversation_id) WHERE user_id <> (SELECT c.user_id"
    " FROM conversations c WHERE c.id = messages.conversation_id)"
)


def _messages() -> sa.Table:
    """`messages` as revision 0009 left it (0008 made it so; 0009 changed nothing on SQLite)."""
    md = sa.MetaData()
    users = sa.Table("users", md, sa.Column("id", sa.String(64), primary_key=True))
    conversations = sa.Table("conversations", md, sa.Column("id", sa.Integer(), primary_key=True))
    return sa.Table(
        "messages",
        md,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_key", sa.String(64)),
        sa.Column("model", sa.String(200)),
        sa.Column("source_id", sa.String(200)),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.CheckConstraint(ROLES, name="ck_messages_role_valid"),
        sa.CheckConstraint("length(content) >= 1", name="ck_messages_content_not_empty"),
        sa.ForeignKeyConstraint(
            ["conversation_id"], [conversations.c.id], name=CONV_KEY, ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], [users.c.id], name=USER_KEY, ondelete="CASCADE"),
        sa.UniqueConstraint(
            "conversation_id", "source_id", name="uq_messages_conversation_id_source_id"
        ),
        sa.Index("ix_messages_conversation_created", "conversation_id", "created_at", "id"),
        sa.Index("ix_messages_user_created", "user_id", "created_at"),
        sa.Index("uq_messages_request_key", "request_key", unique=True, sqlite_where=HAS_KEY),
        sqlite_autoincrement=True,
    )


@contextmanager
def _rebuilt() -> Iterator[Any]:
    """SQLite: `messages` made again from the 0009 definition, with what the batch yields
    changed; its counter and FTS triggers as they were."""
    with (
        ddl.counter_kept("messages"),
        op.batch_alter_table("messages", recreate="always", copy_from=_messages()) as batch,
    ):
        yield batch
    for sql in FTS_TRIGGERS:
        op.execute(sql)


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    op.create_index(OWNER_INDEX, "conversations", ["id", "user_id"], unique=True)
    op.execute(ALIGN_SQLITE if dialect == "sqlite" else ALIGN)
    owner = (["conversation_id", "user_id"], ["id", "user_id"])
    if dialect != "sqlite":
        op.drop_constraint(CONV_KEY, "messages", type_="foreignkey")
        op.drop_constraint(USER_KEY, "messages", type_="foreignkey")
        op.create_foreign_key(CONV_KEY, "messages", "conversations", *owner, ondelete="CASCADE")
        return
    with _rebuilt() as batch:
        batch.drop_constraint(CONV_KEY, type_="foreignkey")
        batch.drop_constraint(USER_KEY, type_="foreignkey")
        batch.create_foreign_key(CONV_KEY, "conversations", *owner, ondelete="CASCADE")


def downgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint(CONV_KEY, "messages", type_="foreignkey")
        for name, column, table in (
            (CONV_KEY, "conversation_id", "conversations"),
            (USER_KEY, "user_id", "users"),
        ):
            op.create_foreign_key(name, "messages", table, [column], ["id"], ondelete="CASCADE")
    else:
        with _rebuilt():  # the frozen 0009 definition: the two keys of before
            pass
    op.drop_index(OWNER_INDEX, "conversations")
