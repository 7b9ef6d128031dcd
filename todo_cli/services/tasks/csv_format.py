"""Our CSV: a header row of the task shape's fields (`exporting.FIELDS`), then a row per task.

Lists of words (`tags`, `depends`) are separated by spaces; `annotations` and `extra` are JSON
text; `completed` is true or false; an empty cell is no value. `todo import --format csv`
reads it back into the records `import_rows` checks, naming a bad row by its line.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from todo_cli.errors import BadInput

_WORDS = ("tags", "depends")
_JSON = ("annotations", "extra")
_IGNORED = ("id", "urgency")  # given again by the database, computed again


def csv_header(fields: tuple[str, ...]) -> str:
    return ",".join(fields) + "\n"


def csv_rows(tasks: list[dict[str, Any]], fields: tuple[str, ...]) -> str:
    """The CSV lines of task objects (`show --json`'s shape)."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    for task in tasks:
        out.writerow([_cell(name, task.get(name)) for name in fields])
    return buf.getvalue()


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name in _WORDS:
        return " ".join(value)
    if name in _JSON:
        return json.dumps(value, ensure_ascii=False) if value else ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_csv(raw: bytes) -> list[dict[str, Any]]:
    """Our CSV export as records; BadInput names the line of what cannot be read."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("the input is not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise BadInput("the input is empty: expected a CSV header row") from None
    except csv.Error as e:
        raise BadInput(f"malformed CSV at line 1: {e}") from None
    if "title" not in header:
        raise BadInput(
            "the CSV has no title column: expected the header `todo export --format csv` writes"
        )
    records: list[dict[str, Any]] = []
    try:
        for cells in reader:
            if not cells:
                continue
            line = reader.line_num
            if len(cells) != len(header):
                raise BadInput(f"line {line}: {len(cells)} cells, the header has {len(header)}")
            records.append(_record(dict(zip(header, cells, strict=True)), line))
    except csv.Error as e:
        raise BadInput(f"malformed CSV at line {reader.line_num}: {e}") from None
    return records


def _record(row: dict[str, str], line: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, cell in row.items():
        if name in _IGNORED or cell == "":
            continue
        if name in _WORDS:
            out[name] = cell.split()
        elif name in _JSON:
            try:
                out[name] = json.loads(cell)
            except json.JSONDecodeError as e:
                raise BadInput(f"line {line}: {name} is not JSON: {e.msg}") from None
        elif name == "completed":
            out[name] = {"true": True, "false": False}.get(cell, cell)
        else:
            out[name] = cell
    return out
