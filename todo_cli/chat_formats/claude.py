"""Claude's data export: conversations.json, an array of `{uuid, name, chat_messages, ...}`.

A message's `content` blocks (text, thinking, tool_use, tool_result) are preferred over its
`text`, which can hold thinking and reply run together. Newer exports link messages through
`parent_message_uuid`, so an edited or retried turn makes a branch; the conversation is then the
path to the latest leaf, which is what the user saw last. Tool results inside an assistant turn
become messages of their own with the role `tool`, ids `<uuid>#2`, `<uuid>#3`, ...
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from .fields import (
    RecordError,
    bad,
    from_iso,
    join_blocks,
    text_or_none,
    thinking,
    tool_call,
    where,
)
from .records import ImportedConversation, ImportedMessage

_SENDERS = {"human": "user", "user": "user", "assistant": "assistant"}


def read(items: Iterator[Any]) -> Iterator[ImportedConversation]:
    for index, raw in enumerate(items, 1):
        yield conversation(raw, index)


def conversation(raw: Any, index: int) -> ImportedConversation:
    title = raw.get("name") if isinstance(raw, dict) else None
    here = where(index, title)
    if not isinstance(raw, dict):
        raise bad(here, f"expected a conversation object, got {type(raw).__name__}")
    conv_id = raw.get("uuid")
    if not isinstance(conv_id, str) or not conv_id:
        raise bad(here, 'has no "uuid"')
    chat = raw.get("chat_messages")
    if not isinstance(chat, list):
        raise bad(here, '"chat_messages" must be a list')
    try:
        title = text_or_none(title, "name") or None
        created = from_iso(raw.get("created_at"))
        updated = from_iso(raw.get("updated_at"), "updated_at")
        for position, message in enumerate(chat, 1):
            if not isinstance(message, dict) or not isinstance(message.get("uuid"), str):
                raise RecordError(f'message {position} has no "uuid"')
        order = _branch(chat, raw.get("current_leaf_message_uuid"))
    except RecordError as e:
        raise bad(here, str(e)) from None
    model = raw.get("model") if isinstance(raw.get("model"), str) else None
    messages: list[ImportedMessage] = []
    for position in order:
        try:
            messages.extend(_messages(chat[position], model))
        except RecordError as e:
            raise bad(where(index, title, position + 1), str(e)) from None
    return ImportedConversation("claude", conv_id, title, created, updated, messages)


def _branch(chat: list[dict[str, Any]], leaf: Any) -> list[int]:
    """Positions in `chat` of the branch the user saw last, oldest first."""
    if not any("parent_message_uuid" in m for m in chat):
        return list(range(len(chat)))  # the older, linear export
    by_id = {m["uuid"]: i for i, m in enumerate(chat)}
    parents = {m.get("parent_message_uuid") for m in chat}
    if not isinstance(leaf, str) or leaf not in by_id:
        leaves = [i for i, m in enumerate(chat) if m["uuid"] not in parents]
        leaf = chat[max(leaves, key=lambda i: (_when(chat[i]), i))]["uuid"] if leaves else None
    path: list[int] = []
    node = leaf
    while node in by_id:
        if len(path) > len(chat):
            raise RecordError("parent_message_uuid links make a loop")
        path.append(by_id[node])
        node = chat[by_id[node]].get("parent_message_uuid")
    path.reverse()
    return path


def _when(message: dict[str, Any]) -> datetime:
    return from_iso(message.get("created_at")) or datetime.min.replace(tzinfo=UTC)


def _messages(raw: dict[str, Any], model: str | None) -> list[ImportedMessage]:
    role = _SENDERS.get(raw.get("sender"))  # type: ignore[arg-type]
    if role is None:
        raise RecordError(f"sender {raw.get('sender')!r} is not human or assistant")
    created = from_iso(raw.get("created_at"))
    blocks = raw.get("content")
    if isinstance(blocks, list) and blocks:
        segments = _segments(role, blocks)
    else:
        segments = [(role, text_or_none(raw.get("text"), "text") or "", None)]
    extras = [_attachment(a) for key in ("attachments", "files") for a in raw.get(key) or []]
    if extras:  # attached files belong to the sender's own words, after them
        first_role, first_text, first_name = segments[0]
        segments[0] = (first_role, join_blocks([first_text, *extras]), first_name)
    out = []
    for n, (seg_role, text, name) in enumerate(segments, 1):
        if not text or text.isspace():
            continue
        out.append(
            ImportedMessage(
                role=seg_role,
                content=text,
                created_at=created,
                model=name if seg_role == "tool" else (model if seg_role == "assistant" else None),
                source_id=raw["uuid"] if n == 1 else f"{raw['uuid']}#{n}",
            )
        )
    return out


def _segments(role: str, blocks: list[Any]) -> list[tuple[str, str, str | None]]:
    """Runs of blocks: the sender's own (text, thinking, tool calls), then each tool result."""
    segments: list[tuple[str, str, str | None]] = []
    own: list[str] = []
    for block in blocks:
        if not isinstance(block, dict):
            raise RecordError("a content block must be an object")
        kind = block.get("type")
        if kind == "tool_result":
            segments.append((role, join_blocks(own), None))
            own = []
            name = block.get("name") if isinstance(block.get("name"), str) else None
            segments.append(("tool", _result_text(block.get("content")), name))
        else:
            own.append(_block(kind, block))
    segments.append((role, join_blocks(own), None))
    # Keep the first segment in place even when empty, so ids stay put: `uuid`, `uuid#2`, ...
    return segments


def _block(kind: Any, block: dict[str, Any]) -> str:
    if kind == "text":
        return text_or_none(block.get("text"), "text") or ""
    if kind == "thinking":
        return thinking(text_or_none(block.get("thinking"), "thinking") or "")
    if kind == "tool_use":
        return tool_call(block.get("name"), block.get("input"))
    if kind in ("image", "document"):
        return f"[{kind}]"
    text = block.get("text")
    return text if isinstance(text, str) else f"[{kind}]"


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    pieces = []
    for item in content:
        if isinstance(item, str):
            pieces.append(item)
        elif isinstance(item, dict):
            text = item.get("text")
            pieces.append(text if isinstance(text, str) else f"[{item.get('type', 'result')}]")
    return join_blocks(pieces)


def _attachment(item: Any) -> str:
    if not isinstance(item, dict):
        return "[attachment]"
    name = item.get("file_name") or item.get("file_uuid") or "file"
    extracted = item.get("extracted_content")
    if isinstance(extracted, str) and extracted.strip():
        return f"[attachment: {name}]\n{extracted}"
    return f"[attachment: {name}]"
