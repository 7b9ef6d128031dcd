"""request keys: index only the rows that have one

A request key marks a write that may be retried (`todo add`, `chat new`, `chat say`, the first
row of an import) and seeded rows; the other rows of an import have none. The unique index of
0003 held an entry for each of those NULLs too, which every insert paid for: on an import of
100,000 tasks about 6% of SQLite's time. The index now holds the rows with a key only, still
unique. `ON CONFLICT` names it with the same `WHERE request_key IS NOT NULL`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
# What the downgrade removes that holds data (`todo db downgrade` asks first; a test checks it).
DROPS: tuple[str, ...] = ()

TABLES = ("tasks", "conversations", "messages")
HAS_KEY = sa.text("request_key IS NOT NULL")


def upgrade() -> None:
    for table in TABLES:
        op.drop_index(f"uq_{table}_request_key", table_name=table)
        op.create_index(
            f"uq_{table}_request_key",
            table,
            ["request_key"],
            unique=True,
            sqlite_where=HAS_KEY,
            postgresql_where=HAS_KEY,
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_index(f"uq_{table}_request_key", table_name=table)
        op.create_index(f"uq_{table}_request_key", table, ["request_key"], unique=True)
