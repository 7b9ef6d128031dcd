"""Conversations and messages: every query and transaction behind `todo chat`.

Each conversation keeps its own `message_count` and `updated_at` (last activity), updated in
the same statement or transaction as every message insert, so `chat list` reads one row per
conversation and never counts messages. A conversation of another user reads exactly like one
that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, literal, select, update
from sqlmodel import col

from todo_cli.errors import NotFound
from todo_cli.models import Conversation, Message
from todo_cli.rules import check_page, row_id
from todo_cli.schemas import (
    ConversationCreate,
    ConversationImport,
    ConversationPublic,
    MessageCreate,
    MessagePublic,
    Page,
)
from todo_cli.services.paging import user_page
from todo_cli.services.work import Work, unit_of_work
from todo_cli.when import utcnow

PREVIEW_CHARS = 80
CHECK = "todo chat list"  # shows whether a lost write got applied


def conv_public(conv: Conversation, preview: str | None = None) -> ConversationPublic:
    return ConversationPublic.model_validate({**conv.model_dump(), "preview": preview})


def msg_public(msg: Message) -> MessagePublic:
    return MessagePublic.model_validate(msg.model_dump())


def _id(conv_id: int) -> int:
    return row_id(conv_id, f"no conversation with id {conv_id}")


def _mine(w: Work, conv_id: int) -> list[ColumnElement[bool]]:
    return [col(Conversation.user_id) == w.me, col(Conversation.id) == _id(conv_id)]


def _missing(w: Work, conv_id: int) -> NotFound:
    w.check_user()
    return NotFound(f"no conversation with id {conv_id}")


def _own(w: Work, conv_id: int) -> Conversation:
    conv = w.session.scalars(select(Conversation).where(*_mine(w, conv_id))).first()
    if conv is None:
        raise _missing(w, conv_id)
    return conv


@unit_of_work(write=True, one_statement=True, check=CHECK)
def new(w: Work, data: ConversationCreate) -> ConversationPublic:
    now = utcnow()
    values = {"title": data.title, "message_count": 0, "created_at": now, "updated_at": now}
    return conv_public(w.insert_once(Conversation, values))


@unit_of_work(one_statement=True)
def list_conversations(
    w: Work, page: int = 1, page_size: int = 20, since: datetime | None = None
) -> Page[ConversationPublic]:
    """Conversations by last activity, newest first, each with a preview of its last message,
    and the total: one statement (the preview is an indexed lookup per listed row)."""
    where: list[ColumnElement[bool]] = [col(Conversation.user_id) == w.me]
    if since is not None:
        where.append(col(Conversation.updated_at) >= since)
    last = (
        select(func.substr(col(Message.content), 1, PREVIEW_CHARS))
        .where(col(Message.conversation_id) == col(Conversation.id))
        .order_by(col(Message.created_at).desc(), col(Message.id).desc())
        .limit(1)
        .correlate(Conversation)
        .scalar_subquery()
        .label("preview")
    )
    order = [col(Conversation.updated_at).desc(), col(Conversation.id).desc()]
    rows, total = user_page(w, Conversation, where, order, page, page_size, last)
    items = [conv_public(c, str(preview or "")) for c, preview in rows]
    return Page(items, total, page, page_size)


@unit_of_work()
def show(
    w: Work, conv_id: int, page: int = 1, page_size: int = 50, since: datetime | None = None
) -> tuple[ConversationPublic, Page[MessagePublic]]:
    """A conversation and one page of its messages, oldest first."""
    check_page(page, page_size)
    conv = _own(w, conv_id)
    where: list[ColumnElement[bool]] = [col(Message.conversation_id) == conv_id]
    total = conv.message_count
    if since is not None:
        where.append(col(Message.created_at) >= since)
        total = int(w.session.scalar(select(func.count()).select_from(Message).where(*where)) or 0)
    msgs = w.session.scalars(
        select(Message)
        .where(*where)
        .order_by(col(Message.created_at), col(Message.id))
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    return conv_public(conv), Page([msg_public(m) for m in msgs], total, page, page_size)


@unit_of_work(write=True, one_statement=True, check=CHECK)
def say(w: Work, conv_id: int, data: MessageCreate) -> MessagePublic:
    """Add a message; the conversation's last activity and count move with it, atomically.

    On PostgreSQL it is one statement (an UPDATE ... RETURNING feeding an INSERT): one round
    trip. The request key makes a retried `say` find its message instead of adding it twice,
    and the UPDATE only counts a message that is not there yet.
    """
    now, key, s = utcnow(), w.request_key, w.session
    already = select(col(Message.id)).where(col(Message.request_key) == key).exists()
    bump = (
        update(Conversation)
        .where(*_mine(w, conv_id), ~already)
        .values(message_count=col(Conversation.message_count) + 1, updated_at=now)
        .returning(col(Conversation.id), col(Conversation.user_id))
    )
    cols = ["conversation_id", "user_id", "role", "content", "created_at", "request_key"]
    if w.dialect == "postgresql":
        c = bump.cte("bumped")
        consts: list[Any] = [literal(data.role.value), literal(data.content)]
        values = select(c.c.id, c.c.user_id, *consts, literal(now), literal(key))
        msg = s.scalars(insert(Message).from_select(cols, values).returning(Message)).first()
    else:  # SQLite: no DML in CTEs, but the transaction is local and cheap
        msg = None
        bumped = s.execute(bump).first()
        if bumped is not None:
            row = {"conversation_id": conv_id, "user_id": bumped[1], "created_at": now}
            ins = insert(Message).values(**row, **data.model_dump(), request_key=key)
            msg = s.scalars(ins.returning(Message)).one()
    if msg is None:
        msg = s.scalars(select(Message).where(col(Message.request_key) == key)).first()
    if msg is None:
        raise _missing(w, conv_id)
    return msg_public(msg)


@unit_of_work(write=True, one_statement=True, check=CHECK)
def rename(w: Work, conv_id: int, data: ConversationCreate) -> ConversationPublic:
    stmt = (
        update(Conversation)
        .where(*_mine(w, conv_id))
        .values(title=data.title)
        .returning(Conversation)
    )
    conv = w.session.scalars(stmt).first()
    if conv is None:
        raise _missing(w, conv_id)
    return conv_public(conv)


@unit_of_work(one_statement=True)
def get(w: Work, conv_id: int) -> ConversationPublic:
    return conv_public(_own(w, conv_id))


@unit_of_work(write=True, one_statement=True, check=CHECK)
def delete_conversation(w: Work, conv_id: int) -> ConversationPublic:
    """Delete a conversation and its messages (they cascade) in one statement."""
    stmt = delete(Conversation).where(*_mine(w, conv_id)).returning(Conversation)
    conv = w.session.scalars(stmt).first()
    if conv is None:
        raise _missing(w, conv_id)
    return conv_public(conv)


@unit_of_work()
def export_messages(
    w: Work, conv_id: int, write: Callable[[ConversationPublic, list[MessagePublic]], None]
) -> ConversationPublic:
    """Hand the conversation and its messages, oldest first, 1,000 at a time, to `write`
    (first call: the conversation with the first batch, perhaps empty)."""
    conv = conv_public(_own(w, conv_id))
    stmt = (
        select(Message)
        .where(col(Message.conversation_id) == conv_id)
        .order_by(col(Message.created_at), col(Message.id))
        .execution_options(yield_per=1000)
    )
    w.output_started()
    write(conv, [])
    for part in w.session.scalars(stmt).partitions():
        write(conv, [msg_public(m) for m in part])
    return conv


@unit_of_work(write=True, check=CHECK)
def import_conversation(w: Work, data: ConversationImport) -> ConversationPublic:
    """A new conversation holding all the messages, in one transaction: all or nothing.

    The conversation carries the request key; if a retry finds it, the first attempt's
    transaction committed as a whole and there is nothing left to do.
    """
    now, s, key = utcnow(), w.session, w.request_key
    done = s.scalars(select(Conversation).where(col(Conversation.request_key) == key)).first()
    if done is not None:
        return conv_public(done)
    uid = w.user_id()
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
