"""The server's side of its workers: forking one, handing it a command, retiring it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from todo_cli.server import protocol

if TYPE_CHECKING:
    from todo_cli.server.daemon import Server


@dataclass(eq=False)
class Worker:
    pid: int
    ctrl: socket.socket  # the server's end of the worker's control socket
    result: int  # read end of the pipe the worker names its database in
    url: str | None  # the database it connected to ahead of time (None: none)
    born: float = field(default_factory=time.monotonic)
    ready: bool = False  # it has connected (if it was to) and waits for a command
    started: bool = False  # it has been given a command
    conn: socket.socket | None = None  # the client, while it runs a command

    def give(self, message: dict[str, Any], fds: list[int]) -> bool:
        """Send it the command and the client's descriptors; False if it is not there."""
        try:
            protocol.send(self.ctrl, message, fds)
        except OSError:
            return False
        return True

    def signal(self, signum: int) -> None:
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(OSError):
                kill(self.pid, signum)
                return

    def retire(self) -> None:
        """A waiting worker is told to go by closing its control socket (it then disconnects
        cleanly); one still connecting or rehearsing is killed (it would go on using a core
        while a command runs). Reaped by the server's loop."""
        if not self.ready:
            self.signal(signal.SIGKILL)
        self.close()

    def used_url(self) -> str | None:
        """The database the finished command used, as the worker reported it."""
        try:
            raw = os.read(self.result, 1 << 16)
            value = json.loads(raw).get("url") if raw else None
        except (OSError, ValueError, AttributeError):
            return None
        return value if isinstance(value, str) else None

    def close(self) -> None:
        self.ctrl.close()
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.result >= 0:
            with contextlib.suppress(OSError):
                os.close(self.result)
            self.result = -1


def fork_worker(server: Server, url: str | None, *, spare: bool = False) -> Worker:
    """Fork a worker that (connects to `url` and) waits for a command on its control socket;
    a `spare` rehearses first (warm.rehearse)."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which never returns
        try:
            ours.close()
            os.close(read_end)
            server.close_in_child()
            from todo_cli.server import worker

            rehearse_in = server.scratch if spare else None
            worker.main(theirs, write_end, url, server.command, rehearse_in=rehearse_in)
        finally:
            os._exit(70)
    theirs.close()
    os.close(write_end)
    os.set_blocking(read_end, False)
    with contextlib.suppress(OSError):  # (the child does it too: whichever runs first)
        os.setpgid(pid, pid)
    return Worker(pid, ours, read_end, url)
