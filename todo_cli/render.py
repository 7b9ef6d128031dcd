"""All terminal output: JSON, messages, errors and Rich tables. Services never print.

Rich is imported only when a table or styled text is drawn, so `todo --version`, `--json`
output and plain messages stay fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from todo_cli.profiling import Profile
    from todo_cli.schemas import Page


def _default(value: Any) -> Any:
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def print_json(data: Any) -> None:
    """JSON on stdout, exactly the stored text (non-ASCII kept as is)."""
    write(json.dumps(data, default=_default, ensure_ascii=False, indent=2) + "\n")


def write(text: str, piece: int = 8192) -> None:
    """Text on stdout, in pieces: a single large write to a pipe its reader has closed loses
    the error in CPython's buffered writer (it returns the part the pipe took), and then the
    command could not end as a closed pipe should."""
    for i in range(0, len(text), piece):
        sys.stdout.write(text[i : i + piece])
    sys.stdout.flush()


def plural(n: int, noun: str) -> str:
    """`1 task`, `2 tasks`, `1,000 messages`, `3 matches`."""
    return f"{n:,} {noun}{'' if n == 1 else 'es' if noun.endswith('ch') else 's'}"


def message(text: str) -> None:
    """A plain human message on stdout (never used together with --json)."""
    sys.stdout.write(text + "\n")


def note(text: str) -> None:
    """Progress and hints on stderr, so stdout stays clean for pipes (flushed: a hint may come
    just before the command waits for input)."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


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
    """The one-line error format of docs/reference.md: `error: ...` on stderr."""
    first = " ".join(str(text).split("\n")[0].split()) or "unknown error"
    sys.stderr.write(f"error: {first}\n")
    sys.stderr.flush()


@cache
def console() -> Console:
    return _console_class()(highlight=False)


@cache
def _console_class() -> type[Console]:
    from rich.console import Console

    class PipedConsole(Console):
        def on_broken_pipe(self) -> None:
            """Rich would exit 1 here; the CLI's boundary ends the command as a closed pipe
            should (quietly, like `git log | head`)."""
            self.quiet = True
            raise BrokenPipeError

    return PipedConsole


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


def when(value: date | None) -> str:
    """A moment in local time; a calendar day as the day itself."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return value.isoformat()
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


_CONTROL = {i: f"\\x{i:02x}" for i in (*range(0, 32), 127) if i not in (9,)}
_CONTROL.update({i: f"\\x{i:02x}" for i in range(0x80, 0xA0)})


def safe(text: str | None) -> str:
    """Stored text made harmless for a terminal: control characters and escape sequences are
    shown escaped (`\\x1b`), so a title cannot move the cursor or recolour the screen. JSON
    output keeps the exact text."""
    return (text or "").translate(_CONTROL)


def safe_multiline(text: str) -> str:
    """Like `safe`, but keeps newlines and tabs, which are harmless and carry meaning."""
    return "\n".join(safe(line) for line in text.split("\n"))


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


def footer(page: Page[Any], noun: str, next_hint: str | None) -> None:
    footer = f"page {page.page} of {page.pages} · {plural(page.total, noun)}"
    if next_hint and page.page < page.pages:
        footer += f" · next: {safe(next_hint)}"
    # soft_wrap: a long footer stays one line (a pasteable command) even on a narrow pipe.
    console().print(footer, style="dim", soft_wrap=True, markup=False, highlight=False)
