"""The schema as the migrations make it, for Alembic's autogenerate and the drift test.

Only DDL lives here: queries never consult these index objects, so the app never imports it.
The migrations use `counter_kept` too.
"""

import functools
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Index, MetaData, text
from sqlmodel import SQLModel

from todo_cli.models import SEARCH_ONLY_OBJECTS, Conversation, Message, Task
from todo_cli.table_parts import HAS_REQUEST_KEY


def _partial(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    clause = text(where)
    return Index(name, *columns, unique=unique, sqlite_where=clause, postgresql_where=clause)


@functools.cache
def ddl_metadata() -> MetaData:
    """The metadata with everything the migrations create, for Alembic and the drift test.

    The partial indexes are only DDL: queries never consult index objects.
    Declaring them needs `postgresql_where=`, and SQLAlchemy imports its whole PostgreSQL
    dialect to check that keyword (about 30 ms), which the embedded SQLite default should not
    pay at every start-up. So they are attached here, on first use (and once: the result is
    cached), instead of in the class.
    """
    import todo_cli.task_tables  # noqa: F401  (its tables join the metadata)

    table = Task.__table__  # type: ignore[attr-defined]
    # The list query: one user's live tasks by status, newest first, paged.
    table.append_constraint(
        _partial(
            "ix_tasks_user_live_created",
            "user_id",
            "completed",
            "created_at",
            "id",
            where="deleted_at IS NULL",
        )
    )
    # --overdue and --sort due.
    table.append_constraint(
        _partial("ix_tasks_user_live_due", "user_id", "due", where="deleted_at IS NULL")
    )
    # --project P: P and its sub-projects (P.x), a range of the index.
    table.append_constraint(
        _partial("ix_tasks_user_live_project", "user_id", "project", where="deleted_at IS NULL")
    )
    # The count of `list`: what is listed now depends on recur, wait and until (index-only).
    table.append_constraint(
        _partial(
            "ix_tasks_user_listed",
            "user_id",
            "completed",
            "recur",
            "wait",
            "until",
            where="deleted_at IS NULL",
        )
    )
    # The trash and purge --older-than.
    table.append_constraint(
        _partial("ix_tasks_user_deleted", "user_id", "deleted_at", where="deleted_at IS NOT NULL")
    )
    for model in (Task, Conversation, Message):
        t = model.__table__  # type: ignore[union-attr]
        key = _partial(
            f"uq_{t.name}_request_key", "request_key", where=HAS_REQUEST_KEY.text, unique=True
        )
        t.append_constraint(key)
    return SQLModel.metadata


# The expression indexes of `--sort urgency` are backend-specific too (migration 0007).
URGENCY_INDEXES = "ix_tasks_urgency"
# PostgreSQL only, like row-level security itself (migration 0009, services/database/rls.py).
LOGIN_OBJECTS = "user_logins"


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, other: object
) -> bool:
    """Alembic filter: leave the hand-written backend-specific objects out of autogenerate."""
    return not (name or "").startswith((*SEARCH_ONLY_OBJECTS, URGENCY_INDEXES, LOGIN_OBJECTS))


@contextmanager
def counter_kept(table: str) -> Iterator[None]:
    """SQLite, around a migration's batch rebuild of `table` (`recreate="always"`): its
    AUTOINCREMENT counter (`sqlite_sequence`) as it was. The copy alone restarts the counter at
    the largest id left, and the ids of the newest rows, if deleted, would be handed out again
    (migration 0006's rule). Plain SQL, so `todo db migrate --sql` prints it."""
    from alembic import op

    saved = f"todo_counter_{table}"
    op.execute(
        f"CREATE TEMPORARY TABLE {saved} AS SELECT seq FROM sqlite_sequence WHERE name = '{table}'"
    )
    yield
    op.execute(
        f"INSERT INTO sqlite_sequence (name, seq) SELECT '{table}', seq FROM {saved}"
        f" WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = '{table}')"
    )
    op.execute(
        f"UPDATE sqlite_sequence SET seq = max(seq, (SELECT seq FROM {saved}))"
        f" WHERE name = '{table}' AND EXISTS (SELECT 1 FROM {saved})"
    )
    op.execute(f"DROP TABLE {saved}")
