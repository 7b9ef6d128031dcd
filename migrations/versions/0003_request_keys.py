"""idempotency keys for retried writes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 11:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
# What the downgrade removes that holds data (`todo db downgrade` asks first; a test checks it).
DROPS: tuple[str, ...] = ("tasks.request_key", "conversations.request_key", "messages.request_key")

TABLES = ("tasks", "conversations", "messages")


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE INDEX: SQLite does both in place, so no table is rebuilt
    # (a rebuild of `messages` would drop the FTS triggers of 0002).
    for table in TABLES:
        op.add_column(table, sa.Column("request_key", sa.String(length=64), nullable=True))
        op.create_index(f"uq_{table}_request_key", table, ["request_key"], unique=True)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_index(f"uq_{table}_request_key", table_name=table)
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.drop_column("request_key")
