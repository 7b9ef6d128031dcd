"""Schema migrations through Alembic's command API: upgrade, downgrade, current, history.

The migration scripts live in the top-level `migrations/` of a source checkout and ship inside
the wheel as `todo_cli/_migrations` (see pyproject.toml), so `todo db migrate` works after a
plain `pip install .`. On PostgreSQL these run against the direct endpoint (see
`config.resolve_direct_database`), because Neon's pooler drops the advisory lock they hold.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from todo_cli.config import DatabaseTarget
from todo_cli.errors import BadInput, TodoError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Engine


def migrations_dir() -> Path:
    """Where the migration scripts are: inside the installed package, or in the checkout."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_migrations", here.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise TodoError(f"migration scripts not found next to {here}; reinstall todo")


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    return cfg


@dataclass(frozen=True)
class MigrationResult:
    before: str | None
    after: str | None
    head: str
    steps: int = 0  # revisions this run applied or reverted itself

    @property
    def changed(self) -> bool:
        return self.steps > 0


@dataclass(frozen=True)
class Revision:
    revision: str
    down_revision: str | None
    message: str
    is_head: bool
    is_current: bool


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Config]:
    """A connection ready for Alembic, handed to env.py through the config."""
    cfg = alembic_config()
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # Batch mode rebuilds tables (copy, drop, rename). With foreign keys on, dropping
            # the old table would cascade-delete child rows, so they are off while migrating
            # (this PRAGMA only works outside a transaction) and checked afterwards.
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
            conn.info["todo_write"] = True  # BEGIN IMMEDIATE: concurrent first runs queue up
        cfg.attributes["connection"] = conn
        yield cfg
        if engine.dialect.name == "sqlite":
            bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            conn.rollback()
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]
            if bad:
                raise TodoError(f"migration left {len(bad)} rows with broken foreign keys")


def upgrade_connection(engine: Engine, revision: str) -> None:
    from alembic import command

    with _migration_connection(engine) as cfg:
        command.upgrade(cfg, revision)


def _current(engine: Engine) -> str | None:
    from todo_cli.db import autocommit
    from todo_cli.services.runtime import read_revision

    with engine.connect() as conn, autocommit(conn):
        return read_revision(conn)


def _admin_engine(target: DatabaseTarget) -> Engine:
    from todo_cli.db import make_engine

    return make_engine(target, fast=False)


def migrate(target: DatabaseTarget, revision: str = "head") -> MigrationResult:
    """Upgrade to `revision`. Running it again at head changes nothing."""
    return _move(target, revision, upgrade=True)


def downgrade(target: DatabaseTarget, revision: str) -> MigrationResult:
    """Downgrade to `revision` (`base` removes every table)."""
    return _move(target, revision, upgrade=False)


def _move(target: DatabaseTarget, revision: str, *, upgrade: bool) -> MigrationResult:
    from alembic import command
    from alembic.util import CommandError
    from sqlalchemy import exc

    from todo_cli.db import translate_errors

    head = head_revision()
    engine = _admin_engine(target)
    try:
        with translate_errors(target):
            before = _current(engine)
            steps: list[tuple[str | None, str | None]] = []
            try:
                with _migration_connection(engine) as cfg:
                    cfg.attributes["applied"] = steps
                    if upgrade:
                        command.upgrade(cfg, revision)
                    else:
                        command.downgrade(cfg, revision)
            except CommandError as e:
                raise BadInput(f"cannot migrate to {revision!r}: {e}") from None
            except exc.DBAPIError as e:
                if getattr(e, "connection_invalidated", False) or isinstance(
                    e, exc.OperationalError
                ):
                    raise  # unreachable or cut off: translate_errors says so
                now = _current(engine)
                reason = str(e.orig).strip().splitlines()[0] if e.orig else str(e)
                raise TodoError(
                    f"migration failed: {reason}; the database is left at revision "
                    f"{now or '(none)'} (the failed revision was rolled back)"
                ) from e
            after = _current(engine)
    finally:
        engine.dispose()
    if target.backend == "postgresql":
        from todo_cli import state

        state.cache_clear(target.key)
    if steps:  # another run may have moved the schema while we waited for its lock
        before = steps[0][0]
    return MigrationResult(before=before, after=after, head=head, steps=len(steps))


def sql_script(target: DatabaseTarget, revision: str, *, upgrade: bool) -> str:
    """The SQL a migration would run, for review; the database is not touched.

    A downgrade needs its starting point, so `revision` may be `FROM:TO` (e.g. `head:base`);
    a bare downgrade target starts from head.
    """
    from alembic import command
    from alembic.util import CommandError

    cfg = alembic_config()
    buf = io.StringIO()
    cfg.output_buffer = buf
    cfg.attributes["url"] = target.url
    if not upgrade and ":" not in revision:
        revision = f"head:{revision}"
    try:
        if upgrade:
            command.upgrade(cfg, revision, sql=True)
        else:
            command.downgrade(cfg, revision, sql=True)
    except CommandError as e:
        raise BadInput(f"cannot produce SQL for {revision!r}: {e}") from None
    return buf.getvalue()


def current(target: DatabaseTarget) -> MigrationResult:
    """The revision the database is at, and the head this code expects."""
    from todo_cli.db import make_engine, translate_errors

    engine = make_engine(target)  # a read: the fast dialect's connect is enough
    try:
        with translate_errors(target):
            rev = _current(engine)
    finally:
        engine.dispose()
    return MigrationResult(before=rev, after=rev, head=head_revision())


def history(target: DatabaseTarget | None = None) -> list[Revision]:
    """Every revision, newest first; `is_current` is set when a database is given."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    cur = current(target).after if target is not None else None
    heads = set(script.get_heads())
    return [
        Revision(
            revision=s.revision,
            down_revision=s.down_revision if isinstance(s.down_revision, str) else None,
            message=(s.doc or "").strip(),
            is_head=s.revision in heads,
            is_current=s.revision == cur,
        )
        for s in script.walk_revisions()
    ]
