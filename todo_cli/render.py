"""All terminal output: JSON, messages, errors and Rich tables. Services never print.

Rich is imported only when a table or styled text is drawn, so `todo --version`, `--json`
output and plain messages stay fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from todo_cli.profiling import Profile
    from todo_cli.schemas import (
        ConversationPublic,
        MessagePublic,
        Page,
        SearchHit,
        TaskPublic,
    )


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def print_json(data: Any) -> None:
    """JSON on stdout, exactly the stored text (non-ASCII kept as is)."""
    sys.stdout.write(json.dumps(data, default=_default, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def plural(n: int, noun: str) -> str:
    """`1 task`, `2 tasks`, `1,000 messages`."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def message(text: str) -> None:
    """A plain human message on stdout (never used together with --json)."""
    sys.stdout.write(text + "\n")


def note(text: str) -> None:
    """Progress and hints on stderr, so stdout stays clean for pipes."""
    sys.stderr.write(text + "\n")


def profile(p: Profile | None) -> None:
    """The --profile report, on stderr after the command's own output."""
    if p is None:
        return
    out = sys.stderr
    out.write(f"-- profile: {len(p.statements)} statements, {p.round_trips} round trips")
    out.write(f" (+ handshake), {p.connections} connection(s)")
    if p.connections:
        out.write(f", connect {p.connect_ms:.1f} ms")
    if p.failed_connections:
        out.write(f", {plural(p.failed_connections, 'failed connection attempt')}")
    out.write("\n")
    for i, st in enumerate(p.statements, 1):
        out.write(f"-- {i:>3}  {st.ms:8.2f} ms  {safe(st.sql[:300])}\n")


def error(text: str) -> None:
    """The one-line error format from CLI.md: `error: ...` on stderr."""
    first = " ".join(str(text).split("\n")[0].split()) or "unknown error"
    sys.stderr.write(f"error: {first}\n")
    sys.stderr.flush()


@cache
def console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def table(title: str | None, columns: list[str], rows: list[list[str]]) -> None:
    """A plain table of already-formatted cells (stored text is escaped first)."""
    from rich.table import Table
    from rich.text import Text

    t = Table(title=title, header_style="bold", box=None, pad_edge=False)
    for name in columns:
        t.add_column(name)
    for row in rows:
        t.add_row(*(Text(safe(cell)) for cell in row))
    console().print(t)


def when(value: datetime | None) -> str:
    """A timestamp in local time; a due date at the end of a day shows as the date alone."""
    if value is None:
        return ""
    local = value.astimezone()
    if (local.hour, local.minute, local.second) == (23, 59, 59):
        return local.strftime("%Y-%m-%d")
    return local.strftime("%Y-%m-%d %H:%M")


def task_table(page: Page[TaskPublic], *, empty: str, next_hint: str | None) -> None:
    """The task list: a Rich table and a footer like `page 2 of 50 · 1,000 tasks · next: ...`."""
    if not page.items:
        message(empty if page.page == 1 else f"{empty} on page {page.page} of {page.pages}")
        return
    from rich.table import Table
    from rich.text import Text

    now = datetime.now().astimezone()
    t = Table(header_style="bold", box=None, pad_edge=False)
    for name, kw in (
        ("ID", {"justify": "right", "style": "cyan"}),
        ("Title", {"overflow": "fold", "ratio": 1}),
        ("Pri", {}),
        ("Due", {"no_wrap": True}),
        ("Tags", {"style": "magenta"}),
        ("Status", {}),
    ):
        t.add_column(name, **kw)
    for task in page.items:
        overdue = task.due is not None and task.due < now and not task.completed
        status = "deleted" if task.deleted_at else "done" if task.completed else "pending"
        t.add_row(
            str(task.id),
            Text(safe(task.title), style="dim" if task.completed else ""),
            Text(task.priority or "", style=_PRIORITY_STYLE.get(task.priority or "", "")),
            Text(when(task.due), style="bold red" if overdue else ""),
            Text(" ".join(safe(tag) for tag in task.tags)),
            Text(status, style="green" if task.completed else ""),
        )
    console().print(t)
    _footer(page, "task", next_hint)


_PRIORITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "dim"}


def task_detail(task: TaskPublic) -> None:
    from rich.text import Text

    rows = [
        ("id", str(task.id)),
        ("title", safe(task.title)),
        ("description", safe(task.description)),
        ("status", "deleted" if task.deleted_at else "done" if task.completed else "pending"),
        ("priority", task.priority or ""),
        ("due", when(task.due)),
        ("tags", " ".join(safe(t) for t in task.tags)),
        ("created", when(task.created_at)),
        ("updated", when(task.updated_at)),
    ]
    if task.deleted_at:
        rows.append(("deleted", when(task.deleted_at)))
    for key, value in rows:
        console().print(Text(f"{key:>12}  ", style="bold"), Text(value), sep="")


