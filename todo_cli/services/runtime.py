"""The per-command runtime: which database, which user, and one engine, all made lazily.

The CLI builds one `Runtime` from its global options and hands it to a service function. The
service asks it for a transaction; the first one checks the schema revision (the embedded SQLite
database migrates itself, PostgreSQL must be at head) and remembers a good result in the
data-dir cache, so that everyday commands against Neon skip that round trip.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from todo_cli.config import DatabaseTarget, resolve_database
from todo_cli.errors import NotMigrated

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlmodel import Session

    from todo_cli.profiling import Profile

# SQLSTATEs that mean "the schema is not what the code expects".
_SCHEMA_SQLSTATES = {"42P01", "42703"}  # undefined_table, undefined_column


class Runtime:
    def __init__(
        self,
        database_url: str | None = None,
        user: str | None = None,
        *,
        echo: bool = False,
    ) -> None:
        self._database_url = database_url
        self.user_hint = user
        self.echo = echo
        self.profile: Profile | None = None  # set by --profile
        self._target: DatabaseTarget | None = None
        self._engine: Engine | None = None
        self._schema_checked = False

    @property
    def target(self) -> DatabaseTarget:
        if self._target is None:
            self._target = resolve_database(self._database_url)
        return self._target

    def admin_target(self) -> DatabaseTarget:
        """The database for migrations: Neon's direct endpoint rather than its pooler."""
        from todo_cli.config import resolve_direct_database

        return resolve_direct_database(self._database_url)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from todo_cli.db import make_engine

            self._engine = make_engine(self.target, echo=self.echo, profile=self.profile)
        return self._engine

    def resolved_password(self) -> str | None:
        """The database password, if the URL was resolved: for scrubbing it from messages."""
        return self._target.password if self._target is not None else None

    def reset_connections(self) -> None:
        """Drop pooled connections (before a retry) and check the schema again."""
        if self._engine is not None:
            self._engine.dispose()
        self._schema_checked = False

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @contextmanager
    def session(self, *, write: bool = False, single: bool = False) -> Iterator[Session]:
        """A transaction on a schema that is at head, with driver errors made into ours.

        `write` takes SQLite's write lock up front; `single` marks one-statement work (see
        `db.session_scope`).
        """
        from sqlalchemy import exc

        from todo_cli.db import session_scope, translate_errors

        with translate_errors(self.target):
            self.ensure_schema()
            try:
                with session_scope(self.engine, write=write, single=single) as session:
                    yield session
            except exc.DBAPIError as e:
                if self._schema_error(e):
                    # The cached "at head" was wrong (someone downgraded): look again.
                    self._forget_schema()
                    self.ensure_schema()
                raise

    def ensure_schema(self) -> None:
        """Raise NotMigrated unless the schema is at head; migrate the SQLite file ourselves."""
        if self._schema_checked:
            return
        from todo_cli import state
        from todo_cli.db import autocommit
        from todo_cli.models import SCHEMA_HEAD

        target = self.target
        if target.backend == "postgresql" and state.cache_get(target.key, "schema") == SCHEMA_HEAD:
            self._schema_checked = True
            return
        with self.engine.connect() as conn, autocommit(conn):  # no BEGIN/ROLLBACK trips
            current = read_revision(conn)
        if current != SCHEMA_HEAD:
            if target.backend != "sqlite":
                raise NotMigrated(current, SCHEMA_HEAD)
            from todo_cli.services.migrations import upgrade_connection

            upgrade_connection(self.engine, "head")
        elif target.backend == "postgresql":
            state.cache_set(target.key, schema=SCHEMA_HEAD)
        self._schema_checked = True

    def _forget_schema(self) -> None:
        from todo_cli import state

        self._schema_checked = False
        state.cache_clear(self.target.key)

    def _schema_error(self, e: Exception) -> bool:
        orig = getattr(e, "orig", None)
        if getattr(orig, "pgcode", None) in _SCHEMA_SQLSTATES:
            return True
        msg = str(orig)
        return self.target.backend == "sqlite" and (
            "no such table" in msg or "no such column" in msg
        )


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
