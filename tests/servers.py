"""The command server in tests: the second pass of the suite (TODO_TEST_SERVER=on runs every
subprocess `todo` through a server of the test's own data dir) and clean-up, so that no test
leaves a server behind. This module holds no tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from todo_cli import client

PASS_ENV = "TODO_TEST_SERVER"
_started: list[subprocess.Popen[bytes]] = []


def server_pass() -> bool:
    return os.environ.get(PASS_ENV) == "on"


def data_dir_of(env: dict[str, str]) -> str:
    home = env.get("TODO_HOME")
    assert home, "tests always have a TODO_HOME (conftest._isolated_env)"
    return os.path.abspath(home)


def start(env: dict[str, str], timeout: float = 60) -> int:
    """Start a server for env's data dir (with env) and wait until it answers; its pid."""
    data = data_dir_of(env)
    proc = subprocess.Popen(
        [sys.executable, "-P", "-m", "todo_cli.server", data],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        cwd="/",
    )
    _started.append(proc)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = client.control("status", data)
        if info is not None:
            return int(info["pid"])
        if proc.poll() is not None and not (Path(client.state_dir(data)) / "lock").exists():
            raise RuntimeError(f"the server exited with {proc.returncode}")
        time.sleep(0.05)
    raise TimeoutError("the command server did not start")


def ensure(env: dict[str, str]) -> None:
    """In the server pass, a running server for this command's data dir."""
    on = server_pass() and env.get("TODO_SERVER", "on") == "on"
    if on and client.control("status", data_dir_of(env)) is None:
        start(env)


def stop_all(root: Path) -> list[int]:
    """Stop every server whose data dir is under `root` (SIGKILL if it will not go); the pids
    that were still running."""
    pids = []
    for pid_file in [*root.glob("*/server/pid"), *root.glob("*/*/server/pid")]:
        data = str(pid_file.parent.parent)
        reply = client.control("stop", data)
        pid = int(reply["pid"]) if reply else _pid_in(pid_file)
        if pid is None or not client.alive(pid) or not _is_server(pid):
            continue
        pids.append(pid)
        if reply is None:  # still importing (it listens only then): SIGTERM ends it
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while client.alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if client.alive(pid):
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
    for proc in list(_started):
        if proc.poll() is not None:
            _started.remove(proc)
    return pids


def _is_server(pid: int) -> bool:
    """The pid is a todo server's (not a recycled pid of some other process)."""
    try:
        return b"todo_cli.server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _pid_in(pid_file: Path) -> int | None:
    import json

    try:
        return int(json.loads(pid_file.read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def servers_running(root: Path) -> list[int]:
    """Pids of live servers whose pid file is under `root`."""
    found = []
    for pid_file in root.rglob("server/pid"):
        pid = _pid_in(pid_file)
        if pid is not None and client.alive(pid) and _is_server(pid):
            found.append(pid)
    return found