_CONTROL = {i: f"\\x{i:02x}" for i in (*range(0, 32), 127) if i not in (9,)}
_CONTROL.update({i: f"\\x{i:02x}" for i in range(0x80, 0xA0)})


def safe(text: str | None) -> str:
    """Stored text made harmless for a terminal: control characters and escape sequences are
    shown escaped (`\\x1b`), so a title cannot move the cursor or recolour the screen. JSON
    output keeps the exact text."""
    return (text or "").translate(_CONTROL)


@contextmanager
def progress(total: int | Callable[[], int], description: str) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar on stderr when it is a terminal; silent otherwise (pipes, CI).

    Yields `advance(n)`. A callable `total` is asked again at each step (an estimate that
    becomes exact as the work goes on).
    """
    if not sys.stderr.isatty():
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    size = total if callable(total) else lambda: total
    with bar:
        task = bar.add_task(description, total=size())
        yield lambda n: bar.update(task, advance=n, total=size())


_ROLE_STYLE = {"user": "bold cyan", "assistant": "bold green", "system": "bold magenta"}


def chat_list(page: Page[ConversationPublic], *, next_hint: str | None) -> None:
    if not page.items:
        message("no conversations" if page.page == 1 else f"no conversations on page {page.page}")
        return
    from rich.table import Table
    from rich.text import Text

    t = Table(header_style="bold", box=None, pad_edge=False)
    t.add_column("ID", justify="right", style="cyan", no_wrap=True, min_width=2)
    # Rich shrinks narrow columns to nothing when the row is too wide, so the two free-text
    # columns are sized to what the terminal has left.
    spare = max(20, console().width - 2 - 6 - 16 - 8)
    title_w = min(32, spare // 3)
    t.add_column("Title", overflow="ellipsis", no_wrap=True, max_width=title_w)
    t.add_column("Msgs", justify="right", no_wrap=True, min_width=4)
    t.add_column("Last activity", no_wrap=True, min_width=16)
    t.add_column("Last message", overflow="ellipsis", no_wrap=True, max_width=spare - title_w)
    for c in page.items:
        preview = " ".join((c.preview or "").split())
        t.add_row(
            str(c.id),
            Text(safe(c.title) or "(untitled)", style="" if c.title else "dim"),
            f"{c.message_count:,}",
            when(c.updated_at),
            Text(safe(preview), style="dim"),
        )
    console().print(t)
    _footer(page, "conversation", next_hint)


def _footer(page: Page[Any], noun: str, next_hint: str | None) -> None:
    nouns = noun if page.total == 1 else noun + ("es" if noun.endswith("ch") else "s")
    footer = f"page {page.page} of {page.pages} · {page.total:,} {nouns}"
    if next_hint and page.page < page.pages:
        footer += f" · next: {safe(next_hint)}"
    # soft_wrap: a long footer stays one line (a pasteable command) even on a narrow pipe.
    console().print(footer, style="dim", soft_wrap=True, markup=False, highlight=False)


def chat_show(conv: ConversationPublic, page: Page[MessagePublic], next_hint: str | None) -> None:
    from rich.text import Text

    console().print(Text(safe(conv.title) or "(untitled)", style="bold"), f"#{conv.id}")
    if not page.items:
        message("no messages")
        return
    for m in page.items:
        head = Text(m.role, style=_ROLE_STYLE.get(m.role, "bold"))
        head.append(f"  {when(m.created_at)}", style="dim")
        console().print()
        console().print(head)
        console().print(Text(safe_multiline(m.content)), soft_wrap=False)
    console().print()
    _footer(page, "message", next_hint)


def safe_multiline(text: str) -> str:
    """Like `safe`, but keeps newlines and tabs, which are harmless and carry meaning."""
    return "\n".join(safe(line) for line in text.split("\n"))


def search_hits(page: Page[SearchHit], *, next_hint: str | None) -> None:
    if not page.items:
        message("no messages match")
        return
    from rich.text import Text

    from todo_cli.schemas import HIT_END, HIT_START

    for hit in page.items:
        m = hit.message
        head = Text(f"#{m.conversation_id} ", style="cyan")
        head.append(safe(hit.conversation_title) or "(untitled)", style="bold")
        head.append(f"  {m.role}", style=_ROLE_STYLE.get(m.role, ""))
        head.append(f"  {when(m.created_at)}  message {m.id}", style="dim")
        body = Text()
        for i, part in enumerate(" ".join(hit.snippet.split()).split(HIT_START)):
            hit_text, _, rest = part.partition(HIT_END) if i else ("", "", part)
            body.append(safe(hit_text), style="bold yellow")
            body.append(safe(rest))
        console().print(head)
        console().print(body)
        console().print()
    _footer(page, "match", next_hint)
