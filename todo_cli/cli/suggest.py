"""What `todo` suggests for a command it does not know: the command a user most likely meant.

Spelling alone misleads (`next` is closest to `export` by letters, but a Taskwarrior user
typing `todo next` wants the list), so the words that other tools use for our commands come
first, and a close spelling of a real command second.
"""

from __future__ import annotations

from difflib import get_close_matches
from typing import Any

import typer
from typer.core import TyperGroup

# Words other tools (Taskwarrior, git, llm, package managers) use, by the command meant.
MEANT = {
    "list": ("next", "ls", "ll", "la", "all", "long", "minimal", "ready", "overdue", "tasks"),
    "add": ("new", "create", "a", "log", "append", "insert", "mk"),
    "complete": ("finish", "close", "check", "tick", "do"),
    "delete": ("remove", "del", "erase", "rm-task"),
    "show": ("view", "get", "cat", "details", "describe"),
    "edit": ("update", "change", "set", "mod"),
    "restore": ("undelete", "recover"),
    "reopen": ("uncomplete", "undone", "unfinish"),
    "undo": ("revert", "rollback"),
    "annotate": ("note", "comment"),
    "export": ("dump", "backup"),
    "import": ("load",),
    "chat": ("logs", "conversations", "conv", "chats"),
    "db": ("database", "migrate", "health", "status"),
    "user": ("users", "whoami", "account"),
}
_BY_WORD = {word: command for command, words in MEANT.items() for word in words}


def meant(word: str, commands: list[str]) -> list[str]:
    """The commands `word` most likely meant, best first (none when nothing is close)."""
    known = _BY_WORD.get(word.lower())
    if known in commands:
        return [known]
    return get_close_matches(word.lower(), commands, n=2, cutoff=0.6)


class SuggestingGroup(TyperGroup):
    """A command group whose "No such command" names the likely command."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:  # (Click's own types)
        try:
            return self._click_resolve_command(ctx, args)
        except typer.TyperException as e:  # Click's UsageError, as Typer vendors it
            message = getattr(e, "message", "")
            if args and isinstance(message, str) and message.startswith("No such command"):
                visible = [n for n, c in self.commands.items() if not c.hidden]
                guesses = meant(args[0], visible)
                e.message = f"No such command {args[0]!r}." + (
                    f" Did you mean {' or '.join(repr(g) for g in guesses)}?" if guesses else ""
                )
            raise
