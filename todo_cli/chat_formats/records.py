"""What every chat reader yields: conversations and messages with their identity in the source.

The readers are pure (no database, no CLI). The importer stores these records and uses
`(format, source_id)` of a conversation and `source_id` of a message to add, on a second import
of the same source, only what is new since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

FORMATS = ("chatgpt", "claude", "llm", "openai", "todo")
ROLES = ("user", "assistant", "system", "developer", "tool")


@dataclass(frozen=True)
class ImportedMessage:
    """One message. `content` is never empty; what cannot be text stands as a `[placeholder]`."""

    role: str  # one of ROLES
    content: str
    created_at: datetime | None  # timezone-aware UTC; None when the source has no time
    model: str | None
    source_id: str  # stable id of the message within its conversation in the source


@dataclass(frozen=True)
class ImportedConversation:
    """One conversation, its messages in order (for a branching source: the branch last seen)."""

    format: str  # one of FORMATS: where the conversation comes from
    source_id: str  # stable id of the conversation in that source
    title: str | None
    created_at: datetime | None
    updated_at: datetime | None
    messages: list[ImportedMessage] = field(default_factory=list)
