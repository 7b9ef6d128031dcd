"""The `todo` console script (and `python -m todo_cli`).

Two things here are about speed, since every command pays them:

- `todo --version` is answered before Typer and the command modules load.
- When a command server runs (todo_cli/client.py, todo_cli/server/), the command is handed to
  it, which has all of that imported already; otherwise it runs here, in-process, as always.
- After the command has run, its output is flushed, its connections are closed and the
  `atexit` handlers have run, the process ends with `os._exit` instead of tearing the
  interpreter down. That teardown frees every object of SQLAlchemy, pydantic, Rich and Typer
  one by one, which measured about 170 ms of a 1 s `todo list` on a slow machine, and it
  has no effect a user could see: the files and the database are already closed.
"""

from __future__ import annotations

import atexit
import os
import sys

# typing costs a few ms to import, and the client (this module) must stay cheap.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

PIPE_CLOSED = 141  # 128 + SIGPIPE (cli/app.py returns it when a write hit a closed pipe)


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from todo_cli import __version__

        sys.stdout.write(f"todo {__version__}\n")
        return
    from todo_cli import client

    served = client.run(sys.argv)
    if served is not None:
        exit_now(served)
    exit_now(run_here())


def run_here(obj: object = None, command: Any = None) -> int:
    """Run the command of sys.argv in this process; its exit status. `obj`: the Invocation
    to fill in (the server's worker reads which database the command used from it);
    `command`: the app's Click command if it was built already (by the server)."""
    from todo_cli.cli.app import app

    run = command if command is not None else app
    try:
        run(obj=obj) if obj is not None else run()
        return 0
    except SystemExit as e:
        return _exit_status(e.code)


def _exit_status(code: object) -> int:
    """What `sys.exit(code)` would make the process exit with."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def exit_now(code: int) -> NoReturn:
    """Flush, run the atexit handlers and end the process with `code` (never returns)."""
    atexit._run_exitfuncs()  # logging's flush-and-close, among others
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # `todo list | head`: the reader has gone
            code = PIPE_CLOSED
    if code == PIPE_CLOSED:  # end the way `git log | head` does: by the signal, quietly
        import signal

        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGPIPE)
    os._exit(code)
