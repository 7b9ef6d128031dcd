"""The one entry point: open what the user gave, tell its format, yield its conversations."""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from types import TracebackType
from typing import Any, BinaryIO

from todo_cli.errors import BadInput

from . import chatgpt, claude, llm_db, llm_rows, openai, ours
from .detect import Shape, json_error, sniff
from .records import FORMATS, ImportedConversation
from .sources import Source, open_source

CHOICES = ("auto", *FORMATS)


class ChatImport:
    """An import file, open: its `format`, its conversations (iterate), and how far it is read.

    Use it as a context manager. `progress()` is `(done, total)`: bytes of the JSON read so far
    and the file's size (None for a pipe), or for a logs.db conversations read and their count.
    """

    def __init__(self, data: str | os.PathLike[str] | BinaryIO, fmt: str = "auto") -> None:
        if fmt not in CHOICES:
            raise BadInput(f"unknown format {fmt!r}; choose one of {', '.join(CHOICES)}")
        self._stack = ExitStack()
        try:
            self.source: Source = self._stack.enter_context(open_source(data))
            self.shape = sniff(self.source)
        except BaseException:
            self._stack.close()
            raise
        if fmt != "auto" and fmt != self.shape.public:
            self._stack.close()
            raise BadInput(f"{self.source.name}: this is {_describe(self.shape)}, not {fmt}")
        self.format = self.shape.public
        self._done = 0
        self._total: int | None = self.source.total_bytes
        self._logs: llm_db.LogsDb | None = None
        if self.source.sqlite_path is not None:
            try:
                self._logs = llm_db.LogsDb(self.source.sqlite_path, self.source.name)
                self._stack.callback(self._logs.close)
                self._total = self._logs.count()
            except BaseException:
                self._stack.close()
                raise

    def progress(self) -> tuple[int, int | None]:
        if self._logs is not None:
            return self._done, self._total
        return self.source.bytes_read, self._total

    def __iter__(self) -> Iterator[ImportedConversation]:
        try:
            for conversation in self._conversations():
                self._done += 1
                yield conversation
        except BadInput:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError) as e:
            raise BadInput(f"{self.source.name}: the archive is damaged ({e})") from None
        except UnicodeDecodeError:
            raise BadInput(f"{self.source.name}: not UTF-8 text") from None
        except OSError as e:
            raise BadInput(f"{self.source.name}: cannot be read ({e.strerror or e})") from None
        except Exception as e:
            import ijson

            if isinstance(e, ijson.JSONError):
                raise json_error(self.source.name, e, self._done) from None
            raise

    def _conversations(self) -> Iterator[ImportedConversation]:
        source, shape = self.source, self.shape
        if self._logs is not None:
            return self._logs.conversations()
        if shape.format == "openai":
            if shape.jsonl:
                return openai.read(_lines(source), single=False)
            if shape.top_array:
                # [{"role"...}, ...] is one conversation; [{"messages"...}, [...]] is several.
                return openai.read(_items(source, "item"), single=shape.key == "role")
            return openai.read(_items(source, ""), single=False)
        prefix = "item" if shape.top_array else ""
        items = _items(source, prefix)
        readers: dict[str, Any] = {
            "chatgpt": chatgpt.read,
            "claude": claude.read,
            "todo": ours.read,
            "llm-json": llm_rows.read_json,
        }
        return readers[shape.format](items)  # type: ignore[no-any-return]

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> ChatImport:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _items(source: Source, prefix: str) -> Iterator[Any]:
    import ijson

    assert source.stream is not None
    # A large buffer: yajl's C parser then spends its time parsing, not crossing into Python.
    stream = io.BufferedReader(source.stream, buffer_size=1 << 20)
    return ijson.items(stream, prefix, use_float=True, buf_size=1 << 18)  # type: ignore[no-any-return]


def _lines(source: Source) -> Iterator[Any]:
    """JSON Lines, one value a line; blank lines are skipped, a bad line is named."""
    import json

    assert source.stream is not None
    for number, line in enumerate(io.BufferedReader(source.stream, 1 << 20), 1):
        if line.strip():
            try:
                yield json.loads(line)
            except UnicodeDecodeError:
                raise BadInput(f"{source.name}: line {number}: not UTF-8 text") from None
            except ValueError as e:
                raise BadInput(f"{source.name}: line {number}: not valid JSON ({e})") from None


def _describe(shape: Shape) -> str:
    return {
        "chatgpt": "a ChatGPT export",
        "claude": "a Claude export",
        "llm": "an llm logs.db",
        "llm-json": "`llm logs --json` output",
        "openai": "OpenAI messages",
        "todo": "a todo chat export",
    }[shape.format]


def open_chats(data: str | os.PathLike[str] | BinaryIO, fmt: str = "auto") -> ChatImport:
    """Open an import file (a path, `-` for stdin, or a binary file object)."""
    return ChatImport(data, fmt)


def read_conversations(
    data: str | os.PathLike[str] | BinaryIO, fmt: str = "auto"
) -> Iterator[ImportedConversation]:
    """Every conversation in the file, in file order, parsed as it is read."""
    with ChatImport(data, fmt) as chats:
        yield from chats


def detect_format(data: str | os.PathLike[str] | BinaryIO) -> str:
    """The format `auto` would pick: chatgpt, claude, llm, openai or todo."""
    with ChatImport(data) as chats:
        return chats.format
