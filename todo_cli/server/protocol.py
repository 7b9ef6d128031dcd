"""The wire format between the `todo` client, the command server and its workers (stdlib only).

A message is a 4-byte big-endian length and that many bytes of a `marshal`led dict of plain
values (str, int, bool, None, lists and dicts of them); file descriptors travel with the first
byte of a message as SCM_RIGHTS ancillary data. The client imports this module, so it must
stay as cheap as `socket` and `struct`: `marshal` is built into the interpreter, where `json`
(and the `re` it imports) cost the client about 4 ms of its 30. Both ends are the same Python
(the client starts the server with its own interpreter, and a server whose code differs is
replaced), and only a process of the server's own user may connect (`peer_uid`), which could
do anything the server can anyway.
"""

from __future__ import annotations

import marshal
import os
import socket
import struct

# typing costs a few ms to import: only for the type checker.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_HEADER = struct.Struct(">I")
MAX_MESSAGE = 16 << 20  # a request is argv + environ: far below this
MAX_FDS = 8


class ProtocolError(Exception):
    """The other side sent something that is not a message (or closed in the middle of one)."""


def send(sock: socket.socket, data: dict[str, Any], fds: list[int] | None = None) -> None:
    body = marshal.dumps(data)
    payload = _HEADER.pack(len(body)) + body
    if fds:
        sent = socket.send_fds(sock, [payload], fds)
        payload = payload[sent:]
    if payload:
        sock.sendall(payload)


def recv(sock: socket.socket) -> tuple[dict[str, Any] | None, list[int]]:
    """The next message and the descriptors that came with it; (None, []) on a clean EOF."""
    fds: list[int] = []
    buf = b""
    try:
        while len(buf) < _HEADER.size:
            # Exactly the header, then exactly the body: never a byte of the next message.
            chunk, got, _flags, _addr = socket.recv_fds(sock, _HEADER.size - len(buf), MAX_FDS)
            fds += got
            if not chunk:
                if buf:
                    raise ProtocolError("connection closed inside a message")
                return None, fds
            buf += chunk
        (size,) = _HEADER.unpack_from(buf)
        if size > MAX_MESSAGE:
            raise ProtocolError(f"message of {size} bytes")
        while len(buf) < _HEADER.size + size:
            chunk = sock.recv(_HEADER.size + size - len(buf))
            if not chunk:
                raise ProtocolError("connection closed inside a message")
            buf += chunk
        data = marshal.loads(buf[_HEADER.size : _HEADER.size + size])
    except (ValueError, EOFError, TypeError):
        close_all(fds)
        raise ProtocolError("not a message") from None
    except BaseException:
        close_all(fds)
        raise
    if not isinstance(data, dict):
        close_all(fds)
        raise ProtocolError("a message is a dict")
    return data, fds


def close_all(fds: list[int]) -> None:
    for fd in fds:
        try:  # noqa: SIM105 - contextlib is not imported by the client
            os.close(fd)
        except OSError:
            pass


def peer_uid(sock: socket.socket) -> int | None:
    """The uid of the process at the other end of a Unix socket (None where unknown)."""
    if hasattr(socket, "SO_PEERCRED"):  # Linux: struct ucred {pid, uid, gid}
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", raw)
        return int(uid)
    getpeereid = getattr(os, "getpeereid", None)  # not in CPython today; BSDs would need it
    if getpeereid is not None:
        return int(getpeereid(sock.fileno())[0])
    return None
