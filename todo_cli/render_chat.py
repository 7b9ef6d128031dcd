"""Terminal output of `todo chat`: the conversation list, a conversation (Markdown on a
terminal, the stored text on a pipe or with --raw), search hits and the import's progress.

Stored text is always made inert first (`render.safe`): a message cannot move the cursor or
recolour the screen, whether it is shown as Markdown or as it is.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from todo_cli.render import console, footer, message, plural, safe, safe_multiline, when

if TYPE_CHECKING:
    from rich.console import RenderableType

    from todo_cli.schemas import ConversationPublic, MessagePublic, Page, SearchHit

_ROLE_STYLE = {
    "user": "bold cyan",
    "assistant": "bold green",
    "system": "bold magenta",
    "developer": "bold magenta",
    "tool": "bold yellow",
}


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
    footer(page, "conversation", next_hint)


def _head(m: MessagePublic) -> str:
    model = f" ({m.model})" if m.model else ""
    return f"{m.role}{safe(model)}  {when(m.created_at)}"


def chat_show(
    conv: ConversationPublic,
    page: Page[MessagePublic],
    next_hint: str | None,
    *,
    raw: bool = False,
) -> None:
    """Markdown on a terminal (through a pager when it is taller than the screen); the text
    as stored (made inert) on a pipe or with `raw`."""
    if raw or not sys.stdout.isatty():
        _show_raw(conv, page, next_hint)
        return
    from rich.markdown import Markdown
    from rich.text import Text

    parts: list[RenderableType] = [
        Text.assemble((safe(conv.title) or "(untitled)", "bold"), f" #{conv.id}")
    ]
    if not page.items:
        parts.append(Text("no messages"))
    for m in page.items:
        parts.append(Text(""))
        head = Text(m.role, style=_ROLE_STYLE.get(m.role, "bold"))
        head.append(safe(f" ({m.model})") if m.model else "", style="dim")
        head.append(f"  {when(m.created_at)}", style="dim")
        parts.append(head)
        parts.append(Markdown(safe_multiline(m.content), code_theme="monokai"))
    _page_out(parts, page, next_hint)


def _page_out(parts: list[RenderableType], page: Page[Any], next_hint: str | None) -> None:
    out = console()
    with out.capture() as captured:
        for part in parts:
            out.print(part)
        out.print()
        footer(page, "message", next_hint)
    text = captured.get()
    if text.count("\n") > out.height:
        import pydoc

        # -R: keep the colours; -F: quit at once if it fits after all; -X: leave it on screen.
        os.environ.setdefault("LESS", "-FRX")
        pydoc.pager(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _show_raw(conv: ConversationPublic, page: Page[MessagePublic], next_hint: str | None) -> None:
    from todo_cli.render import write

    pieces = [f"{safe(conv.title) or '(untitled)'} #{conv.id}\n"]
    if not page.items:
        write(pieces[0] + "no messages\n")
        return
    for m in page.items:
        pieces.append(f"\n{_head(m)}\n{safe_multiline(m.content)}\n")
    write("".join(pieces) + "\n")
    footer(page, "message", next_hint)


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
    footer(page, "match", next_hint)


@contextmanager
def import_progress(name: str) -> Iterator[Callable[[int, int | None], None]]:
    """A progress bar on stderr when it is a terminal (silent otherwise), for `chat import`.
    Yields `update(done, total)`: bytes read of the file's size, or conversations of a
    logs.db; a total of None (a pipe) shows a spinner and what has been read."""
    if not sys.stderr.isatty():
        yield lambda done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with bar:
        task = bar.add_task(f"importing {safe(name)}", total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def import_summary(result: Any) -> None:
    """What an import did, in one line: `imported conversation 4 with 2 messages`,
    `3 conversations imported: 17 new messages`, or `nothing new (3 ... already up to date)`."""
    added, grown = result.conversations_added, result.conversations_updated
    unchanged = result.conversations_unchanged
    if added == 1 and not grown:
        item = result.items[0]
        text = f"imported conversation {item['id']} with {plural(item['message_count'], 'message')}"
    elif added or grown:
        parts = [f"{plural(added, 'conversation')} imported"] if added else []
        if grown:
            parts.append(f"{plural(grown, 'conversation')} continued")
        text = f"{', '.join(parts)}: {plural(result.messages_added, 'new message')}"
    else:
        text = "nothing new"
    if unchanged:
        text += f" ({plural(unchanged, 'conversation')} already up to date)"
    message(text)
