"""row-level security: each login role mapped to a user sees and changes only that user's rows

On PostgreSQL, a new table `user_logins` maps login roles to users (`todo user add --login`),
and every table holding users' rows gets ENABLE and FORCE ROW LEVEL SECURITY with policies
keyed on `current_user` (the rule and the policies are in
`todo_cli/services/database/rls.py`). The owner of the tables, the role that runs
`todo db migrate`, keeps every row. Which tables hold users' rows is read from the catalog when
the migration runs, not listed here, so it covers whatever revisions came before; the SQL is a
DO block, so `todo db migrate --sql` prints it as it would run.

SQLite, a single-user file, is unchanged: this revision does nothing there.

The downgrade drops the policies and `user_logins` (the mappings: `todo db downgrade` asks
first); the login roles themselves are left to `DROP ROLE` (they are not this database's).

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01 13:00:00
"""

from collections.abc import Sequence

from alembic import op

from todo_cli.services.database import rls

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPS: tuple[str, ...] = (rls.LOGINS,)

# A role name is at most 63 bytes (NAMEDATALEN - 1); the user id's length is `USER_ID_MAX`.
# COLLATE "C", the collation of `current_user` (type name): compared with the default
# collation, the primary key's index could not serve `login_role = current_user::text`.
_CREATE_LOGINS = f"""
CREATE TABLE {rls.LOGINS} (
    login_role VARCHAR(63) COLLATE "C" NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
    CONSTRAINT pk_{rls.LOGINS} PRIMARY KEY (login_role),
    CONSTRAINT uq_{rls.LOGINS}_user_id UNIQUE (user_id),
    CONSTRAINT fk_{rls.LOGINS}_user_id_users FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
)"""


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(_CREATE_LOGINS)
    op.execute(rls.protect_sql())


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(rls.unprotect_sql())
    op.execute(f"DROP TABLE {rls.LOGINS}")
