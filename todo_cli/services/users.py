"""Who the current user is, by the precedence of CLI.md:
--user > TODO_USER > the user saved by `todo user use` > a local user from the OS login name.

The resolved id is cached per database in the data dir, so everyday commands against Neon do
not spend a round trip on it. A cached id that no longer exists is caught where it matters
(an insert's foreign key fails), the cache entry is dropped, and the next command resolves again.
"""

from __future__ import annotations

import getpass
import re

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from todo_cli import state
from todo_cli.errors import NotFound
from todo_cli.models import User
from todo_cli.services.runtime import Runtime
from todo_cli.types import utcnow


def local_identity() -> tuple[str, str]:
    """The id and email of the local user: the OS login name, `<login>@localhost`."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "me"
    uid = re.sub(r"[^a-z0-9._-]+", "-", login.lower()).strip("-")[:64] or "me"
    return uid, f"{uid}@localhost"


def _hint(rt: Runtime) -> str | None:
    return rt.user_hint or state.saved_user(rt.target.key)


def current_user_id(rt: Runtime, session: Session) -> str:
    """The current user's id, from the cache when we have seen it before."""
    hint = _hint(rt)
    cache_name = f"user:{hint or ''}"
    cached = state.cache_get(rt.target.key, cache_name)
    if isinstance(cached, str):
        return cached
    uid = find_user(session, hint) if hint else _ensure_local_user(session)
    state.cache_set(rt.target.key, **{cache_name: uid})
    return uid


def forget_current_user(rt: Runtime) -> None:
    state.cache_clear(rt.target.key)


def find_user(session: Session, id_or_email: str) -> str:
    """The id of the user with this id or email (emails compare without case)."""
    row = session.execute(
        select(User.id).where(  # type: ignore[call-overload]
            or_(col(User.id) == id_or_email, col(User.email) == func.lower(id_or_email))
        )
    ).first()
    if row is None:
        raise NotFound(f"no user {id_or_email!r}; create it with: todo user add EMAIL")
    return str(row[0])


def _ensure_local_user(session: Session) -> str:
    """Create the local user on first use, in one statement that also returns an existing one.

    Two processes doing this at once both succeed: the upsert is atomic on the email.
    """
    uid, email = local_identity()
    values = {"id": uid, "email": email, "name": uid, "created_at": utcnow()}
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    ins = insert(User).values(values)
    upsert = ins.on_conflict_do_update(
        index_elements=["email"], set_={"email": ins.excluded.email}
    ).returning(col(User.id))
    return str(session.execute(upsert).scalar_one())
