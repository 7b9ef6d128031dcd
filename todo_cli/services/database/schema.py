"""The schema revision a database is at, and upgrading it: what everyday commands need of
Alembic (the embedded SQLite file migrates itself on first use). `migrations.py` holds the
`todo db` operations built on these.

The migration scripts live in the top-level `migrations/` of a source checkout and ship inside
the wheel as `todo_cli/_migrations` (see pyproject.toml), so `todo db migrate` works after a
plain `pip install .`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from todo_cli.errors import TodoError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection, Engine


def migrations_dir() -> Path:
    """Where the migration scripts are: inside the installed package, or in the checkout."""
    here = Path(__file__).resolve().parents[2]
    for candidate in (here / "_migrations", here.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise TodoError(f"migration scripts not found next to {here}; reinstall todo")


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    return cfg


def read_revision(conn: Connection) -> str | None:
    """The alembic revision stored in the database, or None if it was never migrated.

    One query: a missing table is detected from the error rather than asked about first.
    """
    from sqlalchemy import exc, text

    try:
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except exc.DBAPIError as e:
        orig = getattr(e, "orig", None)
        if getattr(orig, "pgcode", None) == "42P01" or "no such table" in str(orig):
            conn.rollback()
            return None
        raise
    conn.rollback()
    return ",".join(sorted(rows)) or None


def current_revision(engine: Engine) -> str | None:
    """`read_revision` on a connection of its own, in autocommit (no BEGIN/ROLLBACK trips)."""
    from todo_cli.db import autocommit

    with engine.connect() as conn, autocommit(conn):
        return read_revision(conn)


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Config]:
    """A connection ready for Alembic, handed to env.py through the config."""
    from todo_cli.db import write_lock

    cfg = alembic_config()
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # Batch mode rebuilds tables (copy, drop, rename). With foreign keys on, dropping
            # the old table would cascade-delete child rows, so they are off while migrating
            # (this PRAGMA only works outside a transaction) and checked afterwards.
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
            write_lock(conn)  # BEGIN IMMEDIATE: concurrent first runs queue up
        cfg.attributes["connection"] = conn
        yield cfg
        if engine.dialect.name == "sqlite":
            bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            conn.rollback()
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]
            if bad:
                raise TodoError(f"migration left {len(bad)} rows with broken foreign keys")


def upgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with migration_connection(engine) as cfg:
        command.upgrade(cfg, revision)
