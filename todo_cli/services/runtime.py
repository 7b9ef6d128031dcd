"""The per-command runtime: settings, which database, which user, and the engines, made lazily.

The CLI builds one `Runtime` from its global options and hands it to a service function. The
service asks it for a transaction (through `services.work`); the first one checks the schema
revision (the embedded SQLite database migrates itself, PostgreSQL must be at head) and
remembers a good result in the data-dir cache, so that everyday commands against Neon skip
that round trip. A statement that meets another schema makes it look again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from todo_cli.completion import Seen
from todo_cli.config import DatabaseTarget, Settings, resolve_database, resolve_direct_database
from todo_cli.errors import NotMigrated

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from todo_cli.profiling import Profile

# SQLSTATEs that mean "the schema is not what the code expects".
_SCHEMA_SQLSTATES = {"42P01", "42703"}  # undefined_table, undefined_column
FIRST_CONNECT_TIMEOUT = 2  # seconds; libpq's minimum


class Runtime:
    def __init__(
        self,
        database_url: str | None = None,
        user: str | None = None,
        *,
        cwd: Path | None = None,
        profile: Profile | None = None,
    ) -> None:
        self._database_url = database_url
        self.user_hint = user
        self.profile = profile  # set by --profile
        self._cwd = cwd
        self._settings: Settings | None = None
        self._target: DatabaseTarget | None = None
        self._engine: Engine | None = None
        self._schema_checked = False
        self._connects = 0
        self.deadline: float | None = None  # monotonic time the retry budget ends (retry.run)
        self.seen = Seen()  # tasks and conversations the services returned, for completion

    @property
    def database_choice(self) -> str | None:
        """The database URL as given (option, environment or .env), not yet resolved."""
        return self._database_url or self.settings.database_url

    @property
    def cwd(self) -> Path:
        return self._cwd or Path.cwd()

    def remember(self) -> None:
        """Keep what this run's commands read or changed for shell completion."""
        import contextlib

        from todo_cli.completion import runtime_key
        from todo_cli.errors import TodoError

        with contextlib.suppress(TodoError, OSError):  # a hint; a bad setting was reported
            self.seen.save(runtime_key(self))

    @property
    def settings(self) -> Settings:
        """Read (and checked) on first use, so `todo --help` never reads `.env`."""
        if self._settings is None:
            self._settings = Settings.load(cwd=self._cwd)
        return self._settings

    @property
    def target(self) -> DatabaseTarget:
        if self._target is None:
            self._target = resolve_database(self._database_url, self.settings)
        return self._target

    @property
    def resolved_target(self) -> DatabaseTarget | None:
        """The database, if this run got as far as resolving it (else None)."""
        return self._target

    def admin_target(self) -> DatabaseTarget:
        """The database for migrations: Neon's direct endpoint rather than its pooler."""
        return resolve_direct_database(self._database_url, self.settings)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = self.make_engine(self.target)
        return self._engine

    def make_engine(self, target: DatabaseTarget, *, fast: bool = True) -> Engine:
        """An engine for `target` with this command's connect timeouts and profiling (the
        command server's spare worker may have connected it already: todo_cli/prepared.py)."""
        from todo_cli import prepared
        from todo_cli.db import make_engine

        ready = prepared.take(
            target,
            fast=fast,
            profile=self.profile,
            slow_ms=self.settings.slow_ms,
            connect_timeout=self.next_connect_timeout,
        )
        if ready is not None:
            return ready

        return make_engine(
            target,
            connect_timeout=self.next_connect_timeout,
            fast=fast,
            profile=self.profile,
            slow_ms=self.settings.slow_ms,
        )

    def next_connect_timeout(self) -> int:
        """Seconds the next connection attempt may take: 2, then 4, 8 ... up to
        TODO_CONNECT_TIMEOUT, and never (much) past the retry budget. A server that accepts
        and then says nothing costs a short first attempt, not the whole budget."""
        self._connects += 1
        cap = self.settings.connect_timeout
        seconds: int = min(FIRST_CONNECT_TIMEOUT << (self._connects - 1), cap)
        if self.deadline is not None:
            seconds = min(seconds, math.ceil(self.deadline - time.monotonic()))
        return max(FIRST_CONNECT_TIMEOUT, seconds)

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
    def session(self, *, write: bool = False, one_statement: bool = False) -> Iterator[Session]:
        """A transaction on a schema that is at head, with driver errors made into ours.

        Services take it through `services.work.unit_of_work`, which adds the user and retries.
        """
        from sqlalchemy import exc

        from todo_cli.db import session_scope
        from todo_cli.db_errors import translate_errors

        with translate_errors(self.target):
            self.ensure_schema()
            try:
                with session_scope(self.engine, write=write, one_statement=one_statement) as s:
                    yield s
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
        from todo_cli import datadir
        from todo_cli.models import SCHEMA_HEAD
        from todo_cli.services.database import schema

        target = self.target
        if (
            target.backend == "postgresql"
            and datadir.cache_get(target.key, "schema") == SCHEMA_HEAD
        ):
            self._schema_checked = True
            return
        current = schema.current_revision(self.engine)
        if current != SCHEMA_HEAD:
            if target.backend != "sqlite":
                raise NotMigrated(current, SCHEMA_HEAD)
            schema.upgrade(self.engine, "head")
        elif target.backend == "postgresql":
            datadir.cache_set(target.key, schema=SCHEMA_HEAD)
        self._schema_checked = True

    def _forget_schema(self) -> None:
        from todo_cli import datadir

        self._schema_checked = False
        datadir.cache_drop(self.target.key, "schema")

    def _schema_error(self, e: Exception) -> bool:
        orig = getattr(e, "orig", None)
        if getattr(orig, "pgcode", None) in _SCHEMA_SQLSTATES:
            return True
        msg = str(orig)
        return self.target.backend == "sqlite" and (
            "no such table" in msg or "no such column" in msg
        )
