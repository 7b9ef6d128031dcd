"""The command-server client: hands a command to a running `todo` server, or says to run it here.

Imports only the standard library's cheapest modules (the point is to answer in tens of
milliseconds): no Typer, no SQLAlchemy, not even `todo_cli.config`. The server
(todo_cli/server/) has the app imported and forks a worker per command, which takes this
process's stdin, stdout and stderr (SCM_RIGHTS), environment, working directory and umask,
so the command behaves exactly as it would here.

`TODO_SERVER=off` never uses or starts a server, `TODO_SERVER=on` does even when stdout is not a
terminal; by default only terminals do, so cron jobs and CI leave no process behind. Whatever
goes wrong before the command has started runs it in-process instead; once it has started, a
worker or server that dies is reported as the command failing (exit 1).
"""

from __future__ import annotations

import os
import signal
import socket
import sys

from todo_cli.server import protocol
from todo_cli.server.paths import Unsafe as Unsafe
from todo_cli.server.paths import alive as alive
from todo_cli.server.paths import check_private as check_private
from todo_cli.server.paths import data_dir as data_dir
from todo_cli.server.paths import fingerprint as fingerprint
from todo_cli.server.paths import socket_path as socket_path
from todo_cli.server.paths import start_server as start_server
from todo_cli.server.paths import state_dir as state_dir

# typing costs a few ms to import: only for the type checker.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CONNECT_TIMEOUT = 2.0  # seconds to reach and hear from a live server before running here


def supported() -> bool:
    """fork and fd passing exist (not on Windows)."""
    return hasattr(os, "fork") and hasattr(socket, "AF_UNIX") and hasattr(socket, "send_fds")


def wanted(env: dict[str, str] | os._Environ[str]) -> bool:
    mode = env.get("TODO_SERVER", "").strip().lower()
    if mode in ("off", "0", "no", "false"):
        return False
    if mode in ("on", "1", "yes", "true"):
        return True
    try:
        return os.isatty(1)
    except OSError:
        return False


def connect(data: str) -> socket.socket:
    """A connection to the server of `data`, checked to be ours (directory and peer uid)."""
    path = socket_path(data)
    check_private(os.path.dirname(path))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(CONNECT_TIMEOUT)
        sock.connect(path)
        if protocol.peer_uid(sock) not in (None, os.getuid()):
            raise Unsafe(path)
    except BaseException:
        sock.close()
        raise
    return sock


def request(sock: socket.socket, message: dict[str, Any]) -> dict[str, Any] | None:
    """One control request (status, stop) and its reply."""
    protocol.send(sock, message)
    reply, fds = protocol.recv(sock)
    protocol.close_all(fds)
    return reply


def control(op: str, data: str | None = None) -> dict[str, Any] | None:
    """Ask the server `op` ("status", "stop"); None when no server answers."""
    try:
        with connect(data or data_dir()) as sock:
            return request(sock, {"op": op})
    except (OSError, Unsafe, protocol.ProtocolError, ValueError):
        return None


def run(argv: list[str]) -> int | None:
    """Run the command through the server: its exit status, or None to run it in-process."""
    if not supported() or not wanted(os.environ) or argv[1:2] == ["server"]:
        return None
    try:
        data = data_dir()
        sock = connect(data)
    except (FileNotFoundError, ConnectionRefusedError):
        _start_quietly(data)
        return None
    except Exception:  # unsafe directory, a hung server, anything: run here
        return None
    with sock, _Forwarder() as forwarder:
        try:
            protocol.send(sock, _run_request(argv))
            reply, fds = protocol.recv(sock)
            protocol.close_all(fds)
            pid = reply.get("pid") if reply is not None else None
            if isinstance(pid, int) and pid > 1:
                # Only now our stdin, stdout and stderr: a server that hangs before this
                # point never holds them (a reader of our pipe would wait for it forever).
                protocol.send(sock, {"go": True}, [0, 1, 2])  # the command is the worker's
            elif reply is not None and reply.get("restart"):
                _start_quietly(data)  # the old server is on its way out
                return None
            else:
                return None
        except Exception:
            return None  # the command has not started: it runs here
        forwarder.attach(pid)
        sock.settimeout(None)
        return _wait(sock, pid, forwarder)


