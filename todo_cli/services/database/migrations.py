"""`todo db migrate`, `downgrade`, `current` and `history`, through Alembic's command API.

On PostgreSQL these run against the direct endpoint (`Runtime.admin_target`), because Neon's
pooler drops the advisory lock they hold (see `lock.py`). A downgrade says first what it would
drop (`drops`): each revision declares the tables and columns its downgrade removes, and a
test checks the declarations against what the downgrade really does.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from todo_cli.config import DatabaseTarget
from todo_cli.errors import BadInput, TodoError
from todo_cli.services.database.lock import NotASession
from todo_cli.services.database.schema import (
    alembic_config,
    current_revision,
    migration_connection,
)
from todo_cli.services.runtime import Runtime

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory


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


@dataclass(frozen=True)
class Loss:
    """Something a downgrade would drop that holds data: a table's rows or a column's values."""

    what: str  # `tasks` or `tasks.request_key`
    rows: int


def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = _script().get_current_head()
    assert head is not None
    return head


def migrate(
    rt: Runtime,
    revision: str = "head",
    *,
    lock_timeout: float = 60.0,
    on_wait: Callable[[str], None] | None = None,
) -> MigrationResult:
    """Upgrade to `revision`. Running it again at head changes nothing."""
    return _move(rt, revision, upgrade=True, lock_timeout=lock_timeout, on_wait=on_wait)


def downgrade(
    rt: Runtime,
    revision: str,
    *,
    lock_timeout: float = 60.0,
    on_wait: Callable[[str], None] | None = None,
) -> MigrationResult:
    """Downgrade to `revision` (`base` removes every table)."""
    return _move(rt, revision, upgrade=False, lock_timeout=lock_timeout, on_wait=on_wait)


def _move(
    rt: Runtime,
    revision: str,
    *,
    upgrade: bool,
    lock_timeout: float,
    on_wait: Callable[[str], None] | None,
) -> MigrationResult:
    from alembic import command
    from alembic.util import CommandError
    from sqlalchemy import exc

    from todo_cli import datadir
    from todo_cli.db_errors import translate_errors

    target = rt.admin_target()
    head = head_revision()
    engine = rt.make_engine(target, fast=False)
    try:
        with translate_errors(target):
            before = current_revision(engine)
            steps: list[tuple[str | None, str | None]] = []
            try:
                with migration_connection(engine) as cfg:
                    cfg.attributes.update(applied=steps, lock_timeout=lock_timeout)
                    cfg.attributes["on_wait"] = on_wait
                    if upgrade:
                        command.upgrade(cfg, revision)
                    else:
                        command.downgrade(cfg, revision)
            except CommandError as e:
                raise BadInput(f"cannot migrate to {revision!r}: {e}") from None
            except NotASession as e:
                now = current_revision(engine)
                if now != before:  # found out between two revisions, each under the lock
                    e.message += f" (the database is left at revision {now or '(none)'})"
                raise
            except exc.DBAPIError as e:
                if getattr(e, "connection_invalidated", False) or isinstance(
                    e, exc.OperationalError
                ):
                    raise  # unreachable or cut off: translate_errors says so
                now = current_revision(engine)
                reason = str(e.orig).strip().splitlines()[0] if e.orig else str(e)
                raise TodoError(
                    f"migration failed: {reason}; the database is left at revision "
                    f"{now or '(none)'} (the failed revision was rolled back)"
                ) from e
            after = current_revision(engine)
    finally:
        engine.dispose()
    if target.backend == "postgresql":
        datadir.cache_drop(target.key, "schema")
    if steps:  # another run may have moved the schema while we waited for its lock
        before = steps[0][0]
    return MigrationResult(before=before, after=after, head=head, steps=len(steps))


def drops(rt: Runtime, revision: str) -> list[Loss]:
    """What downgrading to `revision` would drop that holds data, with its rows: the tables
    and columns each revision on the way down declares in its `DROPS`."""
    from alembic.util import CommandError
    from sqlalchemy import inspect, text

    from todo_cli.db_errors import translate_errors

    target = rt.admin_target()
    engine = rt.make_engine(target, fast=False)
    try:
        with translate_errors(target):
            current = current_revision(engine)
            if current is None:
                return []
            try:
                revisions = list(_script().iterate_revisions(current, revision))
            except CommandError as e:
                raise BadInput(f"cannot downgrade to {revision!r}: {e}") from None
            declared = dict.fromkeys(
                name for r in revisions if r.revision != revision for name in _declared(r.module)
            )
            # Tables first; a column of a table that goes too is not worth naming.
            gone = {name for name in declared if "." not in name}
            declared = dict.fromkeys(
                [*sorted(gone, key=list(declared).index)]
                + [n for n in declared if "." in n and n.partition(".")[0] not in gone]
            )
            losses = []
            with engine.connect() as conn:
                tables = set(inspect(conn).get_table_names())
                for name in declared:
                    table, _, column = name.partition(".")
                    if table not in tables:
                        continue
                    where = f" WHERE {column} IS NOT NULL" if column else ""
                    rows = conn.execute(text(f"SELECT count(*) FROM {table}{where}")).scalar()
                    if rows:
                        losses.append(Loss(name, int(rows)))
                conn.rollback()
            return losses
    finally:
        engine.dispose()


def _declared(module: object) -> tuple[str, ...]:
    return tuple(getattr(module, "DROPS", ()))


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


def current(rt: Runtime) -> MigrationResult:
    """The revision the database is at, and the head this code expects."""
    from todo_cli.db_errors import translate_errors

    target = rt.admin_target()
    engine = rt.make_engine(target)  # a read: the fast dialect's connect is enough
    try:
        with translate_errors(target):
            rev = current_revision(engine)
    finally:
        engine.dispose()
    return MigrationResult(before=rev, after=rev, head=head_revision())


def history(rt: Runtime | None = None) -> list[Revision]:
    """Every revision, newest first; `is_current` is set when a database is given."""
    script = _script()
    cur = current(rt).after if rt is not None else None
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
