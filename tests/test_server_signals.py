"""Signals through the command server, on a real terminal: Ctrl-C interrupts the command as
it does in-process, Ctrl-Z suspends it (worker and client) and `fg` resumes it."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from tests import servers
from tests.test_server_lifecycle import TODO, _workers_of, env, run, served, status, wait_for

__all__ = ["env"]  # the fixture


def _ctrl_c_at_the_prompt(env: dict[str, str]) -> tuple[int, str]:
    """`todo delete 1 --hard` on a terminal of its own (so Ctrl-C is the terminal's SIGINT to the
    foreground group): press Ctrl-C at its question."""
    import fcntl
    import termios

    master, slave = pty.openpty()

    def controlling_tty() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen(
        [*TODO, "delete", "1", "--hard"], stdin=slave, stdout=slave, stderr=slave, env=env,
        start_new_session=True, preexec_fn=controlling_tty,
    )  # fmt: skip
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    try:
        # Ctrl-C once the whole prompt is out (its last space is written by input()).
        while b"[y/N]: " not in seen and time.monotonic() < deadline and p.poll() is None:
            if select.select([master], [], [], 0.2)[0]:
                seen += os.read(master, 4096)
        assert b"[y/N]: " in seen, seen
        time.sleep(0.3)
        os.write(master, b"\x03")
        code = p.wait(timeout=30)
        while select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
        if p.poll() is None:
            p.kill()
    return code, seen.decode(errors="replace")


def test_ctrl_c_interrupts_the_command_as_in_process(env: dict[str, str]) -> None:
    assert run(env, "add", "keep me").exit_code == 0
    here = _ctrl_c_at_the_prompt({**env, "TODO_SERVER": "off"})
    servers.start(env)
    before = served(env)
    there = _ctrl_c_at_the_prompt(env)
    assert served(env) == before + 1
    assert there == here and here[0] == 130, (here, there)
    assert json.loads(run(env, "list", "--json").stdout)["total"] == 1


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


# A minimal job-control shell: runs argv as a foreground job in its own process group, says
# "stopped" when Ctrl-Z stops it, then does what `fg` does, and exits with the job's status.
_SHELL = """
import os, signal, sys
signal.signal(signal.SIGTTOU, signal.SIG_IGN)
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    os.tcsetpgrp(0, os.getpid())
    os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
try:
    os.setpgid(pid, pid)  # as a shell does, in both: whichever runs first
except PermissionError:  # the child has done it and exec'd already
    pass
_, status = os.waitpid(pid, os.WUNTRACED)
assert os.WIFSTOPPED(status), status
os.tcsetpgrp(0, os.getpgrp())
print("stopped", flush=True)
sys.stdin.readline()
os.tcsetpgrp(0, pid)
os.killpg(pid, signal.SIGCONT)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def test_ctrl_z_suspends_the_command_and_fg_resumes_it(env: dict[str, str]) -> None:
    import fcntl
    import termios

    assert run(env, "add", "to go").exit_code == 0
    server = servers.start(env)
    master, slave = pty.openpty()

    def controlling_tty() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen(
        [sys.executable, "-c", _SHELL, "-m", "todo_cli", "delete", "1", "--hard"],
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
        preexec_fn=controlling_tty,
    )  # fmt: skip
    os.close(slave)
    seen = b""

    def read_until(needle: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 60
        while needle not in seen and time.monotonic() < deadline:
            if select.select([master], [], [], 0.2)[0]:
                seen += os.read(master, 4096)
        assert needle in seen, seen

    try:
        read_until(b"[y/N]: ")
        spare = status(env)["spare_worker"]  # type: ignore[index]
        (worker,) = [w for w in _workers_of(server) if w != spare]
        os.write(master, b"\x1a")  # Ctrl-Z
        read_until(b"stopped")
        # The worker is suspended with its client: the client sends it SIGSTOP before it
        # stops itself, but the kernel may stop the worker a moment after the shell hears.
        wait_for(lambda: _state(worker) == "T", timeout=10)
        os.write(master, b"\n")  # fg
        wait_for(lambda: _state(worker) != "T", timeout=10)
        time.sleep(0.3)
        os.write(master, b"y\n")
        assert p.wait(timeout=30) == 0, seen
    finally:
        os.close(master)
        if p.poll() is None:
            p.kill()
    assert json.loads(run(env, "list", "--json").stdout)["total"] == 0
