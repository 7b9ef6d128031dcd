"""The user-scoped unit of work: every service function that touches a user's rows is one.

    @unit_of_work(write=True, one_statement=True)
    def complete(w: Work, ids: list[int]) -> list[TaskPublic]:
        ... update(Task).where(col(Task.user_id) == w.me, ...)

The decorated function is called as `complete(rt, ids)`. Each call gets a session (with the
schema checked and driver errors made into ours), the current user, and a request key that
stays the same when the whole unit is retried through a transient fault.

The current user is never looked up ahead and cached: every statement finds it by its key (the
id or email the command was given, or the local login's email) through `w.me`, a subquery, so a
user deleted and added again elsewhere, or another database file with the same name, can never
make a command show or change the wrong rows. A statement that finds no user matches nothing;
the service then asks `w.check_user()` (only on that path) and the command says there is no
such user. The local user is created on first use, and the work run again.
"""

from __future__ import annotations

import functools
import getpass
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.selectable import ScalarSelect
from sqlmodel import Session, col

from todo_cli import datadir
from todo_cli.db import new_request_key
from todo_cli.errors import DatabaseUnavailable, NotFound
from todo_cli.models import User
from todo_cli.services import retry as retrying
from todo_cli.services.runtime import Runtime

P = ParamSpec("P")
R = TypeVar("R")


class NoSuchUser(NotFound):
    """The current user's key matches no user (or, for the local user, not yet)."""

    def __init__(self, key: UserKey) -> None:
        super().__init__(f"no user {key.given!r}; create it with: todo user add EMAIL")
        self.key = key


def local_identity() -> tuple[str, str]:
    """The id and email of the local user: the OS login name, `<login>@localhost`."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "me"
    uid = re.sub(r"[^a-z0-9._-]+", "-", login.lower()).strip("-")[:64] or "me"
    return uid, f"{uid}@localhost"


@dataclass(frozen=True)
class UserKey:
    """How statements find the current user: by id, or by email (ids never contain `@`).

    `mapped`: on PostgreSQL with no user given, the user mapped to the login role
    (`todo user add --login`) comes first, then the local user: `id = COALESCE(<mapped>,
    <local>)`, both uncorrelated subqueries that the planner runs once."""

    given: str  # as the command was given it, for messages
    local: bool = False  # the OS login's own user, created on its first write
    mapped: bool = False

    @property
    def by_email(self) -> bool:
        return "@" in self.given

    def lookup(self) -> Any:
        """`SELECT id FROM users WHERE <key>`: one index probe."""
        if self.mapped:
            return select(col(User.id)).where(col(User.id) == _mapped_or(self.given))
        if self.by_email:
            return select(col(User.id)).where(col(User.email) == self.given.lower())
        return select(col(User.id)).where(col(User.id) == self.given)

    def lookup_sql(self) -> tuple[str, dict[str, str]]:
        """The same lookup for hand-written SQL: its text (binding `:me_key`) and parameters."""
        return f"SELECT id FROM users WHERE {self.where_sql()}", self.params()

    def where_sql(self) -> str:
        """The condition on `users` alone: `email = :me_key` or `id = :me_key`."""
        if self.mapped:
            from todo_cli.services.database.rls import MAPPED_USER

            local = "(SELECT k.id FROM users k WHERE k.email = :me_key)"
            return f"id = COALESCE({MAPPED_USER}, {local})"
        return f"{'email' if self.by_email else 'id'} = :me_key"

    def params(self) -> dict[str, str]:
        return {"me_key": self.given.lower() if self.by_email else self.given}


def _mapped_or(local_email: str) -> Any:
    """`COALESCE(<the user mapped to current_user>, <the user with this email>)`, in SQLAlchemy
    terms: the same as `UserKey.where_sql` (rls.MAPPED_USER) writes out."""
    from sqlalchemy import String, cast, column, table

    from todo_cli.services.database.rls import LOGINS

    logins = table(LOGINS, column("login_role"), column("user_id"))
    mapped = select(logins.c.user_id).where(
        logins.c.login_role == cast(func.current_user(), String)
    )
    k = User.__table__.alias("k")  # type: ignore[attr-defined]
    local = select(k.c.id).where(k.c.email == local_email)
    return func.coalesce(mapped.scalar_subquery(), local.scalar_subquery())


def current_user_key(rt: Runtime) -> UserKey:
    """By the precedence of the command reference: --user > TODO_USER > `todo user use` >
    on PostgreSQL the user mapped to the login role > the local user from the OS login name."""
    hint = rt.user_hint or datadir.saved_user(rt.target.key)
    if hint:
        return UserKey(hint)
    mapped = rt.target.backend == "postgresql"
    return UserKey(local_identity()[1], local=True, mapped=mapped)


@dataclass
class Work:
    """What a unit of work gets: its session, the current user, and its request key."""

    rt: Runtime
    session: Session
    user: UserKey
    request_key: str  # the same in every retry of this call
    attempts: list[int]  # [how many times this call has started its work, this one included]
    _output: list[bool]

    def output_started(self) -> None:
        """From now on this work has had effects that a retry would repeat (it wrote out)."""
        self._output.append(True)

    @property
    def me(self) -> ScalarSelect[str]:
        """The current user's id inside a statement (NULL when there is no such user)."""
        return self.user.lookup().scalar_subquery()  # type: ignore[no-any-return]

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def user_id(self) -> str:
        """The current user's id, looked up now (for work that needs the value itself)."""
        uid = self.session.scalar(self.user.lookup())
        if uid is None:
            raise NoSuchUser(self.user)
        return str(uid)

    def insert_once(self, model: Any, values: dict[str, Any]) -> Any:
        """INSERT one row for the current user and return it, once per request key.

        `INSERT ... SELECT <values> FROM users WHERE <key>`: with no such user nothing is
        inserted (and no id is used up); a retry whose first attempt did commit (its reply
        lost) finds that row by its key instead of adding a second one."""
        from sqlalchemy import literal

        from todo_cli.db import insert_for
        from todo_cli.table_parts import HAS_REQUEST_KEY

        columns = model.__table__.c
        values = {**values, "request_key": self.request_key}
        source = self.user.lookup().add_columns(
            *(literal(v, columns[k].type) for k, v in values.items())
        )
        stmt = insert_for(self.session, model).from_select(["user_id", *values], source)
        stmt = stmt.on_conflict_do_nothing(
            index_elements=["request_key"], index_where=HAS_REQUEST_KEY
        )
        row = self.session.scalars(stmt.returning(model)).first()
        if row is None and self.attempts[0] > 1:  # did an earlier attempt commit?
            row = self.stored(model)
        if row is None:
            raise NoSuchUser(self.user)
        return row

    def stored(self, model: Any) -> Any:
        """The row of `model` that this request key stored (an earlier attempt's), or None."""
        by_key = select(model).where(model.__table__.c.request_key == self.request_key)
        return self.session.scalars(by_key).first()

    def check_user(self) -> None:
        """Raise NoSuchUser if a statement matched nothing because there is no such user."""
        self.user_id()


