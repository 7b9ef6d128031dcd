"""Alembic environment: URL from todo's config, metadata from todo's models.

`todo db migrate` passes a ready connection in `config.attributes["connection"]`; a developer
running `alembic` by hand gets the same database todo would use (the direct endpoint on Neon).
SQLite runs in batch mode, since it cannot ALTER most things in place, and a whole run is one
transaction there. On PostgreSQL a session advisory lock, held for the whole run, makes
concurrent `todo db migrate` runs (parallel CI jobs) queue up: the second one then finds the
schema at head and does nothing. Each revision commits on its own there, so a failing
revision leaves the database at the last good one.

The lock needs a session that stays on one server backend, which a transaction-mode pooler
(PgBouncer, Neon's `-pooler`) does not give: `migration_lock` refuses such a connection
before taking the lock, and each revision checks, inside its own transaction, that its backend
holds the lock.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from todo_cli import ddl
from todo_cli.services.database.lock import check_holds_lock, migration_lock

config = context.config
target_metadata = ddl.ddl_metadata()


def _record(ctx: Any, step: Any, heads: object, run_args: object) -> None:
    """Note each revision this run applied, so `todo db migrate` reports what it did itself,
    and (PostgreSQL) check that this revision ran on the backend holding the lock."""
    if not context.is_offline_mode() and ctx.connection.dialect.name == "postgresql":
        check_holds_lock(ctx.connection)
    applied = config.attributes.setdefault("applied", [])
    applied.append(
        (
            ",".join(step.source_revision_ids) or None,
            ",".join(step.destination_revision_ids) or None,
        )
    )


def _configure(**kwargs: object) -> None:
    context.configure(
        on_version_apply=_record,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        compare_server_default=True,
        include_object=ddl.include_object,
        **kwargs,  # type: ignore[arg-type]
    )


def run_offline() -> None:
    url = config.attributes.get("url")
    if url is None:
        from todo_cli.config import Settings, resolve_direct_database

        url = resolve_direct_database(None, Settings.load()).url
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_with(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        # SQLite: the whole run is one transaction (BEGIN IMMEDIATE, see todo_cli.db), so a
        # concurrent run (`todo db migrate` beside a command migrating the file itself) waits
        # and then finds the schema at head, and a failed revision rolls back the whole run.
        # Alembic takes SQLite's DDL for non-transactional and would commit each revision on
        # its own, letting the other run in between with a stale head ("expected to match one
        # row when updating ..."); a transaction begun before it is configured it leaves alone.
        with connection.begin():
            _configure(connection=connection)
            context.run_migrations()
        return
    # PostgreSQL: each revision commits on its own, so a failure leaves the database at the last
    # good revision; the lock serialises concurrent runs.
    timeout = float(config.attributes.get("lock_timeout", 60.0))
    waiting = config.attributes.get("on_wait")
    with migration_lock(connection, timeout, waiting):
        try:
            _configure(connection=connection, transaction_per_migration=True)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if connection.in_transaction():
                connection.rollback()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_with(connection)
        return
    from todo_cli.config import Settings, resolve_direct_database
    from todo_cli.services.runtime import Runtime

    rt = Runtime()
    engine = rt.make_engine(resolve_direct_database(None, Settings.load()), fast=False)
    with engine.connect() as conn:
        _run_with(conn)
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
