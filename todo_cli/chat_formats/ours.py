"""Our own `todo chat export --format json`: one conversation object with "messages", or (for
`--all`) a JSON array of them.

A conversation that came from elsewhere carries `"source": {"format", "id"}` and keeps it, so
importing a todo export of an imported ChatGPT conversation and the ChatGPT export itself lands
on one conversation. One made in todo (`"source": null`) is known by its todo id together with
its creation time, since ids are only unique within one todo database.

A message is known by its `source_id` when the export has one (a field the exporter may add),
else by its todo id.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .fields import RecordError, bad, from_iso, text_or_none, where
from .records import FORMATS, ROLES, ImportedConversation, ImportedMessage


def read(items: Iterator[Any]) -> Iterator[ImportedConversation]:
    for index, raw in enumerate(items, 1):
        yield conversation(raw, index)


def conversation(raw: Any, index: int) -> ImportedConversation:
    title = raw.get("title") if isinstance(raw, dict) else None
    here = where(index, title)
    if not isinstance(raw, dict) or not isinstance(raw.get("messages"), list):
        raise bad(here, 'expected a conversation object with "messages"')
    try:
        title = text_or_none(title, "title")
        created = from_iso(raw.get("created_at"))
        updated = from_iso(raw.get("updated_at"), "updated_at")
        fmt, conv_id = _identity(raw)
    except RecordError as e:
        raise bad(here, str(e)) from None
    messages = []
    for position, message in enumerate(raw["messages"], 1):
        try:
            messages.append(_message(message))
        except RecordError as e:
            raise bad(where(index, title, position), str(e)) from None
    return ImportedConversation(fmt, conv_id, title, created, updated, messages)


def _identity(raw: dict[str, Any]) -> tuple[str, str]:
    source = raw.get("source")
    if source is not None:
        if not isinstance(source, dict):
            raise RecordError('"source" must be null or {"format", "id"}')
        fmt, source_id = source.get("format"), source.get("id")
        if fmt not in FORMATS or not isinstance(source_id, str | int) or source_id == "":
            raise RecordError(f'"source" {source!r} needs a known "format" and an "id"')
        return str(fmt), str(source_id)
    conv_id = raw.get("id")
    if isinstance(conv_id, bool) or not isinstance(conv_id, int | str) or conv_id == "":
        raise RecordError('has no "id"')
    return "todo", f"{conv_id}@{raw.get('created_at')}"


def _message(raw: Any) -> ImportedMessage:
    if not isinstance(raw, dict):
        raise RecordError(f"expected a message object, got {type(raw).__name__}")
    role = raw.get("role")
    if role not in ROLES:
        raise RecordError(f"role {role!r} is not one of {', '.join(ROLES)}")
    content = raw.get("content")
    if not isinstance(content, str) or not content.strip():
        raise RecordError("content must be non-empty text")
    msg_id = raw.get("source_id", raw.get("id"))
    if isinstance(msg_id, bool) or not isinstance(msg_id, int | str) or msg_id == "":
        raise RecordError('has no "id"')
    return ImportedMessage(
        role=role,
        content=content,
        created_at=from_iso(raw.get("created_at")),
        model=text_or_none(raw.get("model"), "model") or None,
        source_id=str(msg_id),
    )
