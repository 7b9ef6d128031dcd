"""Small pieces shared by the readers: timestamps, placeholders, error locations, stable hashes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from todo_cli.errors import BadInput

from .records import ImportedMessage

# How non-text content is written into a message: short, bracketed, on a line of its own.
THINKING_OPEN, THINKING_CLOSE = "<thinking>\n", "\n</thinking>"


class RecordError(ValueError):
    """A bad value inside one record; the reader adds where the record is and raises BadInput."""


def where(conv_index: int, title: object, msg_index: int | None = None, extra: str = "") -> str:
    """`conversation 12 ("Trip"), message 3` - 1-based positions in the file."""
    label = f"conversation {conv_index}"
    if isinstance(title, str) and title:
        short = title if len(title) <= 40 else title[:39] + "…"
        label += f" ({json.dumps(short, ensure_ascii=False)})"
    if msg_index is not None:
        label += f", message {msg_index}"
    return label + extra


def bad(location: str, problem: str) -> BadInput:
    return BadInput(f"{location}: {problem}")


def from_epoch(value: Any, what: str = "create_time") -> datetime | None:
    """ChatGPT's float seconds since the epoch (or null) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(f"{what} must be a number of seconds or null, not {value!r}")
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (OverflowError, OSError, ValueError):
        raise RecordError(f"{what} {value!r} is out of range") from None


def from_iso(value: Any, what: str = "created_at") -> datetime | None:
    """An ISO 8601 string (or null); a time without an offset is taken as UTC, as llm writes it."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RecordError(f"{what} must be an ISO 8601 string or null, not {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RecordError(f"{what} {value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def text_or_none(value: Any, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise RecordError(f"{what} must be a string or null, not {type(value).__name__}")


def join_blocks(pieces: Iterable[str]) -> str:
    """Blocks of one message, in order, separated by a blank line; empty blocks are dropped."""
    return "\n\n".join(p for p in pieces if p and not p.isspace())


def thinking(text: str) -> str:
    """Reasoning shown to the user, kept but marked so it does not read as the reply."""
    return f"{THINKING_OPEN}{text}{THINKING_CLOSE}" if text and not text.isspace() else ""


def tool_call(name: Any, arguments: Any) -> str:
    """A call the model made, as one line: `[tool call: NAME] {"arg": 1}`."""
    if isinstance(arguments, str):
        args = arguments
    elif arguments is None or arguments == {}:
        args = ""
    else:
        args = json.dumps(arguments, ensure_ascii=False)
    return f"[tool call: {name or 'unknown'}] {args}".rstrip()


def stable_hash(*parts: object) -> str:
    """A hex digest of the parts' JSON: the same input gives the same id on every machine."""
    data = json.dumps(parts, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:32]


def span(messages: list[ImportedMessage]) -> tuple[datetime | None, datetime | None]:
    """First and last message time, for sources that have no conversation times of their own."""
    times = [m.created_at for m in messages if m.created_at is not None]
    return (min(times), max(times)) if times else (None, None)
