"""The server's hold on its data dir: the lock (one server per data dir), the pid file and the
listening socket in a directory only the user can open."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from typing import IO

from todo_cli.server import paths


class Place:
    def __init__(self, data: str) -> None:
        self.state = paths.state_dir(data)
        self.sock_path = paths.socket_path(data)
        self.lock: IO[str] | None = None
        self.listener: socket.socket | None = None

    def claim(self) -> bool:
        """Take the data dir's lock and write the pid file; False if another server has it."""
        os.makedirs(self.state, mode=0o700, exist_ok=True)
        paths.check_private(self.state)
        self.lock = open(os.path.join(self.state, "lock"), "a+")  # noqa: SIM115 - held for life
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.lock.close()
            self.lock = None
            return False
        pid_file = os.path.join(self.state, "pid")
        with open(pid_file + ".tmp", "w") as fh:
            json.dump({"pid": os.getpid(), "since": time.time()}, fh)
        os.replace(pid_file + ".tmp", pid_file)
        return True

    def listen(self) -> socket.socket:
        """Bind the socket (0600, in a 0700 directory of ours) and listen."""
        sock_dir = os.path.dirname(self.sock_path)
        if sock_dir != self.state:  # the short path under the temp dir
            with contextlib.suppress(FileExistsError):
                os.mkdir(sock_dir, 0o700)
            paths.check_private(sock_dir)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.sock_path)  # a dead server's: we hold the lock
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.sock_path)
        os.chmod(self.sock_path, 0o600)
        listener.listen(64)
        listener.setblocking(False)
        self.listener = listener
        return listener

    def leave(self) -> None:
        """Stop listening and let go of the data dir: a new server may start while this one
        finishes the commands it runs."""
        if self.listener is not None:
            self.listener.close()
            self.listener = None
            with contextlib.suppress(OSError):
                os.unlink(self.sock_path)
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(self.state, "pid"))
        if self.lock is not None:
            self.lock.close()
            self.lock = None

    def close_in_child(self) -> None:
        """In a forked worker: close the descriptors without touching the files."""
        if self.listener is not None:
            self.listener.close()
        if self.lock is not None:
            self.lock.close()
