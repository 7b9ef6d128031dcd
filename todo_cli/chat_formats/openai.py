"""OpenAI-style messages: `[{role, content}, ...]`, `{"messages": [...], "title"?}`, or JSONL of
either, one conversation a line (the fine-tuning format).

These files carry no ids, so a message's id is its 1-based position, and a conversation's is a
hash of its title and its opening (the system/developer messages before the first user or
assistant turn, and that turn): a longer copy of the same conversation maps onto the same one,
and only the messages past the old end are new. Two conversations of one file with the same
opening get `#2`, `#3` after the hash, in file order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .fields import RecordError, bad, join_blocks, stable_hash, text_or_none, tool_call, where
from .records import ROLES, ImportedConversation, ImportedMessage

_ROLES = {**{r: r for r in ROLES}, "function": "tool"}


def read(items: Iterator[Any], single: bool) -> Iterator[ImportedConversation]:
    """`single`: the items are the messages of one conversation; else each item is one."""
    seen: dict[str, int] = {}
    if single:
        yield conversation({"messages": list(items)}, 1, seen)
        return
    for index, raw in enumerate(items, 1):
        yield conversation(raw, index, seen)


def conversation(raw: Any, index: int, seen: dict[str, int]) -> ImportedConversation:
    if isinstance(raw, list):
        raw = {"messages": raw}
    title = raw.get("title") if isinstance(raw, dict) else None
    here = where(index, title)
    if not isinstance(raw, dict) or not isinstance(raw.get("messages"), list):
        raise bad(here, 'expected a list of {"role", "content"} or an object with "messages"')
    try:
        title = text_or_none(title, "title") or None
    except RecordError as e:
        raise bad(here, str(e)) from None
    messages: list[ImportedMessage] = []
    for position, message in enumerate(raw["messages"], 1):
        try:
            imported = _message(message, position)
        except RecordError as e:
            raise bad(where(index, title, position), str(e)) from None
        if imported is not None:
            messages.append(imported)
    if not messages:
        raise bad(here, "has no messages with content")
    opening = []
    for m in messages:
        opening.append((m.role, m.content))
        if m.role in ("user", "assistant"):
            break
    conv_id = stable_hash(title, opening)
    seen[conv_id] = seen.get(conv_id, 0) + 1
    if seen[conv_id] > 1:
        conv_id = f"{conv_id}#{seen[conv_id]}"
    return ImportedConversation("openai", conv_id, title, None, None, messages)


def _message(raw: Any, position: int) -> ImportedMessage | None:
    if not isinstance(raw, dict):
        raise RecordError(f'expected a {{"role", "content"}} object, got {type(raw).__name__}')
    role = _ROLES.get(raw.get("role"))  # type: ignore[arg-type]
    if role is None:
        raise RecordError(f"role {raw.get('role')!r} is not one of {', '.join(ROLES)}")
    if "content" not in raw and "tool_calls" not in raw:
        raise RecordError('has no "content"')
    pieces = [_content(raw.get("content"))]
    calls = raw.get("tool_calls")
    if calls is not None:
        if not isinstance(calls, list):
            raise RecordError('"tool_calls" must be a list')
        pieces.extend(_call(c) for c in calls)
    if isinstance(raw.get("function_call"), dict):  # the older single-call form
        pieces.append(_call({"function": raw["function_call"]}))
    text = join_blocks(pieces)
    if not text:
        return None
    name = raw.get("name")
    model = raw.get("model")
    if role == "tool" and isinstance(name, str):
        model = name  # as for ChatGPT: a tool message's producer is the tool
    return ImportedMessage(
        role=role,
        content=text,
        created_at=None,
        model=model if isinstance(model, str) and model else None,
        source_id=str(position),
    )


def _content(content: Any) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    if not isinstance(content, list):
        raise RecordError("content must be a string, a list of parts, or null")
    return join_blocks(_part(p) for p in content)


def _part(part: Any) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        raise RecordError("a content part must be an object")
    kind = part.get("type")
    if kind in ("text", "input_text", "output_text"):
        return text_or_none(part.get("text"), "text") or ""
    if kind == "refusal":
        return text_or_none(part.get("refusal"), "refusal") or ""
    if kind in ("image_url", "input_image", "image"):
        return "[image]"
    if kind in ("input_audio", "audio"):
        return "[audio]"
    if kind in ("file", "input_file"):
        inner = part.get("file")
        file: dict[str, Any] = inner if isinstance(inner, dict) else part
        name = file.get("filename") or file.get("file_id")
        return f"[file: {name}]" if isinstance(name, str) else "[file]"
    text = part.get("text")
    return text if isinstance(text, str) else f"[{kind}]"


def _call(call: Any) -> str:
    if not isinstance(call, dict):
        raise RecordError("a tool call must be an object")
    function = call.get("function")
    if not isinstance(function, dict):
        return tool_call(call.get("type"), None)
    return tool_call(function.get("name"), function.get("arguments"))
