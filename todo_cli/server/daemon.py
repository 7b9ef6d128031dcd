"""The command server's loop: accept same-uid clients, hand each command to a worker, report.

One server per data dir (an exclusive lock on `<data dir>/server/lock`). It listens on a Unix
socket in a 0700 directory and accepts only peers with its own uid (SO_PEERCRED). A command
goes to the spare worker when one is ready (connected to the last command's database) or to
a freshly forked one; the client gets the worker's pid (to forward signals), then its exit
status when the server reaps it. It exits after TODO_SERVER_IDLE seconds without a command
(default 600), on `todo server stop` or SIGTERM, and when a client's code fingerprint differs
(the client then starts a new one). Nothing it logs carries argv or the environment.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from todo_cli.server import paths, protocol
from todo_cli.server.children import Worker, fork_worker
from todo_cli.server.place import Place
from todo_cli.server.timing import DEFAULT_SPARE_AGE, SPARE_BACKOFF, idle_seconds, seconds


def _received(sock: socket.socket) -> bool:
    """Whether a readable socket had bytes (False: the other end closed, or reset it)."""
    try:
        return bool(sock.recv(16))
    except OSError:
        return False


def allowed(peer: int | None, own: int) -> bool:
    """Only the server's own user may run commands through it."""
    return peer is not None and peer == own


