"""Reading chat import files: OpenAI-style message lists, checked completely before writing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from todo_cli.errors import BadInput
from todo_cli.schemas import ConversationImport, describe

_MAX_BYTES = 512 * 1024 * 1024


def read_file(path: Path) -> str:
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise BadInput(f"{path}: larger than {_MAX_BYTES // 2**20} MB")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"cannot read {path}: {e}") from None


def parse(raw: str) -> ConversationImport:
    """A list of {"role", "content"}, or {"messages": [...], "title"?}; positions are 1-based."""
    from pydantic import ValidationError

    try:
        data: Any = json.loads(raw)
    except json.JSONDecodeError as e:
        raise BadInput(f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    if isinstance(data, list):
        data = {"messages": data}
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise BadInput('expected a JSON list of {"role", "content"} or an object with "messages"')
    if not data["messages"]:
        raise BadInput("no messages to import")
    try:
        return ConversationImport.model_validate(
            {"title": data.get("title"), "messages": data["messages"]}
        )
    except ValidationError as e:
        err = e.errors()[0]
        loc = err["loc"]
        if len(loc) >= 2 and loc[0] == "messages" and isinstance(loc[1], int):
            e_msg = describe(e).split(": ", 1)[-1]
            field = f" {loc[2]}" if len(loc) > 2 else ""
            raise BadInput(f"message {loc[1] + 1}{field}: {e_msg}") from None
        raise BadInput(describe(e)) from None
