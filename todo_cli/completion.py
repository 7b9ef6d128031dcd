"""Values for shell completion (task ids with their titles, tags, projects, conversation ids),
answered from a small file in the data dir instead of the database.

A database across the internet costs a connection per question, too slow for a <Tab>; so the
file is written as commands run, from the tasks and conversations they read or change anyway
(no statement of its own), and read by the completion without SQLAlchemy or a connection.

The file is found from what the completing command line says (`--database-url`, `--user`),
else the environment and `./.env`, the way every command chooses its database, without
resolving it (which would cost the import of SQLAlchemy). `todo user use` forgets it, since the
same line then means another user.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from todo_cli.choices import TaskStatus

if TYPE_CHECKING:
    from todo_cli.services.runtime import Runtime

KEEP = 1000  # tasks, tags, projects and conversations remembered (the most recently seen)
SHOWN = 60  # characters of a title shown beside its id
# Task states worth completing: the others leave the file.
OPEN = (TaskStatus.pending, TaskStatus.waiting)


def key(database_url: str | None, user: str | None, cwd: Path) -> str:
    """The file's key: the database as given (a relative SQLite path with its folder, so two
    `todo.db` in two folders are two files) and the user as given."""
    given = database_url or ""
    if not given or (given.startswith("sqlite:///") and not given.startswith("sqlite:////")):
        given += f"@{cwd}"
    return hashlib.sha256(f"{given}\0{user or ''}".encode()).hexdigest()[:16]


def runtime_key(rt: Runtime) -> str:
    return key(rt.database_choice, rt.user_hint, rt.cwd)


def _file(k: str) -> Path:
    from todo_cli.config import data_dir

    return data_dir() / f"complete-{k}.json"


def _read(path: Path) -> dict[str, Any]:
    from todo_cli import datadir  # (not at import: `todo --help` never needs it)

    return datadir.read_json(path)


def _merge(known: dict[str, Any], updates: dict[str, Any]) -> dict[str, Any]:
    """`known` with `updates` moved to the end (most recent), a None value removing its key,
    and only the last KEEP kept."""
    merged = {k: v for k, v in known.items() if k not in updates}
    merged.update({k: v for k, v in updates.items() if v is not None})
    return dict(list(merged.items())[-KEEP:])


class Seen:
    """What the commands of one run read or changed, to remember for completion."""

    def __init__(self) -> None:
        self.tasks: dict[str, Any] = {}
        self.tags: dict[str, Any] = {}
        self.projects: dict[str, Any] = {}
        self.conversations: dict[str, Any] = {}

    def add(self, result: Any) -> None:
        """Take in a service's result: a task, a conversation, a page or list of them, or an
        outcome of a change (its `changed`, `unchanged` and `added` tasks)."""
        from todo_cli.schemas import ConversationPublic
        from todo_cli.task_schemas import TaskPublic

        for item in _items(result):
            if isinstance(item, TaskPublic):
                live = item.status in OPEN
                self.tasks[str(item.id)] = _shown(item.title) if live else None
                if live:
                    self.tags.update(dict.fromkeys(item.tags, 1))
                    if item.project:
                        self.projects[item.project] = 1
            elif isinstance(item, ConversationPublic):
                self.conversations[str(item.id)] = _shown(item.title or "")

    def save(self, k: str) -> None:
        if not (self.tasks or self.tags or self.projects or self.conversations):
            return
        from todo_cli import datadir

        path = _file(k)
        data = _read(path)
        for name in ("tasks", "tags", "projects", "conversations"):
            known = data.get(name)
            data[name] = _merge(known if isinstance(known, dict) else {}, getattr(self, name))
        datadir.write_json_quietly(path, data)


def _shown(title: str) -> str:
    """A title as one short line: control characters escaped, cut to SHOWN with `…`."""
    from todo_cli.render import safe

    text = safe(" ".join(title.split()))
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def _items(result: Any) -> Iterable[Any]:
    if isinstance(result, list | tuple):
        for r in result:
            yield from _items(r)
        return
    for name in ("items", "changed", "unchanged", "added"):  # a Page, an Outcome
        inner = getattr(result, name, None)
        if isinstance(inner, list):
            yield from inner
    yield result


def forget(rt: Runtime) -> None:
    _file(runtime_key(rt)).unlink(missing_ok=True)


def _known(ctx: Any, name: str) -> dict[str, Any]:
    """The remembered values for the command line being completed."""
    root = ctx.find_root()
    url = root.params.get("database_url")
    cwd = Path.cwd()
    if not url:
        from todo_cli.config import Settings

        try:
            url = Settings.load(cwd=cwd).database_url
        except Exception:  # a bad setting: the command itself will say so
            return {}
    user = root.params.get("user") or os.environ.get("TODO_USER")
    values = _read(_file(key(url, user, cwd))).get(name)
    return values if isinstance(values, dict) else {}


def _matching(values: dict[str, Any], incomplete: str, newest_first: bool) -> list[Any]:
    items = list(values.items())
    if newest_first:
        items.reverse()
    return [(k, v) if v else k for k, v in items if k.startswith(incomplete)]


def task_ids(ctx: Any, incomplete: str) -> list[Any]:
    """Open task ids with their titles, the most recently seen first."""
    return _matching(_known(ctx, "tasks"), incomplete, newest_first=True)


def tags(ctx: Any, incomplete: str) -> list[Any]:
    return sorted(t for t in _known(ctx, "tags") if t.startswith(incomplete))


def projects(ctx: Any, incomplete: str) -> list[Any]:
    return sorted(p for p in _known(ctx, "projects") if p.startswith(incomplete))


def conversation_ids(ctx: Any, incomplete: str) -> list[Any]:
    return _matching(_known(ctx, "conversations"), incomplete, newest_first=True)
