"""Shared bits of the chat_formats tests: fixture paths and a compact view of parsed records."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from todo_cli.chat_formats import ImportedConversation, read_conversations

FIXTURES = Path(__file__).parent / "fixtures" / "chat"


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def rows(conv: ImportedConversation) -> list[tuple[object, ...]]:
    """(source_id, role, model, created_at, content) of each message, for exact comparisons."""
    return [(m.source_id, m.role, m.model, m.created_at, m.content) for m in conv.messages]


def head(conv: ImportedConversation) -> tuple[object, ...]:
    return (conv.format, conv.source_id, conv.title, conv.created_at, conv.updated_at)


def read_all(data: object, fmt: str = "auto") -> list[ImportedConversation]:
    return list(read_conversations(data, fmt))  # type: ignore[arg-type]


def zipped(tmp: Path, members: dict[str, bytes], name: str = "export.zip") -> Path:
    """A zip archive as the exports ship them: conversations.json beside other files."""
    path = tmp / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return path


def as_stdin(data: bytes) -> io.BufferedReader:
    """A non-seekable binary stream, as stdin is when a file is piped in."""

    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self._data = memoryview(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            n = min(len(buffer), len(self._data), 4096)
            buffer[:n] = self._data[:n]
            self._data = self._data[n:]
            return n

    return io.BufferedReader(Pipe())
