"""`todo import` and `todo export`: tasks in and out as JSON, Taskwarrior JSON or CSV."""

import os
import sys
from collections.abc import Iterable, Iterator
from enum import Enum
from typing import Annotated, Any

import typer

from todo_cli import render
from todo_cli.cli.common import JsonOpt, runtime
from todo_cli.cli.tasks import Status


class InFormat(Enum):
    json = "json"
    taskwarrior = "taskwarrior"


class OutFormat(Enum):
    json = "json"
    csv = "csv"


def import_(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(metavar="FILE|-", help="A JSON file, or - for standard input.")
    ],
    fmt: Annotated[
        InFormat | None,
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
    from todo_cli.services import task_io

    rt = runtime(ctx)
    file = task_io.load(_read(source), fmt.value if fmt else None)
    with render.progress(file.size, "importing") as advance:
        count = task_io.insert_rows(rt, file, advance)
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


def export(
    ctx: typer.Context,
    fmt: Annotated[OutFormat, typer.Option("--format", help="Output format.")] = OutFormat.json,
    status: Annotated[Status, typer.Option("--status", help="Which tasks.")] = Status.all,
    json: Annotated[bool, typer.Option("--json", help="The same as --format json.")] = False,
) -> None:
    """Write your tasks to standard output in id order (the trash is left out).

    JSON is an array of task objects, one per line, that `todo import` reads back. CSV has a
    header row of the same fields, with tags separated by spaces.

    Example: todo export --status pending > tasks.json   ·   todo export --format csv > tasks.csv
    """
    from todo_cli.errors import BadInput
    from todo_cli.services import task_export

    if json and fmt != OutFormat.json:
        raise BadInput("give --json or --format csv, not both")
    batches = task_export.export_batches(runtime(ctx), status.value)
    write = _json_text if fmt == OutFormat.json else _csv_text
    out = sys.stdout
    try:
        for chunk in write(batches, task_export.FIELDS):
            out.write(chunk)
        out.flush()
    except BrokenPipeError:  # `todo export | head`: the reader has gone; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
        raise typer.Exit(1) from None


def _json_text(batches: Iterable[list[dict[str, Any]]], fields: tuple[str, ...]) -> Iterator[str]:
    """`[`, then one task object per line, then `]`: valid JSON, written as it streams."""
    import json

    encode = json.JSONEncoder(ensure_ascii=False).encode
    sep = "\n"
    yield "["
    for batch in batches:
        yield sep + ",\n".join(map(encode, batch))
        sep = ",\n"
    yield "]\n" if sep == "\n" else "\n]\n"


def _csv_text(batches: Iterable[list[dict[str, Any]]], fields: tuple[str, ...]) -> Iterator[str]:
    import csv
    import io

    yield ",".join(fields) + "\n"
    for batch in batches:
        buf = io.StringIO()
        out = csv.writer(buf, lineterminator="\n")
        for task in batch:
            task["completed"] = "true" if task["completed"] else "false"
            task["tags"] = " ".join(task["tags"])
            out.writerow(["" if v is None else v for v in task.values()])
        yield buf.getvalue()


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("export")(export)
