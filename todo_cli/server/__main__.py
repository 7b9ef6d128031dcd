"""`python -m todo_cli.server DATA_DIR`: run the command server (the client starts it, detached).

It imports the whole app first (warm.py), so that forked workers start with everything loaded,
then serves until it is idle, stopped or outdated. Its log (`<data dir>/server/log`) says when it
started and why it stopped, never what a command was.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable

_LOG_LIMIT = 256 << 10


def _logger(data: str) -> Callable[[str], None]:
    from todo_cli.server.paths import state_dir

    path = os.path.join(state_dir(data), "log")

    def log(line: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with contextlib.suppress(OSError):
            if os.path.exists(path) and os.path.getsize(path) > _LOG_LIMIT:
                os.replace(path, path + ".1")
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a") as fh:
                fh.write(f"{stamp} {line}\n")

    return log


def main(argv: list[str]) -> int:
    from todo_cli.server import warm
    from todo_cli.server.daemon import Server

    if len(argv) != 2:
        sys.stderr.write("usage: python -m todo_cli.server DATA_DIR\n")
        return 2
    data = os.path.abspath(argv[1])
    log = _logger(data)
    server = Server(data, log)
    if not server.claim():
        return 0  # another server has the data dir
    server.command = warm.preload(server.scratch)
    server.listen()
    try:
        reason = server.serve()
    except BaseException as e:  # the log says why the server went (never argv or env)
        import traceback

        where = traceback.extract_tb(e.__traceback__)[-1]
        log(f"crashed: {type(e).__name__} at {where.filename}:{where.lineno} ({where.name})")
        raise
    finally:
        warm.clean_up(server.scratch)
    log(f"exited: {reason}; commands served: {server.served}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
