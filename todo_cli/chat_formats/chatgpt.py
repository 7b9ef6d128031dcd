"""ChatGPT's data export: conversations.json, an array of conversations, each a message tree.

A conversation's `mapping` holds nodes `{id, message, parent, children}` in no useful order; a
regenerated or edited turn is a second child. What the user last saw is the path from
`current_node` up to the root, so that path, reversed, is the conversation. Each message's
`content.content_type` says where its text is; see tests/fixtures/chat/FORMATS.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .fields import (
    RecordError,
    bad,
    from_epoch,
    join_blocks,
    text_or_none,
    thinking,
    where,
)
from .records import ROLES, ImportedConversation, ImportedMessage


def read(items: Iterator[Any]) -> Iterator[ImportedConversation]:
    """Each conversation of the export, as it is parsed; one bad record rejects the file."""
    for index, raw in enumerate(items, 1):
        yield conversation(raw, index)


def conversation(raw: Any, index: int) -> ImportedConversation:
    title = raw.get("title") if isinstance(raw, dict) else None
    here = where(index, title)
    if not isinstance(raw, dict):
        raise bad(here, f"expected a conversation object, got {type(raw).__name__}")
    conv_id = raw.get("conversation_id") or raw.get("id")
    if not isinstance(conv_id, str) or not conv_id:
        raise bad(here, 'has no "conversation_id" or "id"')
    mapping = raw.get("mapping")
    if not isinstance(mapping, dict):
        raise bad(here, '"mapping" must be an object of message nodes')
    try:
        title = text_or_none(title, "title")
        created = from_epoch(raw.get("create_time"), "create_time")
        updated = from_epoch(raw.get("update_time"), "update_time")
        path = _path(mapping, raw.get("current_node"))
    except RecordError as e:
        raise bad(here, str(e)) from None
    messages = []
    for position, (node_id, message) in enumerate(path, 1):
        try:
            imported = _message(node_id, message)
        except RecordError as e:
            raise bad(where(index, title, position, f" (node {node_id})"), str(e)) from None
        if imported is not None:
            messages.append(imported)
    return ImportedConversation("chatgpt", conv_id, title, created, updated, messages)


def _path(mapping: dict[str, Any], current: Any) -> list[tuple[str, dict[str, Any]]]:
    """The messages from the root to `current_node`, oldest first (nodes without one dropped)."""
    if current is None:
        current = _latest_leaf(mapping)
        if current is None:
            return []
    if not isinstance(current, str) or current not in mapping:
        raise RecordError(f'"current_node" {current!r} is not a node of "mapping"')
    path: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    node_id: Any = current
    while node_id is not None:
        if node_id in seen:
            raise RecordError(f"node {node_id} is its own ancestor (a loop in the tree)")
        seen.add(node_id)
        node = mapping.get(node_id)
        if not isinstance(node, dict):
            raise RecordError(f"node {node_id!r} is missing from mapping")
        message = node.get("message")
        if message is not None:
            if not isinstance(message, dict):
                raise RecordError(f"node {node_id}: message must be an object or null")
            path.append((node_id, message))
        node_id = node.get("parent")
    path.reverse()
    return path


def _latest_leaf(mapping: dict[str, Any]) -> str | None:
    """Without `current_node`, the childless node written last stands for what was seen last."""
    best: tuple[float, str] | None = None
    for node_id, node in mapping.items():
        if isinstance(node, dict) and not node.get("children"):
            message = node.get("message") or {}
            when = message.get("create_time") if isinstance(message, dict) else None
            key = (float(when) if isinstance(when, int | float) else 0.0, node_id)
            best = key if best is None or key > best else best
    return best[1] if best else None


def _message(node_id: str, raw: dict[str, Any]) -> ImportedMessage | None:
    author = raw.get("author")
    role = author.get("role") if isinstance(author, dict) else None
    if role not in ROLES:
        raise RecordError(f"author.role {role!r} is not one of {', '.join(ROLES)}")
    content = raw.get("content")
    if not isinstance(content, dict):
        raise RecordError('"content" must be an object with a content_type')
    text = content_text(content)
    if not text or text.isspace():
        return None  # hidden system prompts, empty tool spinners: nothing to keep
    metadata = raw.get("metadata")
    model = metadata.get("model_slug") if isinstance(metadata, dict) else None
    if role == "tool" and isinstance(author, dict) and isinstance(author.get("name"), str):
        model = author["name"]  # for a tool message, what produced it is the tool
    return ImportedMessage(
        role=role,
        content=text,
        created_at=from_epoch(raw.get("create_time")),
        model=model if isinstance(model, str) and model else None,
        source_id=str(raw.get("id") or node_id),
    )


def content_text(content: dict[str, Any]) -> str:
    """The text of one message's content, by content_type; non-text as a short placeholder."""
    kind = content.get("content_type")
    if kind in ("text", "multimodal_text"):
        return _parts(content.get("parts"))
    if kind in ("code", "execution_output"):
        return _str(content.get("text"))
    if kind == "tether_browsing_display":
        return join_blocks([_str(content.get("summary")), _str(content.get("result"))])
    if kind == "tether_quote":
        source = " ".join(_str(content.get(k)) for k in ("title", "url") if content.get(k))
        return join_blocks([_str(content.get("text")), f"— {source}" if source else ""])
    if kind == "thoughts":
        thoughts = content.get("thoughts")
        if not isinstance(thoughts, list):
            return thinking(_str(thoughts))
        return thinking(join_blocks(_thought(t) for t in thoughts))
    if kind == "reasoning_recap":
        return thinking(_str(content.get("content")))
    if kind == "system_error":
        name, text = _str(content.get("name")), _str(content.get("text"))
        return f"{name}: {text}" if name else text
    if kind == "user_editable_context":  # custom instructions, shown to the model as system text
        return join_blocks(
            [_str(content.get("user_profile")), _str(content.get("user_instructions"))]
        )
    # A content type that came after this reader: its text if it has one, else its name.
    for key in ("parts", "text", "result", "content"):
        if key in content:
            value = content[key]
            return _parts(value) if key == "parts" else _str(value)
    return f"[{kind}]" if isinstance(kind, str) else ""


def _thought(thought: Any) -> str:
    if not isinstance(thought, dict):
        return _str(thought)
    return join_blocks([_str(thought.get("summary")), _str(thought.get("content"))])


def _parts(parts: Any) -> str:
    if parts is None:
        return ""
    if not isinstance(parts, list):
        raise RecordError('"parts" must be a list')
    return join_blocks(_part(p) for p in parts)


def _part(part: Any) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return "" if part is None else str(part)
    kind = part.get("content_type")
    if kind == "image_asset_pointer":
        return "[image]"
    if isinstance(part.get("text"), str):  # audio_transcription and the like
        return str(part["text"])
    if isinstance(kind, str) and kind.endswith("_asset_pointer"):
        return f"[{kind.removesuffix('_asset_pointer').replace('_', ' ')}]"
    return f"[{kind}]" if isinstance(kind, str) else "[attachment]"


def _str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise RecordError(f"expected text, got {type(value).__name__}")
