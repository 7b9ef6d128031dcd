"""The pieces of `chat import` that need no database: what an import did, and the values
it stores made storable (text, titles, source ids), conversations taken in batches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from todo_cli.rules import SOURCE_ID_MAX, TITLE_MAX

if TYPE_CHECKING:
    from todo_cli.chat_formats import ImportedConversation

BATCH_CONVERSATIONS = 500
BATCH_MESSAGES = 5000


@dataclass
class ImportResult:
    """What an import did: counts, and the conversations it added to or made."""

    format: str
    conversations_added: int = 0
    conversations_updated: int = 0  # already there, with new messages
    conversations_unchanged: int = 0  # already there, nothing new
    messages_added: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)  # the conversation JSON shape

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "conversations_added": self.conversations_added,
            "conversations_updated": self.conversations_updated,
            "conversations_unchanged": self.conversations_unchanged,
            "messages_added": self.messages_added,
            "items": self.items,
        }


def storable(value: str) -> str:
    """Text as it can be stored: no NUL (PostgreSQL refuses it), no lone surrogates."""
    value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def clean_title(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(storable(value).split())
    if len(value) > TITLE_MAX:
        value = value[: TITLE_MAX - 1] + "…"
    return value or None


def source_key(value: str) -> str:
    """A source id that fits its column: a long one is replaced by a stable digest of it."""
    if len(value) <= SOURCE_ID_MAX:
        return value
    from todo_cli.chat_formats.fields import stable_hash

    return "sha256:" + stable_hash(value)


def batches(chats: Iterator[ImportedConversation]) -> Iterator[list[ImportedConversation]]:
    """Conversations in batches; a conversation seen again (same source id) starts a new
    batch, so within one batch every conversation is either new or already stored."""
    batch: list[ImportedConversation] = []
    keys: set[tuple[str, str]] = set()
    messages = 0
    for conv in chats:
        key = (conv.format, source_key(conv.source_id))
        if key in keys or len(batch) >= BATCH_CONVERSATIONS or messages >= BATCH_MESSAGES:
            yield batch
            batch, keys, messages = [], set(), 0
        batch.append(conv)
        keys.add(key)
        messages += len(conv.messages)
    if batch:
        yield batch


def conversation_item(row: Any, added: int, updated: datetime, count: int) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "message_count": count,
        "source": {"format": row.source, "id": row.source_id},
        "created_at": row.created_at.isoformat(),
        "updated_at": updated.isoformat(),
        "messages_added": added,
    }
