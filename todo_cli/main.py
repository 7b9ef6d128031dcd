"""The `todo` console script (and `python -m todo_cli`).

Two things here are about speed, since every command pays them:

- `todo --version` is answered before Typer and the command modules load.
- After the command has run, its output is flushed, its connections are closed and the
  `atexit` handlers have run, the process ends with `os._exit` instead of tearing the
  interpreter down. That teardown frees every object of SQLAlchemy, pydantic, Rich and Typer
  one by one, which measured about 170 ms of a 1 s `todo list` on a slow machine, and it
  has no effect a user could see: the files and the database are already closed.
"""

import atexit
import os
import sys

PIPE_CLOSED = 141  # 128 + SIGPIPE (cli/app.py returns it when a write hit a closed pipe)


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from todo_cli import __version__

        sys.stdout.write(f"todo {__version__}\n")
        return
    from todo_cli.cli.app import main as run

    try:
        run()
        code = 0
    except SystemExit as e:
        code = _exit_status(e.code)
    _exit_now(code)


def _exit_status(code: object) -> int:
    """What `sys.exit(code)` would make the process exit with."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _exit_now(code: int) -> None:
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
