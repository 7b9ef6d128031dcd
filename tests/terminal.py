"""Running `todo` on a real terminal (a pseudo-terminal), for what only happens there: Markdown
rendering, the pager, the progress bar, the hint at a `-` prompt. This module holds no tests."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass

from tests import servers


@dataclass
class TtyRun:
    exit_code: int
    output: str  # stdout and stderr as the terminal got them (\r\n line ends)

    @property
    def lines(self) -> list[str]:
        return self.output.replace("\r\n", "\n").split("\n")


def on_tty(
    *args: str,
    typed: str | None = None,
    env: dict[str, str] | None = None,
    columns: int = 100,
    rows: int = 40,
    timeout: float = 60,
) -> TtyRun:
    """`python -m todo_cli ARGS` with stdin, stdout and stderr on one pseudo-terminal of
    `columns` x `rows`. `typed`: keys typed once it started (end with "\\x04" for Ctrl-D)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    full_env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns)}
    for var in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "LINES"):
        full_env.pop(var, None)
    full_env.update(env or {})
    servers.ensure(full_env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "todo_cli", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=full_env,
        close_fds=True,
    )
    os.close(slave)
    out = bytearray()
    deadline = time.monotonic() + timeout
    sent = typed is None
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the other side closed
                    break
                if not chunk:
                    break
                out += chunk
            if not sent and out:  # it has started (printed a hint): type
                assert typed is not None
                os.write(master, typed.encode())
                sent = True
            if proc.poll() is not None and not ready:
                break
        else:
            proc.kill()
            raise TimeoutError(f"todo {args!r} did not finish: {out.decode(errors='replace')}")
    finally:
        os.close(master)
    return TtyRun(proc.wait(timeout=10), out.decode("utf-8", "replace"))
