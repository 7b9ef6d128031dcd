"""Alembic environment: URL from todo's config, metadata from todo's models.

`todo db migrate` passes a ready connection in `config.attributes["connection"]`; a developer
running `alembic` by hand gets the same database todo would use (the direct endpoint on Neon).
SQLite runs in batch mode, since it cannot ALTER most things in place. On PostgreSQL an advisory
lock, held for the migration transaction, makes concurrent `todo db migrate` runs (parallel CI
jobs) queue up: the second one then finds the schema at head and does nothing.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from todo_cli import models

MIGRATION_LOCK_ID = 0x746F646F  # "todo"

config = context.config
target_metadata = models.SQLModel.metadata


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        compare_server_default=True,
        include_object=models.include_object,
        **kwargs,  # type: ignore[arg-type]
    )


def run_offline() -> None:
    url = config.attributes.get("url")
    if url is None:
        from todo_cli.config import resolve_direct_database

        url = resolve_direct_database(None).url
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_with(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})")
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_with(connection)
        return
    from todo_cli.config import resolve_direct_database
    from todo_cli.db import make_engine

    engine = make_engine(resolve_direct_database(None), fast=False)
    with engine.connect() as conn:
        _run_with(conn)
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
