"""Import of tasks: `todo import` (export is in `exporting.py`).

Import is all or nothing: the file is parsed and every record checked (`import_rows.py`)
before any database work, so a bad record anywhere names itself and nothing is written; then
the rows go in in one transaction, journaled as one change (`import_store.py`). A record whose
uuid the user has already updates that task when its `updated_at` (Taskwarrior's `modified`)
is newer, and is left alone otherwise: importing the same file twice changes nothing.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from typing import Any

from todo_cli.choices import TaskImportFormat, one_of
from todo_cli.errors import BadInput
from todo_cli.services.bulk_insert import BATCH
from todo_cli.services.runtime import Runtime
from todo_cli.services.tasks import import_store
from todo_cli.services.tasks.import_rows import UUID_AT, Row, RowBuilder
from todo_cli.services.tasks.import_store import Imported
from todo_cli.services.work import Work, unit_of_work

__all__ = ["BATCH", "Imported", "import_tasks", "parse"]
CHECK = "todo list --status all --sort created"  # shows whether a lost import got applied


def import_tasks(
    rt: Runtime,
    raw: bytes,
    fmt: TaskImportFormat | None,
    progress: Callable[[int], Callable[[int], None]],
    command: str = "import",
) -> Imported:
    """Parse and check the whole file, then add or update its tasks for the current user,
    all or none.

    `fmt`: ours (JSON or CSV), Taskwarrior's, or None to detect Taskwarrior's export (objects
    with `description` and `uuid` and no `title`). Our records may also be the `items` of
    `todo list --json`. `progress(total)` gives the function to call as rows are stored.
    """
    if fmt == TaskImportFormat.csv:
        from todo_cli.services.tasks.csv_format import read_csv

        records = read_csv(raw)
    else:
        records = _records(parse(raw))
    chosen = fmt or _detect(records)
    rows = _checked(records, chosen, "" if rt.target.backend == "sqlite" else "+00:00")
    del records
    if not rows:
        return Imported(0, 0, 0)
    return _store(rt, rows, progress(len(rows)), command)


def parse(raw: bytes) -> Any:
    """JSON text to Python data, or BadInput with the line and column of the first error."""
    raw = raw.removeprefix(codecs.BOM_UTF8)
    if not raw or raw.isspace():
        raise BadInput("the input is empty: expected a JSON array of tasks")
    try:  # bytes: UTF-8, or UTF-16/32 text, which it decodes
        return json.loads(raw, strict=False)  # Taskwarrior writes control characters raw
    except json.JSONDecodeError as e:
        raise BadInput(f"malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    except UnicodeDecodeError:
        raise BadInput("the input is not UTF-8 text") from None


def _records(data: Any) -> list[Any]:
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list):
        raise BadInput('expected a JSON array of tasks (or an object with an "items" array)')
    return data


def _detect(records: list[Any]) -> TaskImportFormat:
    first = next((r for r in records if isinstance(r, dict)), {})
    tw = "uuid" in first and "description" in first and "title" not in first
    return TaskImportFormat.taskwarrior if tw else TaskImportFormat.json


def _checked(records: list[Any], fmt: TaskImportFormat, tz_suffix: str) -> list[Row]:
    """The rows of the records, each checked; BadInput names the first bad one.
    `tz_suffix`: see `RowBuilder`."""
    if fmt not in TaskImportFormat:
        raise BadInput(f"unknown format {fmt!r}: use {one_of(TaskImportFormat)}")
    build: Callable[[dict[str, Any], int], Row] = RowBuilder(tz_suffix)
    if fmt == TaskImportFormat.taskwarrior:
        from todo_cli.services.tasks.taskwarrior_rows import TaskwarriorRows

        build = TaskwarriorRows(tz_suffix).record
    rows: list[Row] = []
    seen: dict[str, int] = {}
    for n, record in enumerate(records, 1):
        if not isinstance(record, dict):
            raise BadInput(f"record {n}: expected an object, got {_json_type(record)}")
        row = build(record, n)
        uuid = row[UUID_AT]
        if uuid is not None:
            if uuid in seen:
                raise BadInput(f"record {n}: uuid {uuid} is also record {seen[uuid]}'s")
            seen[uuid] = n
        rows.append(row)
    return rows


@unit_of_work(write=True, check=CHECK)
def _store(w: Work, rows: list[Row], advance: Callable[[int], None], command: str) -> Imported:
    """Store the rows for the current user, in one transaction. A connection lost mid-way
    is retried as a whole; the first new row carries the import's request key: if a retry
    finds it, the earlier attempt committed, all of it."""
    return import_store.store(w, rows, advance, command)


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}
    return names.get(type(value), "a number")