def unit_of_work(
    *,
    write: bool = False,
    one_statement: bool = False,
    check: str | None = None,
) -> Callable[[Callable[Concatenate[Work, P], R]], Callable[Concatenate[Runtime, P], R]]:
    """Make `fn(w, ...)` into the service function `fn(rt, ...)`: one transaction for the
    current user (`one_statement`: see `db.session_scope`), retried as a whole through
    transient faults, until it calls `w.output_started()`. The local user is created on first
    use and the work run again. `check`: the command that shows whether a write whose
    COMMIT was lost got applied."""

    def wrap(fn: Callable[Concatenate[Work, P], R]) -> Callable[Concatenate[Runtime, P], R]:
        @functools.wraps(fn)
        def service(rt: Runtime, /, *args: P.args, **kwargs: P.kwargs) -> R:
            key = new_request_key()
            output: list[bool] = []  # set once the work has had effects outside the database
            attempts = [0]

            def attempt() -> R:
                user = current_user_key(rt)
                attempts[0] += 1
                with rt.session(write=write, one_statement=one_statement) as s:
                    try:
                        return fn(Work(rt, s, user, key, attempts, output), *args, **kwargs)
                    except IntegrityError as e:
                        if _no_user_id(e):
                            raise NoSuchUser(user) from None
                        raise

            def attempt_as_local_user() -> R:
                try:
                    return attempt()
                except NoSuchUser as e:
                    if not e.key.local:
                        raise
                    ensure_local_user(rt)
                    return attempt()

            try:
                result = retrying.run(rt, attempt_as_local_user, again=lambda: not output)
            except DatabaseUnavailable as e:
                if e.maybe_applied and check:
                    e.message += f": check with `{check}` before running it again"
                raise
            rt.seen.add(result)
            return result

        return service

    return wrap


def _no_user_id(e: IntegrityError) -> bool:
    """An INSERT whose `user_id` subquery found no user (a NOT NULL violation on it)."""
    text = str(e.orig).lower()
    return "user_id" in text and ("not null" in text or "not-null" in text)


def ensure_local_user(rt: Runtime) -> str:
    """Create the local user if it does not exist, in one statement that returns either.

    Two processes doing this at once both succeed: the upsert is atomic on the email.
    """
    from todo_cli.db import insert_for
    from todo_cli.when import utcnow

    uid, email = local_identity()
    with rt.session(write=True, one_statement=True) as s:
        values = {"id": uid, "email": email, "name": uid, "created_at": utcnow()}
        ins = insert_for(s, User).values(values)
        upsert = ins.on_conflict_do_update(
            index_elements=["email"], set_={"email": ins.excluded.email}
        ).returning(col(User.id))
        return str(s.execute(upsert).scalar_one())


def count_of(model: Any, *where: Any) -> ScalarSelect[int]:
    """`(SELECT count(*) FROM model WHERE ...)` as a value inside a statement."""
    return select(func.count()).select_from(model).where(*where).scalar_subquery()
