"""A forked worker of the command server: waits for one command, becomes the client, runs it.

Forked ahead of time (the spare), it may first connect to the database the last command used
(todo_cli/prepared.py) and then says it is ready. Given a command, it takes the client's
stdin, stdout and stderr, environment (TZ with `time.tzset()`), working directory, umask and
argv, rebuilds `sys.stdin`/`stdout`/`stderr` as the client had them, and runs the normal Typer
app in-process; its exit status is the command's. It is its own process group, so that the
client's forwarded Ctrl-C reaches a pager it started as well.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import sys
import time
from typing import Any, NoReturn

from todo_cli.server import protocol

READY = b"R"
_FRESH = ("--install-completion", "--show-completion")  # they detect the shell when built


def main(
    ctrl: socket.socket,
    result: int,
    url: str | None,
    command: Any,
    *,
    rehearse_in: str | None = None,
) -> NoReturn:
    """The worker's whole life (called in the forked child; never returns). `command`: the
    app's Click command, built once by the server (warm.preload)."""
    from todo_cli import prepared
    from todo_cli.cli.app import Invocation
    from todo_cli.main import exit_now, run_here

    _become_ordinary()
    if url is not None:
        prepared.connect(url)
    if rehearse_in is not None:  # a spare: see warm.py
        from todo_cli.server import warm

        warm.rehearse(command, rehearse_in)
    try:
        ctrl.sendall(READY)
        message, fds = protocol.recv(ctrl)
    except (OSError, protocol.ProtocolError, ValueError):
        message, fds = None, []
    ctrl.close()
    if message is None or len(fds) != 3:  # retired by the server, or it has gone
        protocol.close_all(fds)
        prepared.discard()
        os._exit(0)
    problem = _adopt(message, fds)
    if problem:
        sys.stderr.write(f"error: {problem}\n")
        exit_now(1)
    run = Invocation()
    fresh = any(a in _FRESH for a in sys.argv) or "_TODO_COMPLETE" in os.environ
    code = run_here(run, None if fresh else command)
    prepared.discard()
    _report(result, run)
    exit_now(code)


def _become_ordinary() -> None:
    """Undo the server's signal set-up: the command gets Python's defaults."""
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    signal.set_wakeup_fd(-1)
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _adopt(message: dict[str, Any], fds: list[int]) -> str | None:
    """Become the client's process in all that a command can see; a problem, or None."""
    for target, fd in enumerate(fds):
        if fd != target:
            os.dup2(fd, target)
            os.close(fd)
    env = message.get("env")
    argv = message.get("argv")
    if not isinstance(env, dict) or not isinstance(argv, list) or not argv:
        return "the todo server got a malformed request"
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in env.items()})
    time.tzset()
    umask = message.get("umask")
    if isinstance(umask, int):
        os.umask(umask)
    sys.argv = [str(a) for a in argv]
    main_module = sys.modules.get("__main__")
    if main_module is not None:
        main_module.__package__ = message.get("main_package")
    _streams(message.get("stdio"))
    try:
        os.chdir(str(message.get("cwd")))
    except OSError as e:
        return f"cannot enter the working directory: {e.strerror}"
    return None


def _streams(stdio: Any) -> None:
    """sys.stdin, stdout and stderr on the new descriptors, with the client's encodings and
    buffering (the server's own were made for /dev/null)."""
    specs = stdio if isinstance(stdio, list) and len(stdio) == 3 else [[None] * 4] * 3
    made = []
    for fd, spec in enumerate(specs):
        encoding, errors, line_buffering, write_through = (list(spec) + [None] * 4)[:4]
        raw: Any = open(fd, "rb" if fd == 0 else "wb", closefd=False)  # noqa: SIM115
        made.append(
            io.TextIOWrapper(
                raw,
                encoding=encoding or "utf-8",
                errors=errors or "strict",
                newline="\n",
                line_buffering=bool(line_buffering),
                write_through=bool(write_through),
            )
        )
    sys.stdin, sys.stdout, sys.stderr = made
    # (the originals too: Python falls back on them for last-resort messages)
    sys.__dict__.update(__stdin__=made[0], __stdout__=made[1], __stderr__=made[2])


def _report(result: int, run: Any) -> None:
    """Tell the server which database the command used, for the next spare to connect to."""
    from todo_cli import prepared

    runtime = getattr(run, "runtime", None)
    target = runtime.resolved_target if runtime is not None else None
    try:
        data = {"url": prepared.identity(target) if target is not None else None}
        os.write(result, json.dumps(data).encode())
    except Exception:  # a hint only
        pass