class _Forwarder:
    """Signals for the command go to its worker's process group (held back until the pid is
    known; re-raised here if the command runs in-process after all)."""

    _FORWARD = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.pid: int | None = None
        self.pending: list[int] = []
        self.forwarded: set[int] = set()
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _Forwarder:
        for signum in self._FORWARD:
            self._old[signum] = signal.signal(signum, self._forward)
        self._old[signal.SIGTSTP] = signal.signal(signal.SIGTSTP, self._suspend)
        return self

    def attach(self, pid: int) -> None:
        self.pid = pid
        for signum in self.pending:
            self._forward(signum, None)
        self.pending.clear()

    def _forward(self, signum: int, _frame: object) -> None:
        if self.pid is None:
            self.pending.append(signum)
            return
        self.forwarded.add(signum)
        _killpg(self.pid, signum)

    def _suspend(self, _signum: int, _frame: object) -> None:
        # The worker's group is orphaned (the server is a daemon): SIGTSTP would be ignored.
        if self.pid is not None:
            _killpg(self.pid, signal.SIGSTOP)
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTSTP)  # stops here until the shell continues us
        signal.signal(signal.SIGTSTP, self._suspend)
        if self.pid is not None:
            _killpg(self.pid, signal.SIGCONT)

    def __exit__(self, *_exc: object) -> None:
        for signum, old in self._old.items():
            signal.signal(signum, old)
        for signum in self.pending:  # never forwarded: they are ours to act on now
            os.kill(os.getpid(), signum)


def _run_request(argv: list[str]) -> dict[str, Any]:
    umask = os.umask(0o22)
    os.umask(umask)
    main = sys.modules.get("__main__")
    streams = (sys.stdin, sys.stdout, sys.stderr)
    return {
        "op": "run",
        "version": fingerprint(),
        "argv": argv,
        "env": dict(os.environ),
        "cwd": os.getcwd(),
        "umask": umask,
        # Click names the program after how it was started (`todo` or `python -m todo_cli`).
        "main_package": getattr(main, "__package__", None),
        "stdio": [
            [s.encoding, s.errors, s.line_buffering, getattr(s, "write_through", False)]
            for s in streams
        ],
    }


def _wait(sock: socket.socket, pid: int, forwarder: _Forwarder) -> int:
    """Wait for the server to report how the worker ended."""
    try:
        reply, fds = protocol.recv(sock)
        protocol.close_all(fds)
    except (OSError, protocol.ProtocolError, ValueError):
        reply = None
    if reply is None:
        _killpg(pid, signal.SIGTERM)  # a worker without its server: end it, as in-process
        return _fail("the todo server stopped during the command (the next one starts a new one)")
    code = reply.get("exit")
    if isinstance(code, int):
        return code
    died = reply.get("signal")
    if isinstance(died, int):
        if died in forwarder.forwarded or died == signal.SIGPIPE:
            # End the way the command would have in-process: by the same signal.
            signal.signal(died, signal.SIG_DFL)
            os.kill(os.getpid(), died)
            return 128 + died
        return _fail(f"the command's worker process died ({_signal_name(died)})")
    return _fail("the todo server sent an unexpected reply")


def _killpg(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)
    except OSError:  # gone already, or not yet its own group
        try:  # noqa: SIM105 - contextlib is not imported by the client
            os.kill(pid, signum)
        except OSError:
            pass


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _fail(message: str) -> int:
    try:
        sys.stderr.write(f"error: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    return 1


def _start_quietly(data: str) -> None:
    try:  # noqa: SIM105 - contextlib is not imported by the client
        start_server(data)
    except Exception:  # no server this time; the command runs here regardless
        pass