class Server:
    def __init__(self, data: str, log: Callable[[str], None]) -> None:
        self.data = data
        self.log = log
        self.idle = idle_seconds(os.environ)
        self.spare_age = seconds(os.environ, "TODO_SERVER_SPARE_AGE", DEFAULT_SPARE_AGE)
        self.fingerprint = paths.fingerprint()
        self.started = time.time()
        self.last_activity = time.monotonic()
        self.served = 0
        self.stopping: str | None = None
        self.running: dict[int, Worker] = {}
        self.spare: Worker | None = None
        self.spare_after = 0.0
        self.last_url: str | None = None
        self.sel = selectors.DefaultSelector()
        self.place = Place(data)
        self.scratch = os.path.join(paths.state_dir(data), "warm")  # warm.py's data dir
        self.command: Any = None  # the app's Click command, built once (warm.preload)
        self._wake_r, self._wake_w = os.pipe()

    # -- set-up and shut-down --------------------------------------------------------------

    def claim(self) -> bool:
        """Take the data dir's lock; False if another server has it."""
        return self.place.claim()

    def listen(self) -> None:
        """Bind the socket (after the imports: until then clients run in-process)."""
        self.sel.register(self.place.listen(), selectors.EVENT_READ, "accept")
        os.set_blocking(self._wake_w, False)
        signal.set_wakeup_fd(self._wake_w)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, lambda *_: None)
        self.sel.register(self._wake_r, selectors.EVENT_READ, "signal")

    def _close_listener(self) -> None:
        if self.place.listener is not None:
            self.sel.unregister(self.place.listener)
        self.place.leave()

    def _stop(self, reason: str) -> None:
        if self.stopping is None:
            self.stopping = reason
            self.log(f"stopping: {reason}")
        self._close_listener()
        self._retire_spare()

    def close_in_child(self, keep: Worker | None = None) -> None:
        """In a forked worker: let go of every descriptor of the server's."""
        self.place.close_in_child()
        self.sel.close()
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)
        for other in [*self.running.values(), self.spare]:
            if other is not None and other is not keep:
                other.close()

    # -- the loop --------------------------------------------------------------------------

    def serve(self) -> str:
        self.log(f"started pid {os.getpid()}")
        self.last_activity = time.monotonic()  # idle from now, not from before the imports
        while True:
            for key, _events in self.sel.select(self._timeout()):
                if key.data == "accept":
                    self._accept()
                elif key.data == "signal":
                    self._signalled()
                elif isinstance(key.data, Worker):
                    self._readable(key.data, key.fileobj)
            self._reap()
            if self.stopping is None and not self.running:
                if time.monotonic() - self.last_activity >= self.idle:
                    self._stop("idle")
                else:
                    self._tend_spare()
            if self.stopping is not None and not self.running:
                self._retire_spare()
                return self.stopping

    def _timeout(self) -> float:
        """Until the next thing to do: the idle exit, or the spare turning too old."""
        if self.running:
            return 5.0
        now = time.monotonic()
        due = [self.last_activity + self.idle, now + 30.0]
        if self.spare is not None and self.spare.url is not None:
            due.append(min(self.spare.born, self.last_activity) + self.spare_age)
        return max(0.05, min(due) - now)

    def _signalled(self) -> None:
        try:
            got = os.read(self._wake_r, 512)
        except BlockingIOError:
            return
        if any(n in got for n in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)):
            self._stop("signal")

    def _accept(self) -> None:
        assert self.place.listener is not None
        try:
            conn, _ = self.place.listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        conn.settimeout(2.0)
        peer = protocol.peer_uid(conn)
        if not allowed(peer, os.getuid()):
            self.log(f"refused a client of uid {peer}")
            conn.close()
            return
        try:
            message, fds = protocol.recv(conn)
        except (OSError, protocol.ProtocolError, ValueError):
            conn.close()
            return
        protocol.close_all(fds)
        op = message.get("op") if message is not None else None
        if op == "run" and message is not None:
            self._run(conn, message)
            return
        with contextlib.suppress(OSError):
            if op == "status":
                protocol.send(conn, self.status())
            elif op == "stop":
                protocol.send(conn, {"stopping": True, "pid": os.getpid()})
                self._stop("server stop")
        conn.close()

    def status(self) -> dict[str, Any]:
        spare = self.spare
        return {
            "running": True,
            "pid": os.getpid(),
            "since": datetime.fromtimestamp(self.started, UTC).isoformat(),
            "commands": self.served,
            "running_commands": len(self.running),
            "version": self.fingerprint,
            "idle_exit_seconds": self.idle,
            "spare_worker": spare.pid if spare is not None else None,
            "spare_connected": bool(spare is not None and spare.url and spare.ready),
            "socket": self.place.sock_path,
        }

    def _run(self, conn: socket.socket, message: dict[str, Any]) -> None:
        worker: Worker | None = None
        if message.get("version") != self.fingerprint or self.stopping is not None:
            self._stop("the installed code changed")
            with contextlib.suppress(OSError):
                protocol.send(conn, {"restart": True})
        else:
            worker = self._hand_over(message, conn)
        if worker is None:
            conn.close()
            return
        conn.settimeout(None)
        worker.conn = conn
        self.sel.register(conn, selectors.EVENT_READ, worker)

    def _hand_over(self, message: dict[str, Any], conn: socket.socket) -> Worker | None:
        """Tell the client which worker will run its command; it answers go, with its stdin,
        stdout and stderr, and only then does the worker get the command: a client that gave
        up waiting (and ran the command itself) never has it run twice. The worker is the
        ready spare, else a new one."""
        worker, self.spare = self.spare, None
        if worker is not None:
            with contextlib.suppress(KeyError, ValueError):
                self.sel.unregister(worker.ctrl)
            if not worker.ready:
                worker.retire()
                worker = None
        if worker is None:
            worker = fork_worker(self, None)
        self.running[worker.pid] = worker
        fds: list[int] = []
        try:
            protocol.send(conn, {"pid": worker.pid})
            go, fds = protocol.recv(conn)
            if go is not None and go.get("go") and len(fds) == 3 and worker.give(message, fds):
                worker.started = True
                return worker
        except (OSError, protocol.ProtocolError, ValueError):
            pass
        finally:
            protocol.close_all(fds)
        worker.retire()  # reaped (and forgotten) by the loop
        return None

    def _readable(self, worker: Worker, fileobj: Any) -> None:
        if fileobj.fileno() < 0:  # closed by an earlier event of the same select() (retired)
            return
        if fileobj is worker.ctrl:  # the spare says it is ready (or it died)
            if _received(worker.ctrl):
                worker.ready = True
            else:
                self.sel.unregister(worker.ctrl)
            return
        if worker.conn is not None and not _received(worker.conn):  # the client has gone
            self.sel.unregister(worker.conn)
            worker.conn.close()
            worker.conn = None
            worker.signal(signal.SIGTERM)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self._finished(pid, status)

    def _finished(self, pid: int, status: int) -> None:
        if self.spare is not None and self.spare.pid == pid:
            self.log(f"the spare worker {pid} died (status {status})")
            with contextlib.suppress(KeyError, ValueError):
                self.sel.unregister(self.spare.ctrl)
            self.spare.close()
            self.spare = None
            self.spare_after = time.monotonic() + SPARE_BACKOFF
            return
        worker = self.running.pop(pid, None)
        if worker is None:
            return
        if not worker.started:
            worker.close()
            return
        self.served += 1
        self.last_activity = time.monotonic()
        url = worker.used_url()
        if url is not None or self.last_url is None:
            self.last_url = url
        if worker.conn is not None:
            self.sel.unregister(worker.conn)
            if os.WIFSIGNALED(status):
                reply: dict[str, Any] = {"signal": os.WTERMSIG(status)}
            else:
                reply = {"exit": os.waitstatus_to_exitcode(status) & 0xFF}
            with contextlib.suppress(OSError):
                protocol.send(worker.conn, reply)
        worker.close()

    def _tend_spare(self) -> None:
        """Keep one spare: connected to the last command's database while commands come,
        and never on a connection older than `spare_age` (TODO_SERVER_SPARE_AGE)."""
        now = time.monotonic()
        # After a quiet spell the spare stays unconnected: one reconnecting every few
        # minutes of an idle evening would keep a Neon compute from suspending.
        url = self.last_url if now - self.last_activity < self.spare_age else None
        spare = self.spare
        stale = spare is not None and spare.url is not None and now - spare.born >= self.spare_age
        if spare is not None and (spare.url != url or stale):
            self._retire_spare()
            spare = None
        if spare is None and now >= self.spare_after:
            self.spare = fork_worker(self, url, spare=True)
            self.sel.register(self.spare.ctrl, selectors.EVENT_READ, self.spare)

    def _retire_spare(self) -> None:
        if self.spare is not None:
            with contextlib.suppress(KeyError, ValueError):
                self.sel.unregister(self.spare.ctrl)
            self.spare.retire()
            self.spare = None
