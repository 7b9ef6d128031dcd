"""search: angle brackets are separators on PostgreSQL too

PostgreSQL's text-search parser reads `<a b>` as an HTML tag and drops it, words and all, so
`a<b c>d` was indexed as `a d` there while FTS5 indexes `a b c d`, and a message could not be
found by its own words. Turning `<` and `>` into spaces as well (like the punctuation of 0002)
makes the parser see plain words. SQLite's FTS5 has no such rule: nothing changes there.

The generated column is dropped and added again, which recomputes it for every message and
rebuilds its GIN index: on a large table this takes a while (about a minute per million
messages here), inside the migration's transaction.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 15:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
# What the downgrade removes that holds data (`todo db downgrade` asks first; a test checks it).
DROPS: tuple[str, ...] = ()

# Frozen copies (see 0002): the configuration, the cap, and the characters made spaces.
CONFIG = "simple"
MAX_CHARS = 100_000
BEFORE = ".@/_:-+=?&#%~|\\"  # ":" is never followed by a word character: a bind
PUNCTUATION = BEFORE + "<>"


def _vector(punctuation: str) -> list[str]:
    spaces = " " * len(punctuation)
    return [
        "DROP INDEX IF EXISTS ix_messages_search",
        "ALTER TABLE messages DROP COLUMN IF EXISTS search_vector",
        "ALTER TABLE messages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
        f"(to_tsvector('{CONFIG}', translate(left(content, {MAX_CHARS}), "
        f"'{punctuation}', '{spaces}'))) STORED",
        "CREATE INDEX ix_messages_search ON messages USING gin (search_vector)",
    ]


def _run(statements: list[str]) -> None:
    if op.get_context().dialect.name == "postgresql":
        for sql in statements:
            op.execute(sql)


def upgrade() -> None:
    _run(_vector(PUNCTUATION))


def downgrade() -> None:
    _run(_vector(BEFORE))
