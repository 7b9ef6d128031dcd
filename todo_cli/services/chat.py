"""Conversations and messages: every query and transaction behind `todo chat`.

Each conversation keeps its own `message_count` and `updated_at` (last activity), updated in
the same statement or transaction as every message insert, so `chat list` reads one row per
conversation and never counts messages. A conversation of another user reads exactly like one
that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, literal, select, update
from sqlmodel import Session, col

from todo_cli.db import insert_for, new_request_key
from todo_cli.errors import BadInput, NotFound
from todo_cli.models import HAS_REQUEST_KEY, Conversation, Message
from todo_cli.schemas import (
    ConversationCreate,
    ConversationImport,
    ConversationPublic,
    MessageCreate,
    MessagePublic,
    Page,
)
from todo_cli.services import retry
from todo_cli.services.retry import retrying
from todo_cli.services.runtime import Runtime
from todo_cli.services.users import as_current_user, current_user_id
from todo_cli.types import utcnow

MAX_PAGE_SIZE = 500
PREVIEW_CHARS = 80


def check_page(page: int, page_size: int) -> None:
    if page < 1:
        raise BadInput(f"page must be 1 or more (got {page})")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise BadInput(f"page size must be between 1 and {MAX_PAGE_SIZE} (got {page_size})")


def conv_public(conv: Conversation, preview: str | None = None) -> ConversationPublic:
    return ConversationPublic.model_validate({**conv.model_dump(), "preview": preview})


def msg_public(msg: Message) -> MessagePublic:
    return MessagePublic.model_validate(msg.model_dump())


def missing(conv_id: int) -> NotFound:
    return NotFound(f"no conversation with id {conv_id}")


def check_id(conv_id: int) -> None:
    """An id no row can have (SQLite keys are 64-bit) is simply not found."""
    if not 0 < conv_id < 2**63:
        raise missing(conv_id)


def _own(s: Session, uid: str, conv_id: int) -> Conversation:
    check_id(conv_id)
    conv = s.scalars(
        select(Conversation).where(
            col(Conversation.user_id) == uid, col(Conversation.id) == conv_id
        )
    ).first()
    if conv is None:
        raise missing(conv_id)
    return conv


def new(rt: Runtime, data: ConversationCreate) -> ConversationPublic:
    key = new_request_key()
    return retry.run(rt, lambda: as_current_user(rt, lambda: _new(rt, data, key)))


def _new(rt: Runtime, data: ConversationCreate, key: str) -> ConversationPublic:
    with rt.session(write=True, single=True) as s:
        now = utcnow()
        values = {
            "user_id": current_user_id(rt, s),
            "title": data.title,
            "message_count": 0,
            "created_at": now,
            "updated_at": now,
            "request_key": key,
        }
        stmt = insert_for(s, Conversation).values(values)
        stmt = stmt.on_conflict_do_nothing(
            index_elements=["request_key"], index_where=HAS_REQUEST_KEY
        ).returning(Conversation)
        conv = s.scalars(stmt).first()
        if conv is None:  # an earlier attempt committed before its reply was lost
            conv = s.scalars(select(Conversation).where(col(Conversation.request_key) == key)).one()
        return conv_public(conv)


@retrying
def list_conversations(
    rt: Runtime, page: int = 1, page_size: int = 20, since: datetime | None = None
) -> Page[ConversationPublic]:
    """Conversations by last activity, newest first, each with a preview of its last message,
    and the total: one query for the page (the preview is an indexed lookup per listed row)."""
    check_page(page, page_size)
    with rt.session(single=True) as s:
        where: list[ColumnElement[bool]] = [col(Conversation.user_id) == current_user_id(rt, s)]
        if since is not None:
            where.append(col(Conversation.updated_at) >= since)
        last = (
            select(func.substr(col(Message.content), 1, PREVIEW_CHARS))
            .where(col(Message.conversation_id) == col(Conversation.id))
            .order_by(col(Message.created_at).desc(), col(Message.id).desc())
            .limit(1)
            .correlate(Conversation)
            .scalar_subquery()
        )
        total_q = select(func.count()).select_from(Conversation).where(*where)
        stmt = (
            select(Conversation, last, total_q.scalar_subquery())
            .where(*where)
            .order_by(col(Conversation.updated_at).desc(), col(Conversation.id).desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
        rows = s.execute(stmt).all()
        total = int(rows[0][2]) if rows else int(s.scalar(total_q) or 0) if page > 1 else 0
        items = [conv_public(c, preview or "") for c, preview, _ in rows]
    return Page(items, total, page, page_size)


@retrying
def show(
    rt: Runtime, conv_id: int, page: int = 1, page_size: int = 50, since: datetime | None = None
) -> tuple[ConversationPublic, Page[MessagePublic]]:
    """A conversation and one page of its messages, oldest first."""
    check_page(page, page_size)
    with rt.session() as s:
        conv = _own(s, current_user_id(rt, s), conv_id)
        where: list[ColumnElement[bool]] = [col(Message.conversation_id) == conv_id]
        total = conv.message_count
        if since is not None:
            where.append(col(Message.created_at) >= since)
            total = int(s.scalar(select(func.count()).select_from(Message).where(*where)) or 0)
        msgs = s.scalars(
            select(Message)
            .where(*where)
            .order_by(col(Message.created_at), col(Message.id))
            .limit(page_size)
            .offset((page - 1) * page_size)
        ).all()
        return conv_public(conv), Page([msg_public(m) for m in msgs], total, page, page_size)


def say(rt: Runtime, conv_id: int, data: MessageCreate) -> MessagePublic:
    """Add a message; the conversation's last activity and count move with it, atomically.

    On PostgreSQL it is one statement (an UPDATE ... RETURNING feeding an INSERT): one round
    trip. The request key makes a retried `say` find its message instead of adding it twice,
    and the UPDATE only counts a message that is not there yet.
    """
    check_id(conv_id)
    key = new_request_key()
    return retry.run(rt, lambda: _say(rt, conv_id, data, key))


def _say(rt: Runtime, conv_id: int, data: MessageCreate, key: str) -> MessagePublic:
    now = utcnow()
    with rt.session(write=True, single=True) as s:
        uid = current_user_id(rt, s)
        already = select(col(Message.id)).where(col(Message.request_key) == key).exists()
        bump = (
            update(Conversation)
            .where(col(Conversation.id) == conv_id, col(Conversation.user_id) == uid, ~already)
            .values(message_count=col(Conversation.message_count) + 1, updated_at=now)
            .returning(col(Conversation.id))
        )
        cols = ["conversation_id", "user_id", "role", "content", "created_at", "request_key"]
        if s.get_bind().dialect.name == "postgresql":
            c = bump.cte("bumped")
            consts: list[Any] = [literal(uid), literal(data.role), literal(data.content)]
            values = select(c.c.id, *consts, literal(now), literal(key))
            stmt = insert(Message).from_select(cols, values).returning(Message)
            msg = s.scalars(stmt).first()
        else:  # SQLite: no DML in CTEs, but the transaction is local and cheap
            msg = None
            if s.execute(bump).first() is not None:
                row = {"conversation_id": conv_id, "user_id": uid, "created_at": now}
                ins = insert(Message).values(**row, **data.model_dump(), request_key=key)
                msg = s.scalars(ins.returning(Message)).one()
        if msg is None:
            msg = s.scalars(select(Message).where(col(Message.request_key) == key)).first()
        if msg is None:
            raise missing(conv_id)
        return msg_public(msg)


@retrying
def rename(rt: Runtime, conv_id: int, data: ConversationCreate) -> ConversationPublic:
    check_id(conv_id)
    with rt.session(write=True, single=True) as s:
        stmt = (
            update(Conversation)
            .where(
                col(Conversation.id) == conv_id, col(Conversation.user_id) == current_user_id(rt, s)
            )
            .values(title=data.title)
            .returning(Conversation)
        )
        conv = s.scalars(stmt).first()
        if conv is None:
            raise missing(conv_id)
        return conv_public(conv)


@retrying
def get(rt: Runtime, conv_id: int) -> ConversationPublic:
    with rt.session(single=True) as s:
        return conv_public(_own(s, current_user_id(rt, s), conv_id))


@retrying
def delete_conversation(rt: Runtime, conv_id: int) -> ConversationPublic:
    """Delete a conversation and its messages (they cascade) in one statement."""
    check_id(conv_id)
    with rt.session(write=True, single=True) as s:
        stmt = (
            delete(Conversation)
            .where(
                col(Conversation.id) == conv_id, col(Conversation.user_id) == current_user_id(rt, s)
            )
            .returning(Conversation)
        )
        conv = s.scalars(stmt).first()
        if conv is None:
            raise missing(conv_id)
        return conv_public(conv)


def export_messages(
    rt: Runtime, conv_id: int
) -> tuple[ConversationPublic, Iterator[MessagePublic]]:
    """The conversation and an iterator that streams its messages, oldest first.

    The caller must exhaust the iterator; the database session stays open until then.
    """
    conv = get(rt, conv_id)

    def stream() -> Iterator[MessagePublic]:
        with rt.session() as s:
            stmt = (
                select(Message)
                .where(col(Message.conversation_id) == conv_id)
                .order_by(col(Message.created_at), col(Message.id))
                .execution_options(yield_per=1000)
            )
            for msg in s.scalars(stmt):
                yield msg_public(msg)

    return conv, stream()


def import_conversation(rt: Runtime, data: ConversationImport) -> ConversationPublic:
    """A new conversation holding all the messages, in one transaction: all or nothing.

    The conversation carries the request key; if a retry finds it, the first attempt's
    transaction committed as a whole and there is nothing left to do.
    """
    key = new_request_key()
    return retry.run(rt, lambda: as_current_user(rt, lambda: _import(rt, data, key)))


def _import(rt: Runtime, data: ConversationImport, key: str) -> ConversationPublic:
    now = utcnow()
    with rt.session(write=True) as s:
        done = s.scalars(select(Conversation).where(col(Conversation.request_key) == key)).first()
        if done is not None:
            return conv_public(done)
        uid = current_user_id(rt, s)
        count = len(data.messages)
        conv = Conversation(
            user_id=uid,
            title=data.title,
            message_count=count,
            created_at=now,
            updated_at=now,
            request_key=key,
        )
        s.add(conv)
        s.flush()
        rows = [
            {"conversation_id": conv.id, "user_id": uid, "created_at": now, **m.model_dump()}
            for m in data.messages
        ]
        for start in range(0, len(rows), 2000):
            s.execute(insert(Message), rows[start : start + 2000])
        return conv_public(conv)
