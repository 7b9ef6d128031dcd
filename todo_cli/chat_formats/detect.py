"""Telling the formats apart by content: the first bytes, then the keys of the first record.

Every JSON format here is an array of records or one record, and each format has keys no other
one has (ChatGPT's `create_time`, Claude's `uuid`, our `message_count`, ...). The first such key
in the first record decides, so detection reads only the head of the file, never the whole of it.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

from todo_cli.errors import BadInput

from .sources import ACCEPTED, HEAD_BYTES, Source

# The first key of these that the first record holds names its format.
_KEYS = {
    "mapping": "chatgpt",
    "current_node": "chatgpt",
    "create_time": "chatgpt",
    "update_time": "chatgpt",
    "uuid": "claude",
    "chat_messages": "claude",
    "message_count": "todo",
    "prompt": "llm-json",
    "response": "llm-json",
    "datetime_utc": "llm-json",
    "conversation_name": "llm-json",
    "role": "openai",
    "messages": "openai",
}


@dataclass(frozen=True)
class Shape:
    """What detection found: the reader to use and whether the file is an array of records."""

    format: str  # chatgpt | claude | llm | llm-json | openai | todo
    top_array: bool
    jsonl: bool = False
    key: str = ""  # the key that decided, or "[" for an array of arrays

    @property
    def public(self) -> str:
        """The name the user knows (`llm logs --json` is the llm format too)."""
        return "llm" if self.format == "llm-json" else self.format


def json_error(name: str, error: Exception, after: int = 0) -> BadInput:
    """ijson's (yajl's) parse error as one line that says what is wrong with the file."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "invalid bytes in UTF8" in first:
        return BadInput(f"{name}: not UTF-8 text")
    if "premature EOF" in first:
        return BadInput(f"{name}: the JSON ends too early (a truncated file?)")
    where = f" after conversation {after}" if after else ""
    return BadInput(f"{name}: not valid JSON{where} ({first})")


def is_jsonl(head: bytes) -> bool:
    """A first line that is a whole JSON value with more values after it: JSON Lines."""
    first, sep, rest = head.partition(b"\n")
    if not sep or not rest.strip():
        return False
    try:
        json.loads(first)
    except ValueError:
        return False
    return True


def sniff(source: Source) -> Shape:
    """The shape of a JSON source, from its head; BadInput naming what it is when it is none."""
    if source.sqlite_path is not None:
        return Shape("llm", top_array=False)
    import ijson

    head = source.head
    text = head.lstrip()
    if text[:1] not in (b"[", b"{"):
        sample = text[:256].decode("utf-8", "replace")
        what = "text" if all(c.isprintable() or c.isspace() for c in sample) else "binary data"
        raise BadInput(f"{source.name}: {what}, not JSON, a zip or a SQLite file; {ACCEPTED}")
    top_array = text[:1] == b"["
    jsonl = is_jsonl(text)
    # A key of the first record sits at "item" in an array, at "" in an object or JSONL line.
    record = "item" if top_array else ""
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(text), multiple_values=True):
            if event == "map_key" and prefix == record and value in _KEYS:
                return Shape(_KEYS[value], top_array, jsonl, value)
            if prefix == "" and event == "end_array" and top_array:
                raise BadInput(f"{source.name}: an empty JSON array, nothing to import")
            if top_array and prefix == "item" and event == "start_array":
                return Shape("openai", top_array, jsonl, "[")  # an array of message arrays
            if event in ("end_map", "end_array") and prefix == record:
                break  # the first record ended without a key we know
    except ijson.JSONError as e:
        if len(head) < HEAD_BYTES:  # the whole file was in the head: it is broken JSON
            raise json_error(source.name, e) from None
    raise BadInput(f"{source.name}: JSON of an unknown shape; {ACCEPTED}")
