"""Terminal output of the task commands: the task list (a Rich table that fits the terminal)
and one task in full (`show`). Stored text is made inert first (`render.safe`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from todo_cli.choices import TaskStatus
from todo_cli.render import console, footer, message, safe, safe_multiline, when

if TYPE_CHECKING:
    from rich.text import Text

    from todo_cli.schemas import Page
    from todo_cli.task_schemas import TaskPublic


def task_table(page: Page[TaskPublic], *, empty: str, next_hint: str | None) -> None:
    """The task list: a Rich table and a footer like `page 2 of 50 · 1,000 tasks · next: ...`.

    Long text is cut to the terminal with `…` (`show` has all of it), and the title gets the
    room the other columns leave."""
    if not page.items:
        message(empty if page.page == 1 else f"{empty} on page {page.page} of {page.pages}")
        return
    from rich.table import Table
    from rich.text import Text

    from todo_cli.when import is_overdue

    now = datetime.now().astimezone()
    width = console().width
    wide = width >= WIDE  # room for project and tags columns of their own
    rows = []
    for task in page.items:
        overdue = is_overdue(task.due, now) and task.status == TaskStatus.pending
        title = Text(safe(task.title), style="dim" if task.completed else "")
        if task.annotations:
            title.append(f" [{len(task.annotations)}]", style="dim")
        tags = " ".join(safe(tag) for tag in task.tags)
        if not wide and (task.project or tags):
            more = [safe(task.project)] if task.project else []
            title.append("  " + " ".join([*more, *(f"+{safe(g)}" for g in task.tags)]), "dim")
        rows.append(
            {
                "ID": Text(str(task.id)),
                "Title": title,
                "Project": Text(safe(task.project)),
                "Pri": Text(task.priority or "", _PRIORITY_STYLE.get(task.priority or "", "")),
                "Due": Text(when(task.due), style="bold red" if overdue else ""),
                "Tags": Text(tags),
                "Status": Text(_status(task), style=_STATUS_STYLE.get(task.status, "")),
            }
        )
    projects = wide and any(task.project for task in page.items)  # no empty column
    names = ["ID", "Title", *(["Project"] if projects else []), "Pri", "Due"]
    names += [*(["Tags"] if wide else []), "Status"]
    fixed = {n: max(len(n), *(r[n].cell_len for r in rows)) for n in names if n != "Title"}
    natural = max(len("Title"), *(r["Title"].cell_len for r in rows))
    if sum(fixed.values()) + natural + 2 * (len(names) - 1) > width:
        for free in ("Project", "Tags"):  # cut only when the line would not fit
            if free in fixed:
                fixed[free] = min(fixed[free], FREE_MAX)
    # Rich squeezes every column when a row is too wide; the title alone gives way instead.
    room = width - sum(fixed.values()) - 2 * (len(names) - 1)
    title_w = min(natural, max(MIN_TITLE, room))
    t = Table(header_style="bold", box=None, pad_edge=False)
    for name in names:
        t.add_column(
            name,
            width=title_w if name == "Title" else fixed[name],
            no_wrap=True,
            overflow="ellipsis",
            justify="right" if name == "ID" else "left",
            style={"ID": "cyan", "Tags": "magenta"}.get(name, ""),
        )
    for row in rows:
        t.add_row(*(row[n] for n in names))
    console().print(t)
    footer(page, "task", next_hint)


WIDE = 80  # columns from which project and tags get columns of their own
MIN_TITLE = 12
FREE_MAX = 18
_PRIORITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "dim"}
_STATUS_STYLE = {
    TaskStatus.completed: "green",
    TaskStatus.deleted: "dim",
    TaskStatus.waiting: "dim",
    TaskStatus.recurring: "blue",
}


def _status(task: TaskPublic) -> str:
    word = {TaskStatus.completed: "done"}.get(task.status, task.status)
    marks = [m for m, on in (("active", task.start), ("blocked", task.blocked)) if on]
    return ", ".join([word, *marks])


def task_detail(task: TaskPublic) -> None:
    """One task in full, a field a line; long and multi-line values wrap under themselves."""
    from rich.text import Text

    rows = [
        ("id", str(task.id)),
        ("uuid", task.uuid),
        ("title", safe_multiline(task.title)),
        ("description", safe_multiline(task.description or "")),
        ("status", _status(task)),
        ("priority", task.priority or ""),
        ("project", safe(task.project)),
        ("tags", " ".join(safe(t) for t in task.tags)),
        ("due", when(task.due)),
        ("wait", when(task.wait)),
        ("scheduled", when(task.scheduled)),
        ("until", when(task.until)),
        ("started", when(task.start)),
        ("recur", task.recur or ""),
        ("depends", " ".join(d[:8] for d in task.depends)),
        ("urgency", f"{task.urgency:g}"),
        ("created", when(task.created_at)),
        ("updated", when(task.updated_at)),
        ("completed", when(task.completed_at)),
        ("deleted", when(task.deleted_at)),
        *((safe(k), safe(str(v))) for k, v in sorted(task.extra.items())),
    ]
    shown = [(k, Text(v)) for k, v in rows if v or k in ("id", "title", "status")]
    for note in task.annotations:
        line = Text(f"{when(note.entry)}  ", style="dim")
        line.append(safe_multiline(note.description))
        shown.append(("annotation", line))
    for key, value in shown:
        _field(key, value)


KEY_WIDTH = 12


def _field(key: str, value: Text) -> None:
    """`        key  value`, the value's further lines (its own, or wrapped) under itself."""
    from rich.text import Text

    width = max(20, console().width - KEY_WIDTH - 2)
    lines = value.wrap(console(), width) if value.plain else [Text("")]
    for i, line in enumerate(lines):
        head = Text(f"{key:>{KEY_WIDTH}}  " if i == 0 else " " * (KEY_WIDTH + 2))
        head.stylize("bold")
        console().print(head + line, soft_wrap=True, highlight=False)
