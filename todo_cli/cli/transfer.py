"""`todo import` and `todo export`: tasks in and out as JSON, Taskwarrior JSON or CSV."""

import os
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from todo_cli import render
from todo_cli.choices import Status, TaskExportFormat, TaskImportFormat
from todo_cli.cli.options import JsonOpt, runtime

app = typer.Typer()


@app.command("import")
def import_(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(metavar="FILE|-", help="A JSON or CSV file, or - for standard input.")
    ],
    fmt: Annotated[
        TaskImportFormat | None,
        typer.Option(
            "--format",
            help="The file's format (default: Taskwarrior's `task export` is recognised, "
            "otherwise ours: a JSON array of tasks, as `todo export` writes).",
            show_default=False,
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Add or update tasks from a file, all or none.

    One bad record rejects the file, naming its position, and nothing is written. A record
    whose uuid you already have updates that task if it is newer (`updated_at`, Taskwarrior's
    `modified`) and is skipped otherwise, so importing a file twice changes nothing. Ids in
    the file are not kept. From Taskwarrior every field comes along: projects, annotations,
    wait, scheduled, until, start, dependencies, recurrences with their instances, and UDAs
    (kept in `extra`); deleted tasks go to the trash. `todo undo` takes an import back.

    Example: task export | todo import -   ·   todo import --format csv tasks.csv
    """
    from contextlib import ExitStack

    from todo_cli.services.tasks import importing

    with ExitStack() as stack:

        def progress(total: int) -> Callable[[int], None]:
            return stack.enter_context(render.progress(total, "importing"))

        done = importing.import_tasks(
            runtime(ctx), _read(source), fmt, progress, command=f"import {source}"
        )
    if json:
        render.print_json(
            {"imported": done.added, "updated": done.updated, "unchanged": done.unchanged}
        )
        return
    said = [f"imported {render.plural(done.added, 'task')}"]
    said += [f"updated {done.updated:,}"] if done.updated else []
    said += [f"{done.unchanged:,} unchanged"] if done.unchanged else []
    render.message(", ".join(said))


def _read(source: str) -> bytes:
    """The bytes of FILE, or of standard input for `-`."""
    from pathlib import Path

    from todo_cli.errors import BadInput

    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except FileNotFoundError:
        raise BadInput(f"no such file: {source}") from None
    except IsADirectoryError:
        raise BadInput(f"{source} is a directory, not a file") from None
    except OSError as e:
        raise BadInput(f"cannot read {source}: {e.strerror or e}") from None


@app.command()
def export(
    ctx: typer.Context,
    fmt: Annotated[
        TaskExportFormat, typer.Option("--format", help="Output format.")
    ] = TaskExportFormat.json,
    status: Annotated[Status, typer.Option("--status", help="Which tasks.")] = Status.all,
    json: Annotated[bool, typer.Option("--json", help="The same as --format json.")] = False,
) -> None:
    """Write your tasks to standard output.

    In id order. JSON is an array of task objects (the shape of `show --json`), one per line,
    that `todo import` reads back; CSV has a header row of the same fields, tags and depends
    separated by spaces, annotations and extra as JSON. Both leave the trash out. Taskwarrior's
    format is what `task import` takes: every task, the trash as deleted, fields imported from
    Taskwarrior written back as they came.

    Example: todo export --format csv > out.csv   ·   todo export --format taskwarrior > tw.json
    """
    from todo_cli.errors import BadInput
    from todo_cli.services.tasks import exporting

    if json and fmt != TaskExportFormat.json:
        raise BadInput(f"give --json or --format {fmt.value}, not both")
    # JSON as raw UTF-8: Taskwarrior 2.6 mangles a \uD83D\uDE00 escape pair.
    csv = fmt == TaskExportFormat.csv
    writer: _JsonWriter | _CsvWriter = _CsvWriter(exporting.FIELDS) if csv else _JsonWriter()
    out = sys.stdout
    try:

        def write(batch: list[dict[str, Any]]) -> None:
            out.write(writer(batch))

        exporting.export_tasks(
            runtime(ctx), status, write, taskwarrior=fmt == TaskExportFormat.taskwarrior
        )
        out.write(writer.end())
        out.flush()
    except BrokenPipeError:  # `todo export | head`: the reader has gone; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
        raise typer.Exit(1) from None


class _JsonWriter:
    """`[`, then one task object per line, then `]`: valid JSON, written as it streams."""

    def __init__(self) -> None:
        import json
        from datetime import date

        def dates(value: Any) -> str:
            if isinstance(value, date):  # an all-day due date: the day itself
                return value.isoformat()
            raise TypeError(f"{type(value).__name__} is not JSON")

        self.encode = json.JSONEncoder(ensure_ascii=False, default=dates).encode
        self.sep = "\n"

    def __call__(self, batch: list[dict[str, Any]]) -> str:
        text = ("[" if self.sep == "\n" else "") + self.sep + ",\n".join(map(self.encode, batch))
        self.sep = ",\n"
        return text

    def end(self) -> str:
        return "[]\n" if self.sep == "\n" else "\n]\n"


class _CsvWriter:
    """A header row of the task fields, then a row per task (`csv_format.py`)."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        from todo_cli.services.tasks.csv_format import csv_header

        self.fields = fields
        self.header: str | None = csv_header(fields)

    def __call__(self, batch: list[dict[str, Any]]) -> str:
        from todo_cli.services.tasks.csv_format import csv_rows

        head, self.header = self.header or "", None
        return head + csv_rows(batch, self.fields)

    def end(self) -> str:
        return self.header or ""
