"""Writing conversations out, for `todo chat export`: our JSON, Markdown, OpenAI messages.

Pure formatting, piece by piece (a conversation's head, then its messages in batches, then
its end), so that exporting everything streams instead of holding it in memory.

- json: the conversation shape with "messages"; `--all` an array of them. Every message
  carries `source_id` (its id in the source it came from, or `todo:<id>`), so importing the
  export again, here or elsewhere, finds the messages it already holds.
- markdown: `# title`, then `## role · time` and the text of each message.
- openai: one conversation is a JSON array of `{"role", "content"}`; `--all` is JSON Lines,
  one `{"title", "messages"}` a line (the fine-tuning format).
"""

from __future__ import annotations

import json
from typing import IO, Any

from todo_cli.schemas import ConversationPublic, MessagePublic


def _dumps(data: Any, **kw: Any) -> str:
    return json.dumps(data, ensure_ascii=False, **kw)


def message_json(m: MessagePublic) -> dict[str, Any]:
    data = m.to_json()
    data["source_id"] = m.source_id or f"todo:{m.id}"
    return data


class Writer:
    """Writes one format to `out`: `begin()`, then per conversation `head`, `messages`
    (any number of times) and `tail`, then `end()`."""

    def __init__(self, out: IO[str], fmt: str, many: bool) -> None:
        self.out, self.fmt, self.many = out, fmt, many
        self.convs = 0  # conversations begun
        self.count = 0  # messages written in the current conversation

    def begin(self) -> None:
        if self.many and self.fmt == "json":
            self.out.write("[")

    def head(self, conv: ConversationPublic) -> None:
        self.convs += 1
        self.count = 0
        w = self.out.write
        if self.fmt == "markdown":
            w(("\n" if self.convs > 1 else "") + f"# {conv.title or 'Untitled conversation'}\n")
        elif self.fmt == "json":
            # The conversation object, left open for its "messages" array.
            head = _dumps(conv.to_json(), indent=2)
            if self.many:
                head = head.replace("\n", "\n  ")
                w(("," if self.convs > 1 else "") + "\n  ")
            w(head[: head.rfind("}")].rstrip() + ',\n  "messages": [')
        elif self.many:  # openai, JSON Lines
            w(_dumps({"title": conv.title})[:-1] + ', "messages": [')
        else:
            w("[")

    def messages(self, messages: list[MessagePublic]) -> None:
        w = self.out.write
        for m in messages:
            if self.fmt == "markdown":
                w(f"\n## {m.role} · {m.created_at.isoformat()}\n\n{m.content}\n")
            elif self.fmt == "json":
                indent = "\n      " if self.many else "\n    "
                w(("," if self.count else "") + indent + _dumps(message_json(m)))
            else:
                sep = ("," if self.count else "") + ("" if self.many else "\n  ")
                w(sep + _dumps({"role": m.role, "content": m.content}))
            self.count += 1

    def tail(self) -> None:
        if self.fmt == "json":
            self.out.write("\n    ]\n  }" if self.many else "\n  ]\n}\n")
        elif self.fmt == "openai":
            self.out.write("]}\n" if self.many else "\n]\n")

    def end(self) -> None:
        if self.many and self.fmt == "json":
            self.out.write("\n]\n" if self.convs else "]\n")
