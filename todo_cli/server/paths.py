"""Where a data dir's command server lives, what code it runs, and starting one (stdlib only:
the client imports this)."""

from __future__ import annotations

import os
import stat
import sys

_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux, 104 on macOS


class Unsafe(Exception):
    """The socket's directory is not ours alone: never send it our environment."""


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

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # todo_cli/
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
