"""llm's log as rows, one row per model call, in the shape `llm logs --json` prints.

Every llm source goes through these rows: `llm logs --json` output as it is, the legacy
`responses` table of a logs.db, and the `turns` of the newer message store (rebuilt the way llm
itself rebuilds them for `llm logs`). So one call gets the same message ids whichever way it is
read: `<row id>:system`, `<row id>:tool_result:<n>`, `<row id>:prompt`, `<row id>:response`.
A row's system prompt becomes a message only when it differs from the one before it in the
conversation, since llm repeats it on every row of a continued conversation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .fields import (
    RecordError,
    bad,
    from_iso,
    join_blocks,
    span,
    text_or_none,
    thinking,
    tool_call,
    where,
)
from .records import ImportedConversation, ImportedMessage

Row = dict[str, Any]


def read_json(items: Iterator[Any]) -> Iterator[ImportedConversation]:
    """`llm logs --json`: rows of any conversations in any order; grouped, then oldest first."""
    groups: dict[str, list[Row]] = {}
    for position, row in enumerate(items, 1):
        if not isinstance(row, dict) or not isinstance(row.get("id"), str | int):
            raise bad(f"row {position}", 'expected an `llm logs --json` object with an "id"')
        conv_id = row.get("conversation_id") or f"response:{row['id']}"
        groups.setdefault(str(conv_id), []).append(row)
    for index, conv_id in enumerate(sorted(groups), 1):
        yield conversation(conv_id, groups[conv_id], index)


def conversation(
    conv_id: str, rows: list[Row], index: int, title: str | None = None
) -> ImportedConversation:
    """One conversation from its rows (any order: they are sorted by id, which is by time)."""
    rows = sorted(rows, key=lambda r: str(r["id"]))
    if title is None:
        title = next((r["conversation_name"] for r in rows if r.get("conversation_name")), None)
    messages: list[ImportedMessage] = []
    last_system: str | None = None
    for row in rows:
        try:
            new, last_system = row_messages(row, last_system)
        except RecordError as e:
            raise bad(where(index, title, None, f", response {row['id']}"), str(e)) from None
        messages.extend(new)
    created, updated = span(messages)
    return ImportedConversation("llm", conv_id, title, created, updated, messages)


def row_messages(row: Row, last_system: str | None) -> tuple[list[ImportedMessage], str | None]:
    """The messages one model call added, and the system prompt in force after it."""
    rid = str(row["id"])
    when = from_iso(row.get("datetime_utc"), "datetime_utc")
    resolved = bool(row.get("_resolved"))
    out: list[ImportedMessage] = []

    def add(role: str, text: str, suffix: str, model: str | None = None) -> None:
        if text and not text.isspace():
            out.append(ImportedMessage(role, text, when, model, f"{rid}:{suffix}"))

    system = _system(row, resolved)
    if system and system != last_system:
        add("system", system, "system")
        last_system = system
    for n, result in enumerate(_dicts(row.get("tool_results")), 1):
        output = result.get("output")
        text = output if isinstance(output, str) else ("" if output is None else str(output))
        if result.get("exception"):
            text = join_blocks([text, f"[exception: {result['exception']}]"])
        name = result.get("name") if isinstance(result.get("name"), str) else None
        add("tool", text or f"[tool result: {name}]", f"tool_result:{n}", name)
    attachments = [_attachment(a) for a in _dicts(row.get("attachments"))]
    add("user", join_blocks([_prompt(row, resolved), *attachments]), "prompt")
    reply = join_blocks(
        [
            thinking(text_or_none(row.get("reasoning"), "reasoning") or ""),
            text_or_none(row.get("response"), "response") or "",
            *(tool_call(c.get("name"), c.get("arguments")) for c in _dicts(row.get("tool_calls"))),
        ]
    )
    model = row.get("resolved_model") or row.get("model")
    add("assistant", reply, "response", model if isinstance(model, str) else None)
    return out, last_system


def _fragments(value: Any) -> list[str]:
    return [f["content"] for f in _dicts(value) if isinstance(f.get("content"), str)]


def _prompt(row: Row, resolved: bool) -> str:
    """What the model was sent: llm before 0.32 kept fragments apart from the typed prompt and
    joined them with newlines in front of it; the message store keeps the joined text."""
    prompt = text_or_none(row.get("prompt"), "prompt") or ""
    fragments = _fragments(row.get("prompt_fragments"))
    if resolved or not fragments or all(f in prompt for f in fragments):
        return prompt
    return "\n".join([*fragments, *([prompt] if prompt else [])])


def _system(row: Row, resolved: bool) -> str:
    """As `_prompt`, for the system prompt (llm joined its stripped pieces with blank lines)."""
    system = text_or_none(row.get("system"), "system") or ""
    fragments = _fragments(row.get("system_fragments"))
    if resolved or not fragments or all(f.strip() in system for f in fragments):
        return system
    return "\n\n".join(bit.strip() for bit in [*fragments, system] if bit.strip())


def _attachment(item: Row) -> str:
    where_from = item.get("path") or item.get("url")
    name = str(where_from).replace("\\", "/").rsplit("/", 1)[-1] if where_from else None
    return f"[attachment: {name or item.get('type') or 'file'}]"


def _dicts(value: Any) -> Iterable[Row]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"expected a list, got {type(value).__name__}")
    return [v for v in value if isinstance(v, dict)]
