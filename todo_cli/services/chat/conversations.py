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

from todo_cli.errors import BadInput, NotFound
from todo_cli.models import Conversation, Message
from todo_cli.rules import check_page, row_id
from todo_cli.schemas import (
    ConversationCreate,
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


LAST = "last"  # names the most recently active conversation, wherever an id is taken
ConvRef = int | str  # an id, or LAST


def parse_ref(value: str) -> ConvRef:
    """A conversation as the user named it: a number or `last`; anything else is not found."""
    if value.strip().lower() == LAST:
        return LAST
    try:
        return int(value)
    except ValueError:
        raise BadInput(f"conversation ID must be a number or `last`, not {value!r}") from None


def _mine(w: Work, conv_id: ConvRef) -> list[ColumnElement[bool]]:
    if conv_id == LAST:
        latest = (
            select(col(Conversation.id))
            .where(col(Conversation.user_id) == w.me)
            .order_by(col(Conversation.updated_at).desc(), col(Conversation.id).desc())
            .limit(1)
            .scalar_subquery()
        )
        return [col(Conversation.user_id) == w.me, col(Conversation.id) == latest]
    assert isinstance(conv_id, int)
    missing = f"no conversation with id {conv_id}"
    return [col(Conversation.user_id) == w.me, col(Conversation.id) == row_id(conv_id, missing)]


def _missing(w: Work, conv_id: ConvRef) -> NotFound:
    w.check_user()
    if conv_id == LAST:
        return NotFound("no conversations yet: start one with `todo chat new`")
    return NotFound(f"no conversation with id {conv_id}")


def _own(w: Work, conv_id: ConvRef) -> Conversation:
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
    w: Work, conv_id: ConvRef, page: int = 1, page_size: int = 50, since: datetime | None = None
) -> tuple[ConversationPublic, Page[MessagePublic]]:
    """A conversation and one page of its messages, oldest first."""
    check_page(page, page_size)
    conv = _own(w, conv_id)
    where: list[ColumnElement[bool]] = [col(Message.conversation_id) == conv.id]
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
def say(w: Work, conv_id: ConvRef, data: MessageCreate) -> MessagePublic:
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
    cols = ["conversation_id", "user_id", "role", "content", "model", "created_at", "request_key"]
    if w.dialect == "postgresql":
        c = bump.cte("bumped")
        consts: list[Any] = [literal(data.role.value), literal(data.content)]
        model = literal(data.model, Message.__table__.c.model.type)  # type: ignore[attr-defined]
        values = select(c.c.id, c.c.user_id, *consts, model, literal(now), literal(key))
        msg = s.scalars(insert(Message).from_select(cols, values).returning(Message)).first()
    else:  # SQLite: no DML in CTEs, but the transaction is local and cheap
        msg = None
        bumped = s.execute(bump).first()
        if bumped is not None:
            row = {"conversation_id": bumped[0], "user_id": bumped[1], "created_at": now}
            ins = insert(Message).values(**row, **data.model_dump(), request_key=key)
            msg = s.scalars(ins.returning(Message)).one()
    if msg is None:
        msg = w.stored(Message)
    if msg is None:
        raise _missing(w, conv_id)
    return msg_public(msg)


@unit_of_work(write=True, one_statement=True, check=CHECK)
def rename(w: Work, conv_id: ConvRef, data: ConversationCreate) -> ConversationPublic:
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
def get(w: Work, conv_id: ConvRef) -> ConversationPublic:
    return conv_public(_own(w, conv_id))


@unit_of_work(write=True, one_statement=True, check=CHECK)
def delete_conversation(w: Work, conv_id: ConvRef) -> ConversationPublic:
    """Delete a conversation and its messages (they cascade) in one statement."""
    stmt = delete(Conversation).where(*_mine(w, conv_id)).returning(Conversation)
    conv = w.session.scalars(stmt).first()
    if conv is None:
        raise _missing(w, conv_id)
    return conv_public(conv)


Write = Callable[[ConversationPublic | None, list[MessagePublic]], None]


@unit_of_work()
def export_messages(w: Work, conv_id: ConvRef | None, write: Write) -> int:
    """Hand conversations and their messages, oldest first, 1,000 at a time, to `write`:
    `write(conv, [])` as each conversation begins, `write(None, batch)` for its messages.
    `conv_id` None: all the user's conversations, oldest first. Returns how many."""
    if conv_id is not None:
        convs = [_own(w, conv_id)]
    else:
        convs = list(
            w.session.scalars(
                select(Conversation)
                .where(col(Conversation.user_id) == w.me)
                .order_by(col(Conversation.created_at), col(Conversation.id))
            )
        )
        if not convs:
            w.check_user()
    w.output_started()
    for conv in convs:
        write(conv_public(conv), [])
        stmt = (
            select(Message)
            .where(col(Message.conversation_id) == conv.id)
            .order_by(col(Message.created_at), col(Message.id))
            .execution_options(yield_per=1000)
        )
        for part in w.session.scalars(stmt).partitions():
            write(None, [msg_public(m) for m in part])
    return len(convs)
