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
        str, typer.Argument(metavar="FILE|-", help="A JSON file, or - for standard input.")
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
    """Add the tasks in a JSON file, all of them or none.

    One bad record rejects the file, naming its position, and nothing is written. Ids in
    the file are not kept; each task gets a new id. From Taskwarrior, annotations become the
    description, deleted tasks go to the trash, and waiting and recurring ones are pending.

    Example: todo export > tasks.json && todo import tasks.json   ·   task export | todo import -
    """
    from contextlib import ExitStack

    from todo_cli.services.tasks import importing

    with ExitStack() as stack:

        def progress(total: int) -> Callable[[int], None]:
            return stack.enter_context(render.progress(total, "importing"))

        count = importing.import_tasks(runtime(ctx), _read(source), fmt, progress)
    if json:
        render.print_json({"imported": count})
    else:
        render.message(f"imported {render.plural(count, 'task')}")


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
    """Write your tasks to standard output in id order (the trash is left out).

    JSON is an array of task objects, one per line, that `todo import` reads back. CSV has a
    header row of the same fields, with tags separated by spaces.

    Example: todo export --status pending > tasks.json   ·   todo export --format csv > tasks.csv
    """
    from todo_cli.errors import BadInput
    from todo_cli.services.tasks import exporting

    if json and fmt != TaskExportFormat.json:
        raise BadInput("give --json or --format csv, not both")
    writer = _JsonWriter() if fmt == TaskExportFormat.json else _CsvWriter(exporting.FIELDS)
    out = sys.stdout
    try:

        def write(batch: list[dict[str, Any]]) -> None:
            out.write(writer(batch))

        exporting.export_tasks(runtime(ctx), status, write)
        out.write(writer.end())
        out.flush()
    except BrokenPipeError:  # `todo export | head`: the reader has gone; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
        raise typer.Exit(1) from None


class _JsonWriter:
    """`[`, then one task object per line, then `]`: valid JSON, written as it streams."""

    def __init__(self) -> None:
        import json

        self.encode = json.JSONEncoder(ensure_ascii=False).encode
        self.sep = "\n"

    def __call__(self, batch: list[dict[str, Any]]) -> str:
        text = ("[" if self.sep == "\n" else "") + self.sep + ",\n".join(map(self.encode, batch))
        self.sep = ",\n"
        return text

    def end(self) -> str:
        return "[]\n" if self.sep == "\n" else "\n]\n"


class _CsvWriter:
    """A header row of the task fields, then a row per task; tags separated by spaces."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        self.header: str | None = ",".join(fields) + "\n"

    def __call__(self, batch: list[dict[str, Any]]) -> str:
        import csv
        import io

        buf = io.StringIO()
        buf.write(self.header or "")
        self.header = None
        out = csv.writer(buf, lineterminator="\n")
        for task in batch:
            task["completed"] = "true" if task["completed"] else "false"
            task["tags"] = " ".join(task["tags"])
            out.writerow(["" if v is None else v for v in task.values()])
        return buf.getvalue()

    def end(self) -> str:
        return self.header or ""
