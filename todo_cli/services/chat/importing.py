"""`chat import`: the conversations of an export file, stored all or nothing, once.

Each imported conversation keeps its source (the format) and its id there, unique per user,
and each message its id within the conversation, unique per conversation: importing the same
export again finds what the first import made and adds only the conversations and messages
that are new since. The whole file is one transaction, so a bad record anywhere (the readers
raise BadInput naming it) leaves the database as it was.

The file is read as a stream and stored in batches (a few hundred conversations, one query
for the ones already there, one multi-row INSERT for the new ones and one for their messages),
so a 200 MB export needs no more memory than a batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, select, text, tuple_, update

from todo_cli.columns import utc_text
from todo_cli.models import Conversation, Message
from todo_cli.rules import MODEL_MAX
from todo_cli.services.bulk_insert import copy, must_stage
from todo_cli.services.chat.import_rows import (
    ImportResult,
    batches,
    clean_title,
    conversation_item,
    source_key,
    storable,
)
from todo_cli.services.prefetch import ahead
from todo_cli.services.work import Work, unit_of_work
from todo_cli.when import utcnow

if TYPE_CHECKING:
    from todo_cli.chat_formats import ChatImport, ImportedConversation

_MESSAGE_COLUMNS = (  # in the order of insert_messages' tuples
    "conversation_id", "user_id", "role", "content", "model", "created_at", "source_id",
)  # fmt: skip
# A conversation's message rows (all but the conversation's id), and its first and last time.
Prepared = tuple[list[tuple[Any, ...]], datetime | None, datetime | None]
_FTS_TRIGGER = "messages_fts_insert"  # migration 0002's, SQLite only


class _Store:
    """One import's writes, batch by batch, in the unit of work's transaction."""

    def __init__(self, w: Work, uid: str, title: str | None, result: ImportResult) -> None:
        self.s, self.uid, self.title, self.result = w.session, uid, title, result
        self.convs = Conversation.__table__  # type: ignore[attr-defined]
        self.msgs = Message.__table__  # type: ignore[attr-defined]
        self.now = utcnow()
        self.pg = w.dialect == "postgresql"
        self.staged: bool | None = None  # PostgreSQL: COPY through a temporary table

    def existing(self, batch: list[ImportedConversation]) -> dict[tuple[str, str], Any]:
        c = self.convs.c
        keys = {(conv.format, source_key(conv.source_id)) for conv in batch}
        rows = self.s.execute(
            select(c.id, c.source, c.source_id, c.title, c.message_count, c.created_at)
            .add_columns(c.updated_at)
            .where(c.user_id == self.uid, tuple_(c.source, c.source_id).in_(list(keys)))
        ).all()
        return {(r.source, r.source_id): r for r in rows}

    def known_messages(self, conv_ids: list[int]) -> dict[int, set[str]]:
        if not conv_ids:
            return {}
        m = self.msgs.c
        known: dict[int, set[str]] = {i: set() for i in conv_ids}
        rows = self.s.execute(
            select(m.conversation_id, m.source_id, m.id).where(m.conversation_id.in_(conv_ids))
        )
        # A message said in todo has no source id; our export names it `todo:<id>`.
        for conv_id, source_id, msg_id in rows:
            known[conv_id].add(source_id or f"todo:{msg_id}")
        return known

    def prepare(
        self, batch: list[ImportedConversation]
    ) -> tuple[list[ImportedConversation], list[Prepared]]:
        """The batch, with each conversation's rows as if it were new (which most are): on
        PostgreSQL this runs in the helper thread, while the server stores the batch before."""
        return batch, [self.messages(conv, set(), None) for conv in batch]

    def store(self, batch: list[ImportedConversation], ready: list[Prepared] | None) -> None:
        """`ready`: `prepare`'s rows, used for the conversations that are new."""
        found = self.existing(batch)
        known = self.known_messages([r.id for r in found.values()])
        new_convs: list[dict[str, Any]] = []
        new_messages: list[list[tuple[Any, ...]]] = []
        grown: list[dict[str, Any]] = []
        grown_messages: list[tuple[Any, ...]] = []
        for n, conv in enumerate(batch):
            key = (conv.format, source_key(conv.source_id))
            row = found.get(key)
            seen = known.get(row.id, set()) if row is not None else set()
            if row is not None and key[0] == "openai":
                # OpenAI files have no ids, only positions: what the conversation holds
                # (messages said here since included) is not new.
                seen |= {str(i) for i in range(1, row.message_count + 1)}
            if row is None and ready is not None:
                messages, first, last = ready[n]
            else:
                start = row.created_at if row is not None else None
                messages, first, last = self.messages(conv, seen, start)
            if row is None:
                created = conv.created_at or first or self.now
                updated = max(t for t in (conv.updated_at, last, created) if t is not None)
                new_convs.append(
                    {
                        "user_id": self.uid,
                        "title": self.title or clean_title(conv.title),
                        "message_count": len(messages),
                        "created_at": created,
                        "updated_at": updated,
                        "source": key[0],
                        "source_id": key[1],
                    }
                )
                new_messages.append(messages)
            elif messages:
                updated = max(t for t in (row.updated_at, conv.updated_at, last) if t is not None)
                grown_messages.extend((row.id, *m) for m in messages)
                grown.append({"b_id": row.id, "b_added": len(messages), "b_updated": updated})
                self.result.conversations_updated += 1
                self.result.items.append(
                    conversation_item(
                        row, len(messages), updated, row.message_count + len(messages)
                    ),
                )
            else:
                self.result.conversations_unchanged += 1
        self.insert(new_convs, new_messages)
        if grown:
            c = self.convs.c
            self.s.execute(
                update(self.convs)
                .where(c.id == bindparam("b_id"))
                .values(
                    message_count=c.message_count + bindparam("b_added"),
                    updated_at=bindparam("b_updated"),
                ),
                grown,
            )
            self.insert_messages(grown_messages)
            self.result.messages_added += len(grown_messages)

    def insert(self, convs: list[dict[str, Any]], messages: list[list[tuple[Any, ...]]]) -> None:
        if not convs:
            return
        stmt = insert(self.convs).returning(self.convs.c.id, sort_by_parameter_order=True)
        ids = [r[0] for r in self.s.execute(stmt, convs)]
        rows: list[tuple[Any, ...]] = []
        for conv_id, conv, conv_messages in zip(ids, convs, messages, strict=True):
            rows.extend((conv_id, *m) for m in conv_messages)
            item = {"id": conv_id, "title": conv["title"], "message_count": len(conv_messages)}
            item["messages_added"] = len(conv_messages)
            item["source"] = {"format": conv["source"], "id": conv["source_id"]}
            item["created_at"] = conv["created_at"].isoformat()
            item["updated_at"] = conv["updated_at"].isoformat()
            self.result.items.append(item)
        if rows:
            self.insert_messages(rows)
        self.result.conversations_added += len(convs)
        self.result.messages_added += len(rows)

    def insert_messages(self, values: list[tuple[Any, ...]]) -> None:
        """Straight to the driver, the time as its stored text: SQLAlchemy's per-row handling
        of parameters, and the two layers of the column's own conversion, cost more than
        SQLite's insert itself. On PostgreSQL one COPY (`bulk_insert.copy`)."""
        conn = self.s.connection()
        if self.pg:
            if self.staged is None:  # asked once per import
                self.staged = must_stage(conn, "messages")
            copy(conn, "messages", _MESSAGE_COLUMNS, values, None, staged=self.staged)
            return
        names = ", ".join(_MESSAGE_COLUMNS)
        conn.exec_driver_sql(f"INSERT INTO messages ({names}) VALUES (?, ?, ?, ?, ?, ?, ?)", values)

    def messages(
        self, conv: ImportedConversation, seen: set[str], start: datetime | None
    ) -> Prepared:
        """The rows of the messages not stored yet (`_MESSAGE_COLUMNS` but the conversation's
        id), and the first and last time in the conversation. A message without a time takes
        the one before it (the conversation's start for the first), so it stays in its place in
        `chat show`."""
        rows: list[tuple[Any, ...]] = []
        first = last = None
        at = conv.created_at or start
        for m in conv.messages:
            if m.created_at is not None:
                at = m.created_at
                first = first or at
                last = at if last is None or at > last else last
            key = source_key(m.source_id)
            if key in seen:
                continue
            seen.add(key)
            content = storable(m.content)
            if not content.strip():
                continue
            model = storable(m.model)[:MODEL_MAX] if m.model else None
            stamp = utc_text(at or self.now, offset=self.pg)
            rows.append((self.uid, m.role, content, model or None, stamp, key))
        return rows, first, last


