"""All terminal output: JSON, messages, errors and Rich tables. Services never print.

Rich is imported only when a table or styled text is drawn, so `todo --version`, `--json`
output and plain messages stay fast.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def print_json(data: Any) -> None:
    """JSON on stdout, exactly the stored text (non-ASCII kept as is)."""
    sys.stdout.write(json.dumps(data, default=_default, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def message(text: str) -> None:
    """A plain human message on stdout (never used together with --json)."""
    sys.stdout.write(text + "\n")


def note(text: str) -> None:
    """Progress and hints on stderr, so stdout stays clean for pipes."""
    sys.stderr.write(text + "\n")


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
    from rich.table import Table

    t = Table(title=title, header_style="bold")
    for col in columns:
        t.add_column(col)
    for row in rows:
        t.add_row(*row)
    console().print(t)
