"""The people whose tasks and chats share a database: `todo user ...`.

Which user a command acts as is decided in `services.work` (by key, inside every statement);
here are the commands that add, list, choose and delete users.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from todo_cli import completion, datadir
from todo_cli.errors import BadInput, Conflict, NotFound
from todo_cli.models import Conversation, Message, Task, User
from todo_cli.schemas import UserCreate, UserPublic
from todo_cli.services.logins import Login, check_role, drop_login, map_login
from todo_cli.services.runtime import Runtime
from todo_cli.services.work import NoSuchUser, Work, unit_of_work


def find_user(session: Session, id_or_email: str) -> User:
    """The user with this id or email (emails compare without case)."""
    user = session.scalars(
        select(User).where(
            or_(col(User.id) == id_or_email, col(User.email) == func.lower(id_or_email))
        )
    ).first()
    if user is None:
        raise NotFound(f"no user {id_or_email!r}; create it with: todo user add EMAIL")
    return user


def _public(user: User) -> UserPublic:
    return UserPublic.model_validate(user.model_dump())


@unit_of_work(write=True, one_statement=True, check="todo user list")
def add_user(w: Work, data: UserCreate) -> UserPublic:
    """Create a user; an email already in use (compared without case) is a conflict."""
    user = User(id=data.id or uuid.uuid4().hex[:12], email=data.email, name=data.name)
    try:
        w.session.add(user)
        w.session.flush()
    except IntegrityError:
        also = f" or id {data.id!r}" if data.id else ""
        raise Conflict(f"a user with email {data.email!r}{also} already exists") from None
    return _public(user)


@dataclass(frozen=True)
class Added:
    user: UserPublic
    login: Login
    database_url: str  # the database as the new role connects to it (password included)


@unit_of_work(write=True, check="todo user list")
def add_user_with_login(w: Work, data: UserCreate, role: str, password: str | None) -> Added:
    """Create the user (or take the one with this email) and map a PostgreSQL login role to
    it (`todo user add --login`): that role then sees and changes only this user's rows."""
    if w.dialect != "postgresql":
        raise BadInput("--login needs a PostgreSQL database (a SQLite file has one user)")
    check_role(role)
    user = w.session.scalars(select(User).where(col(User.email) == data.email)).first()
    if user is None:
        user = User(id=data.id or uuid.uuid4().hex[:12], email=data.email, name=data.name)
        try:
            with w.session.begin_nested():
                w.session.add(user)
                w.session.flush()
        except IntegrityError:
            raise Conflict(f"a user with id {data.id!r} already exists") from None
    login = map_login(w.session, user.id, role, password)
    url = w.rt.target.url.set(drivername="postgresql", username=role, password=login.password)
    return Added(_public(user), login, url.render_as_string(hide_password=False))


@unit_of_work(one_statement=True)
def list_users(w: Work) -> list[UserPublic]:
    rows = w.session.scalars(select(User).order_by(col(User.created_at), col(User.id))).all()
    return [_public(u) for u in rows]


@unit_of_work(one_statement=True)
def _lookup(w: Work, id_or_email: str) -> UserPublic:
    return _public(find_user(w.session, id_or_email))


def use_user(rt: Runtime, id_or_email: str) -> UserPublic:
    """Make this user the current one for this database (saved in the data dir, by email: an
    email outlives an id when a user is deleted and added again)."""
    user = _lookup(rt, id_or_email)
    datadir.save_user(rt.target.key, user.email)
    completion.forget(rt)  # the same command line now means another user's tasks
    return user


@unit_of_work(one_statement=True)
def whoami(w: Work) -> UserPublic:
    """The current user (the local user is created on first use)."""
    user = w.session.scalars(select(User).where(col(User.id) == w.me)).first()
    if user is None:
        raise NoSuchUser(w.user)
    return _public(user)


@dataclass(frozen=True)
class Footprint:
    user: UserPublic
    tasks: int
    conversations: int
    messages: int


_OWNED = ((Message, Message.user_id), (Conversation, Conversation.user_id), (Task, Task.user_id))


@unit_of_work()
def footprint(w: Work, id_or_email: str) -> Footprint:
    """What deleting this user would remove, counted in one query."""
    user = find_user(w.session, id_or_email)
    counts = [
        select(func.count()).where(col(owner) == user.id).scalar_subquery()
        for _, owner in reversed(_OWNED)
    ]
    tasks, convs, msgs = w.session.execute(select(*counts)).one()
    return Footprint(_public(user), int(tasks), int(convs), int(msgs))


@unit_of_work(write=True, check="todo user list")
def _delete_user(w: Work, id_or_email: str) -> Footprint:
    user = find_user(w.session, id_or_email)
    msgs, convs, tasks = (
        w.session.execute(delete(table).where(col(owner) == user.id)).rowcount  # type: ignore[attr-defined]
        for table, owner in _OWNED
    )
    if w.dialect == "postgresql":
        drop_login(w.session, user.id)
    w.session.delete(user)
    return Footprint(_public(user), tasks, convs, msgs)


def delete_user(rt: Runtime, id_or_email: str) -> Footprint:
    """Delete the user and everything they own, in one transaction, with their login role
    (`user add --login`); a saved `user use` of them is forgotten."""
    gone = _delete_user(rt, id_or_email)
    if datadir.saved_user(rt.target.key) in (gone.user.id, gone.user.email):
        datadir.clear_user(rt.target.key)
    return gone
