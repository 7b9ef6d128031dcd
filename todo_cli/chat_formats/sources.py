"""Opening what `todo chat import` is given: a path, `-` (stdin), or a file object.

A JSON file is read as a stream (the readers parse as they go, so a 200 MB export never sits in
memory whole); a .zip is opened in place and its conversations.json streamed out of it; a SQLite
database (llm's logs.db) is handed over as a path. Stdin is spooled to a temporary file only when
it holds a zip or a database, which cannot be read from a pipe.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO

from todo_cli.errors import BadInput

ACCEPTED = (
    "accepted: a ChatGPT or Claude data export (conversations.json or the export's .zip), "
    "an llm logs.db or `llm logs --json` output, OpenAI messages (JSON or JSONL), "
    "or `todo chat export --format json`"
)
SQLITE_MAGIC = b"SQLite format 3\x00"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
HEAD_BYTES = 1 << 20  # enough to see the first record's keys; read once, then replayed


class CountingReader(io.RawIOBase):
    """A byte stream that first replays `head`, then reads on; counts what it has handed out."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._rest = rest
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
        else:
            data = self._rest.read(len(buffer))
            n = len(data)
            buffer[:n] = data
        self.count += n
        return n


@dataclass
class Source:
    """One opened input: `stream` for JSON (with its first bytes in `head`), or `sqlite_path`."""

    name: str  # how errors name it: the path, "stdin", or "export.zip:conversations.json"
    head: bytes = b""
    stream: CountingReader | None = None
    sqlite_path: Path | None = None
    total_bytes: int | None = None
    _stack: ExitStack = field(default_factory=ExitStack)

    @property
    def bytes_read(self) -> int:
        return self.stream.count if self.stream is not None else 0

    def close(self) -> None:
        self._stack.close()


def _read_head(fh: IO[bytes], size: int = HEAD_BYTES) -> bytes:
    chunks: list[bytes] = []
    got = 0
    while got < size:
        chunk = fh.read(size - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _size(fh: BinaryIO) -> int | None:
    try:
        return os.fstat(fh.fileno()).st_size if fh.seekable() else None
    except (OSError, AttributeError, io.UnsupportedOperation):
        return None


def _spool(head: bytes, fh: BinaryIO, stack: ExitStack) -> Path:
    """Copy a pipe to a temporary file, for formats that need to seek (zip, SQLite)."""
    tmp = stack.enter_context(tempfile.NamedTemporaryFile(prefix="todo-import-"))  # noqa: SIM115
    tmp.write(head)
    shutil.copyfileobj(fh, tmp, 1 << 20)
    tmp.flush()
    return Path(tmp.name)


def _check_text(name: str, head: bytes) -> bytes:
    """Drop a UTF-8 byte order mark; refuse other encodings in one line, before parsing."""
    if head.startswith(b"\xef\xbb\xbf"):
        return head[3:]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(head) > 1 and b"\x00" in head[:4]):
        raise BadInput(f"{name}: the file is UTF-16 or UTF-32 text; save it as UTF-8")
    if head.lstrip()[:1] not in (b"[", b"{"):
        return head  # not JSON at all: detection says what it is instead
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4 or len(head) < HEAD_BYTES:  # not merely cut by the head's end
            raise BadInput(f"{name}: not UTF-8 text (byte {e.start + 1} cannot be read)") from None
    return head


def _open_zip(name: str, path: Path, source: Source) -> None:
    try:
        archive = source._stack.enter_context(zipfile.ZipFile(path))
        members = [
            i for i in archive.infolist() if i.filename.rsplit("/", 1)[-1] == "conversations.json"
        ]
    except (zipfile.BadZipFile, OSError, EOFError):
        raise BadInput(f"{name}: not a readable zip archive (truncated or damaged?)") from None
    if not members:
        raise BadInput(
            f"{name}: a zip archive without conversations.json; expected a ChatGPT or Claude "
            "data export"
        )
    info = min(members, key=lambda i: (i.filename.count("/"), i.filename))
    source.name = f"{name}:{info.filename}"
    try:
        member: IO[bytes] = source._stack.enter_context(archive.open(info))
        head = _read_head(member)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as e:
        raise BadInput(f"{source.name}: cannot be read from the archive ({e})") from None
    source.head = _check_text(source.name, head)
    source.stream = CountingReader(source.head, member)
    source.total_bytes = info.file_size


@contextmanager
def open_source(data: str | os.PathLike[str] | BinaryIO) -> Iterator[Source]:
    """Open a path, `-` for stdin, or a binary file object; closes what it opened."""
    source = Source(name="stdin")
    try:
        fh = _open(data, source)
        head = _read_head(fh)
        if not head:
            raise BadInput(f"{source.name}: the file is empty; {ACCEPTED}")
        path = Path(data) if isinstance(data, str | os.PathLike) and str(data) != "-" else None
        if head.startswith(SQLITE_MAGIC) or head.startswith(ZIP_MAGICS):
            if path is None or not path.is_file():
                path = _spool(head, fh, source._stack)
            if head.startswith(SQLITE_MAGIC):
                source.sqlite_path = path
            else:
                _open_zip(source.name, path, source)
        else:
            source.head = _check_text(source.name, head)
            source.stream = CountingReader(source.head, fh)
            source.total_bytes = _size(fh)
        yield source
    finally:
        source.close()


def _open(data: str | os.PathLike[str] | BinaryIO, source: Source) -> BinaryIO:
    if isinstance(data, str | os.PathLike):
        if str(data) == "-":
            return sys.stdin.buffer
        source.name = str(data)
        try:
            return source._stack.enter_context(open(data, "rb"))
        except FileNotFoundError:
            raise BadInput(f"no such file: {data}") from None
        except IsADirectoryError:
            raise BadInput(f"{data} is a directory, not a file") from None
        except OSError as e:
            raise BadInput(f"cannot read {data}: {e.strerror or e}") from None
    if isinstance(data, io.TextIOBase):
        buffer = getattr(data, "buffer", None)
        if buffer is None:
            raise BadInput("give the importer a binary file object, not a text one")
        data = buffer
    source.name = str(getattr(data, "name", "stdin"))
    return data
