"""Every fixed set of values, defined once: the CLI takes them as option choices, the boundary
models validate against them, and the tables derive their CHECK constraints from them.

Each is a `StrEnum`, so a member is its own value (`Priority.high == "high"`), Typer lists the
values in `--help`, and JSON output needs no conversion.
"""

from __future__ import annotations

from enum import StrEnum


class Priority(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"

    @property
    def rank(self) -> int:
        """The stored number: it sorts (high first when descending) and is what CHECK allows."""
        return _PRIORITY_RANKS[self]

    @classmethod
    def from_rank(cls, rank: int | None) -> Priority | None:
        return _PRIORITY_BY_RANK.get(rank) if rank is not None else None


_PRIORITY_RANKS = {Priority.low: 1, Priority.medium: 2, Priority.high: 3}
# What `-p` takes: a priority, or `none` to clear it.
PriorityChoice = StrEnum("PriorityChoice", [*(p.value for p in Priority), "none"])  # type: ignore[misc]
_PRIORITY_BY_RANK = {rank: p for p, rank in _PRIORITY_RANKS.items()}


class TaskStatus(StrEnum):
    """What a task is (`status` in JSON), worked out from its row (`services/tasks/images.py`)."""

    pending = "pending"
    completed = "completed"
    waiting = "waiting"
    recurring = "recurring"
    deleted = "deleted"


class Status(StrEnum):
    """Which tasks `list` and `export` show: pending ones are due to be done now (not waiting,
    not past their `until`), `recurring` are the templates of recurrences."""

    pending = "pending"
    completed = "completed"
    waiting = "waiting"
    recurring = "recurring"
    all = "all"


class Sort(StrEnum):
    """The sort keys of `list`."""

    created = "created"
    updated = "updated"
    due = "due"
    priority = "priority"
    title = "title"  # type: ignore[assignment]  # (a member may shadow str.title)
    urgency = "urgency"


# Without --asc/--desc: newest first, soonest due first, most important first, A to Z.
DESCENDING_BY_DEFAULT = {
    Sort.created: True,
    Sort.updated: True,
    Sort.due: False,
    Sort.priority: True,
    Sort.title: False,
    Sort.urgency: True,
}


class Role(StrEnum):
    """Who said a message."""

    user = "user"
    assistant = "assistant"
    system = "system"
    developer = "developer"
    tool = "tool"


class TaskImportFormat(StrEnum):
    json = "json"
    csv = "csv"
    taskwarrior = "taskwarrior"


class TaskExportFormat(StrEnum):
    json = "json"
    csv = "csv"
    taskwarrior = "taskwarrior"


class ChatExportFormat(StrEnum):
    json = "json"
    markdown = "markdown"
    openai = "openai"


class ChatImportFormat(StrEnum):
    """`chat import --format`: `auto` tells the others apart by content."""

    auto = "auto"
    todo = "todo"
    openai = "openai"
    chatgpt = "chatgpt"
    claude = "claude"
    llm = "llm"


def sql_in(column: str, values: list[str] | list[int]) -> str:
    """A CHECK's condition: `column IN (...)`, from the members themselves."""
    listed = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values)
    return f"{column} IN ({listed})"


def one_of(choice: type[StrEnum]) -> str:
    """`low, medium or high`, for error messages."""
    names = [m.value for m in choice]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
