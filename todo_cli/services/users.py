"""Who the current user is, by the precedence of CLI.md:
--user > TODO_USER > the user saved by `todo user use` > a local user from the OS login name.

The resolved id is cached per database in the data dir, so everyday commands against Neon do
not spend a round trip on it. A cached id that no longer exists is caught where it matters
(an insert's foreign key fails), the cache entry is dropped, and the next command resolves again.
"""

from __future__ import annotations

import getpass
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from todo_cli import state
from todo_cli.db import insert_for
from todo_cli.errors import Conflict, NotFound
from todo_cli.models import Conversation, Message, Task, User
from todo_cli.schemas import UserCreate, UserPublic
from todo_cli.services.retry import retrying
from todo_cli.services.runtime import Runtime
from todo_cli.types import utcnow

R = TypeVar("R")


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


def as_current_user(rt: Runtime, work: Callable[[], R]) -> R:
    """Run a write for the current user; if the cached user was deleted meanwhile (elsewhere,
    or from another data dir), the foreign key fails: resolve the user again, once."""
    try:
        return work()
    except IntegrityError as e:
        if "foreign key" not in str(e.orig).lower():
            raise
        forget_current_user(rt)
        return work()


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
    ins = insert_for(session, User).values(values)
    upsert = ins.on_conflict_do_update(
        index_elements=["email"], set_={"email": ins.excluded.email}
    ).returning(col(User.id))
    return str(session.execute(upsert).scalar_one())


def _public(user: User) -> UserPublic:
    return UserPublic.model_validate(user.model_dump())


def _get(session: Session, id_or_email: str) -> User:
    user = session.get(User, find_user(session, id_or_email))
    assert user is not None
    return user


@retrying
def add_user(rt: Runtime, data: UserCreate) -> UserPublic:
    """Create a user; an email already in use (compared without case) is a conflict."""
    user = User(id=data.id or uuid.uuid4().hex[:12], email=data.email, name=data.name)
    try:
        with rt.session(write=True, single=True) as s:
            s.add(user)
            s.flush()
    except IntegrityError:
        also = f" or id {data.id!r}" if data.id else ""
        raise Conflict(f"a user with email {data.email!r}{also} already exists") from None
    return _public(user)


@retrying
def list_users(rt: Runtime) -> list[UserPublic]:
    with rt.session(single=True) as s:
        rows = s.scalars(select(User).order_by(col(User.created_at), col(User.id))).all()
        return [_public(u) for u in rows]


@retrying
def use_user(rt: Runtime, id_or_email: str) -> UserPublic:
    """Make this user the current one for this database (saved in the data dir)."""
    with rt.session(single=True) as s:
        user = _public(_get(s, id_or_email))
    state.save_user(rt.target.key, user.id)
    state.cache_set(rt.target.key, **{f"user:{user.id}": user.id})
    return user


@retrying
def whoami(rt: Runtime) -> UserPublic:
    with rt.session(single=True) as s:
        uid = current_user_id(rt, s)
        user = s.get(User, uid)
        if user is None:  # the cached id was deleted by someone else
            forget_current_user(rt)
            user = s.get(User, current_user_id(rt, s))
        assert user is not None
        return _public(user)


@dataclass(frozen=True)
class Footprint:
    user: UserPublic
    tasks: int
    conversations: int
    messages: int


@retrying
def footprint(rt: Runtime, id_or_email: str) -> Footprint:
    """What deleting this user would remove, counted in one query."""
    with rt.session(single=True) as s:
        user = _get(s, id_or_email)
        counts = [
            select(func.count()).where(owner == user.id).scalar_subquery()
            for owner in (col(Task.user_id), col(Conversation.user_id), col(Message.user_id))
        ]
        tasks, convs, msgs = s.execute(select(*counts)).one()
        return Footprint(_public(user), int(tasks), int(convs), int(msgs))


@retrying
def delete_user(rt: Runtime, id_or_email: str) -> Footprint:
    """Delete the user and everything they own, in one transaction."""
    with rt.session(write=True) as s:
        user = _get(s, id_or_email)
        counts = [
            s.execute(delete(table).where(owner == user.id)).rowcount  # type: ignore[attr-defined]
            for table, owner in (
                (Message, col(Message.user_id)),
                (Conversation, col(Conversation.user_id)),
                (Task, col(Task.user_id)),
            )
        ]
        s.delete(user)
        result = Footprint(_public(user), counts[2], counts[1], counts[0])
    if state.saved_user(rt.target.key) in (user.id, user.email):
        state.clear_user(rt.target.key)
    forget_current_user(rt)
    return result