@unit_of_work(write=True, check="todo chat list")
def import_chats(
    w: Work,
    open_file: Callable[[], ChatImport],
    *,
    title: str | None = None,
    reopenable: bool = True,
    progress: Callable[[int, int | None], None] | None = None,
) -> ImportResult:
    """Read the file that `open_file()` opens and store what is new in it, in one
    transaction. A retry through a transient fault opens the file again, unless it cannot be
    (`reopenable=False`: stdin), in which case the unit is not retried."""
    uid = w.user_id()  # first: a local user made on first use runs the work again
    with open_file() as chats, _fts_in_bulk(w):
        if not reopenable:
            w.output_started()
        result = ImportResult(chats.format)
        store = _Store(w, uid, title, result)
        with _parsed(w, store, batches(iter(chats))) as parsed:
            for batch, ready in parsed:
                store.store(batch, ready)
                if progress is not None:
                    progress(*chats.progress())
    return result


def _parsed(
    w: Work, store: _Store, items: Iterator[list[ImportedConversation]]
) -> AbstractContextManager[Iterator[tuple[list[ImportedConversation], list[Prepared] | None]]]:
    """PostgreSQL: the next batch is parsed, and its rows made (`_Store.prepare`), in a helper
    thread while the server stores this one (psycopg2 waits with the GIL released): 1.09x in
    paired runs of a 50 MB export for the parse, 1.10x more for the rows. On SQLite both sides
    hold the GIL most of the time and no gain showed (0.79x-1.05x)."""
    if w.dialect != "postgresql":
        return nullcontext((batch, None) for batch in items)
    return ahead(store.prepare(batch) for batch in items)


@contextmanager
def _fts_in_bulk(w: Work) -> Iterator[None]:
    """SQLite: index the imported messages for search in one statement at the end, not row
    by row through the insert trigger (four times faster). The trigger is dropped and made
    again, from its own stored SQL, inside the import's transaction: no other connection can
    write meanwhile, and a failed import rolls the DDL back with the rows."""
    if w.dialect != "sqlite":
        yield
        return
    s = w.session
    trigger = s.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :n"),
        {"n": _FTS_TRIGGER},
    ).scalar()
    if trigger is None:  # not the schema we know: leave it to the trigger, whatever it is
        yield
        return
    before = s.execute(text("SELECT coalesce(max(id), 0) FROM messages")).scalar()
    s.execute(text(f"DROP TRIGGER {_FTS_TRIGGER}"))
    yield
    new = "SELECT id, content FROM messages WHERE id > :b"
    s.execute(text(f"INSERT INTO messages_fts(rowid, content) {new}"), {"b": before})
    s.execute(text(trigger))
