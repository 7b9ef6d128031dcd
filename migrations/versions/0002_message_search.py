"""full-text search over messages

PostgreSQL: a stored, generated tsvector column and a GIN index on it, so ranking reads the
vector instead of re-parsing every matching message. SQLite: an external-content FTS5 table
kept in step with `messages` by triggers (cascaded deletes fire them too), backfilled here.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 11:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
# What the downgrade removes that holds data (`todo db downgrade` asks first; a test checks it).
DROPS: tuple[str, ...] = ()

# Frozen copies of todo_cli.models.SEARCH_CONFIG / SEARCH_MAX_CHARS: a migration must not
# change meaning when the application code changes later.
CONFIG = "simple"
MAX_CHARS = 100_000

SQLITE_UP = [
    "CREATE VIRTUAL TABLE messages_fts USING fts5("
    "content, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);"
    " END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);"
    " INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content); END",
    "INSERT INTO messages_fts(rowid, content) SELECT id, content FROM messages",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS messages_fts_update",
    "DROP TRIGGER IF EXISTS messages_fts_delete",
    "DROP TRIGGER IF EXISTS messages_fts_insert",
    "DROP TABLE IF EXISTS messages_fts",
]
# PostgreSQL's parser keeps `report.pdf`, `a@b.com`, URLs and versions as single tokens, where
# FTS5 splits them into words; turning that punctuation into spaces makes both find the words.
# Diacritics count on both (FTS5's remove_diacritics 0): `cafe` does not find `café`.
PUNCTUATION = ".@/_:-+=?&#%~|\\"  # ":" is never followed by a word character: a bind
PG_UP = [
    "ALTER TABLE messages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    f"(to_tsvector('{CONFIG}', translate(left(content, {MAX_CHARS}), "
    f"'{PUNCTUATION}', '{' ' * len(PUNCTUATION)}'))) STORED",
    "CREATE INDEX ix_messages_search ON messages USING gin (search_vector)",
]
PG_DOWN = [
    "DROP INDEX IF EXISTS ix_messages_search",
    "ALTER TABLE messages DROP COLUMN IF EXISTS search_vector",
]


def _run(statements: list[str]) -> None:
    for sql in statements:
        op.execute(sql)


def upgrade() -> None:
    _run(PG_UP if op.get_context().dialect.name == "postgresql" else SQLITE_UP)


def downgrade() -> None:
    _run(PG_DOWN if op.get_context().dialect.name == "postgresql" else SQLITE_DOWN)
