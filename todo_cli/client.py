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
import stat
import sys

from todo_cli.server import protocol

# typing costs a few ms to import: only for the type checker.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CONNECT_TIMEOUT = 2.0  # seconds to reach and hear from a live server before running here
_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux, 104 on macOS


class Unsafe(Exception):
    """The socket's directory is not ours alone: never send it our environment."""


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


def data_dir() -> str:
    """config.data_dir() without importing Click: TODO_HOME, else Click's app dir for "todo"."""
    home = os.environ.get("TODO_HOME")
    if home:
        return os.path.abspath(os.path.expanduser(home))
    if sys.platform == "darwin":
        return os.path.join(os.path.expanduser("~/Library/Application Support"), "todo")
    config = os.environ.get("XDG_CONFIG_HOME", os.path.expanduser("~/.config"))
    return os.path.abspath(os.path.join(config, "todo"))


def state_dir(data: str) -> str:
    """The server's lock, pid file and (mostly) its socket: `<data dir>/server`, mode 0700."""
    return os.path.join(data, "server")


def socket_path(data: str) -> str:
    """In the state dir, unless that path is too long for a Unix socket: then in a 0700
    directory of our own under the temp dir, named after the data dir."""
    path = os.path.join(state_dir(data), "sock")
    if len(os.fsencode(path)) <= _MAX_SOCKET_PATH:
        return path
    tmp = os.environ.get("TMPDIR", "/tmp")
    if len(tmp) > 60:
        tmp = "/tmp"
    return os.path.join(tmp, f"todo-{os.getuid()}-{_fnv(data):016x}", "sock")


def _fnv(text: str) -> int:
    """FNV-1a, 64 bits: a stable name (hash() of a str changes with every process)."""
    h = 0xCBF29CE484222325
    for byte in os.fsencode(text):
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def check_private(directory: str) -> None:
    """Raise Unsafe unless `directory` is a real directory of ours that only we can open."""
    try:
        st = os.lstat(directory)
    except FileNotFoundError:
        raise
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise Unsafe(directory)


def fingerprint() -> str:
    """The version and a hash of the installed code (sizes and mtimes of todo_cli's .py files)
    and of the interpreter (its venv and version): a server whose fingerprint differs from the
    client's is restarted."""
    from todo_cli import __version__

    root = os.path.dirname(os.path.abspath(__file__))
    entries: list[tuple[str, int, int]] = []
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        stack.append(entry.path)
                elif entry.name.endswith(".py"):
                    st = entry.stat()
                    entries.append((entry.path, st.st_size, st.st_mtime_ns))
    entries.sort()  # by path: the order is the same in every process
    # hash() of ints and tuples of ints is the same in every process (only str is salted).
    sizes = tuple((size, mtime) for _path, size, mtime in entries)
    code = hash((sizes, _fnv(sys.prefix), sys.hexversion)) & 0xFFFFFFFFFFFF
    return f"{__version__}-{code:012x}"


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


def alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


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


def start_server(data: str) -> None:
    """Start a server for `data` in the background, detached from the terminal (double fork,
    new session), and return at once. It exits by itself if another one got there first."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        try:
            os.setsid()
            if os.fork():
                os._exit(0)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.chdir("/")
            # -P: never import from the working directory.
            os.execv(sys.executable, [sys.executable, "-P", "-m", "todo_cli.server", data])
        finally:
            os._exit(127)
    os.waitpid(pid, 0)
