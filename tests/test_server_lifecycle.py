"""The command server's life: started by the first command, idle exit, a code change, `todo
server stop`, a killed server or worker, Ctrl-C, and another user who cannot reach it."""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import servers
from tests.helpers import Run
from todo_cli import client
from todo_cli.server.daemon import allowed

TODO = [sys.executable, "-m", "todo_cli"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The test's environment with the server on (default TODO_SERVER is off in tests)."""
    return {**os.environ, "TODO_SERVER": "on", "TZ": "UTC"}


def run(env: dict[str, str], *args: str, input: str | None = None) -> Run:
    p = subprocess.run([*TODO, *args], input=input, capture_output=True, text=True, env=env)
    return Run(p.returncode, p.stdout, p.stderr)


def status(env: dict[str, str]) -> dict[str, object] | None:
    return client.control("status", servers.data_dir_of(env))


def wait_for(predicate: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise TimeoutError(f"{predicate} never held")


def served(env: dict[str, str]) -> int:
    info = status(env)
    assert info is not None
    return int(str(info["commands"]))


def test_the_first_command_starts_a_server_and_runs_in_process(env: dict[str, str]) -> None:
    first = run(env, "add", "one")
    assert (first.exit_code, first.stdout) == (0, "added task 1: one\n"), first
    wait_for(lambda: status(env) is not None)
    assert served(env) == 0  # it ran in-process
    second = run(env, "list", "--json")
    assert second.exit_code == 0 and json.loads(second.stdout)["total"] == 1, second
    assert served(env) == 1


def test_status_and_stop(env: dict[str, str]) -> None:
    assert json.loads(run(env, "server", "status", "--json").stdout) == {"running": False}
    assert "not running" in run(env, "server", "status").stdout
    pid = servers.start(env)
    run(env, "list")
    info = json.loads(run(env, "server", "status", "--json").stdout)
    assert (info["running"], info["pid"], info["commands"]) == (True, pid, 1)
    assert {"since", "version", "idle_exit_seconds", "spare_worker", "socket"} <= set(info)
    text = run(env, "server", "status").stdout
    assert f"pid {pid}" in text and "1 command served" in text, text
    stopped = run(env, "server", "stop")
    assert stopped.stdout == f"stopped the server (pid {pid})\n", stopped
    assert not client.alive(pid)
    assert status(env) is None
    assert run(env, "server", "stop").stdout == "server: not running\n"


def test_idle_exit(env: dict[str, str]) -> None:
    env["TODO_SERVER_IDLE"] = "2"
    pid = servers.start(env)
    assert run(env, "list").exit_code == 0
    wait_for(lambda: not client.alive(pid), timeout=30)
    log = (Path(client.state_dir(servers.data_dir_of(env))) / "log").read_text()
    assert "stopping: idle" in log and "commands served: 1" in log, log


def test_an_old_spare_connection_is_replaced_on_time(env: dict[str, str]) -> None:
    """A spare connected longer than TODO_SERVER_SPARE_AGE is replaced when it turns that
    old (not at the loop's next 30 s wake-up), and after a quiet spell the new one stays
    unconnected until commands come again."""
    env["TODO_SERVER_SPARE_AGE"] = "2"
    servers.start(env)
    assert run(env, "list").exit_code == 0
    wait_for(lambda: (status(env) or {}).get("spare_connected"))
    first = status(env)["spare_worker"]  # type: ignore[index]
    since = time.monotonic()
    wait_for(lambda: status(env)["spare_worker"] != first, timeout=40)  # type: ignore[index]
    assert time.monotonic() - since < 10
    assert status(env)["spare_connected"] is False  # type: ignore[index]
    wait_for(lambda: not client.alive(int(str(first))))
    assert run(env, "list").exit_code == 0
    wait_for(lambda: (status(env) or {}).get("spare_connected"))
    assert status(env)["spare_worker"] not in (first, None)  # type: ignore[index]


def test_a_rehearsed_spare_runs_the_command_alone(env: dict[str, str]) -> None:
    """The spare's rehearsal (warm.py) leaves nothing behind for the user's command: not its
    output, not its tasks; its scratch data dir goes with the server."""
    pid = servers.start(env)
    warm = Path(client.state_dir(servers.data_dir_of(env))) / "warm"
    assert (warm / "todo.db").exists()
    assert run(env, "add", "mine").stdout == "added task 1: mine\n"
    wait_for(lambda: (status(env) or {}).get("spare_connected"))  # rehearsed, and ready
    listed = run(env, "list", "--json")
    assert [t["title"] for t in json.loads(listed.stdout)["items"]] == ["mine"], listed
    assert listed.stderr == ""
    assert run(env, "complete", "1").stdout == "completed task 1: mine\n"
    assert served(env) == 3  # each through the server
    run(env, "server", "stop")
    wait_for(lambda: not client.alive(pid))
    assert not warm.exists()


def test_a_code_change_restarts_the_server(env: dict[str, str]) -> None:
    pid = servers.start(env)
    with client.connect(servers.data_dir_of(env)) as sock:  # an older (or newer) client
        reply = client.request(sock, {"op": "run", "version": "0.0.0-other"})
    assert reply == {"restart": True}
    wait_for(lambda: not client.alive(pid))
    assert run(env, "add", "x").exit_code == 0  # in-process, and it starts a new server
    wait_for(lambda: status(env) is not None)
    assert status(env)["pid"] != pid  # type: ignore[index]


def test_the_fingerprint_follows_the_installed_code() -> None:
    before = client.fingerprint()
    source = Path(client.__file__).with_name("__init__.py")
    st = source.stat()
    try:
        os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
        assert client.fingerprint() != before
    finally:
        os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert client.fingerprint() == before


@pytest.fixture
def waiting(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """A command through the server that waits for stdin (which never comes), and the
    server's pid."""
    pid = servers.start(env)
    p = subprocess.Popen(
        [*TODO, "annotate", "1", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    wait_for(lambda: status(env)["running_commands"] == 1)  # type: ignore[index]
    try:
        yield p, pid
    finally:
        p.kill()
        p.communicate()


def _workers_of(server: int) -> list[int]:
    children = Path(f"/proc/{server}/task/{server}/children").read_text().split()
    return [int(c) for c in children]


def test_a_killed_server_fails_the_command_and_the_next_starts_one(
    env: dict[str, str], waiting: tuple[subprocess.Popen[str], int]
) -> None:
    p, pid = waiting
    workers = _workers_of(pid)
    os.kill(pid, signal.SIGKILL)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 1, (out, err)
    assert "error: the todo server stopped during the command" in err, err
    wait_for(lambda: not any(client.alive(w) for w in workers), timeout=30)
    assert run(env, "add", "after").exit_code == 0
    wait_for(lambda: status(env) is not None)


def test_a_killed_worker_fails_the_command(
    env: dict[str, str], waiting: tuple[subprocess.Popen[str], int]
) -> None:
    p, pid = waiting
    spare = status(env)["spare_worker"]  # type: ignore[index]
    (worker,) = [w for w in _workers_of(pid) if w != spare]
    os.kill(worker, signal.SIGKILL)
    _out, err = p.communicate(timeout=30)
    assert (p.returncode, err) == (1, "error: the command's worker process died (SIGKILL)\n")
    assert run(env, "list").exit_code == 0  # the server carries on
    assert status(env)["pid"] == pid  # type: ignore[index]


def test_an_event_of_a_spare_retired_in_the_same_select_is_ignored(tmp_path: Path) -> None:
    """A client's connection and a spare's ready byte can come in one select(): handing the
    command over retires the spare that was not ready, and its stale event must not crash the
    server (found by bench/server.py: one command in a few hundred failed, the server gone)."""
    from todo_cli.server.children import Worker
    from todo_cli.server.daemon import Server

    server = Server(str(tmp_path), lambda line: None)
    ours, theirs = socket.socketpair()
    read_end, write_end = os.pipe()
    spare = Worker(os.getpid(), ours, read_end, None)
    theirs.sendall(b"R")  # its ready byte, in flight when it was retired
    spare.close()
    server._readable(spare, ours)  # no OSError
    assert not spare.ready
    # A spare that died with a byte unread at its end: the reset reads as its end.
    ours, theirs = socket.socketpair()
    spare = Worker(os.getpid(), ours, -1, None)
    server.sel.register(ours, selectors.EVENT_READ, spare)
    ours.sendall(b"x")
    theirs.close()  # unread data: ECONNRESET on our side
    server._readable(spare, ours)
    assert not spare.ready and ours.fileno() not in server.sel.get_map()
    for fd in (write_end,):
        os.close(fd)
    theirs.close()


def test_only_the_servers_own_user_is_allowed() -> None:
    assert allowed(os.getuid(), os.getuid())
    assert not allowed(os.getuid() + 1, os.getuid())
    assert not allowed(None, os.getuid())


@pytest.fixture
def other_user() -> Iterator[str]:
    if os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("setpriv"):
        pytest.skip("needs root, useradd and setpriv to act as a second user")
    name = f"todo{uuid.uuid4().hex[:8]}"
    subprocess.run(["useradd", "--system", "--no-create-home", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], check=False)


def test_another_user_cannot_reach_the_server(env: dict[str, str], other_user: str) -> None:
    import pwd
    import tempfile

    # pytest's temp dirs are 0700: a data dir the other user could reach but for our 0700.
    shared = Path(tempfile.mkdtemp(prefix="todo-uid-test-"))
    shared.chmod(0o755)
    env["TODO_HOME"] = str(shared / "home")
    try:
        _another_user(env, other_user, pwd.getpwnam(other_user).pw_uid)
    finally:
        servers.stop_all(shared)
        shutil.rmtree(shared)


def _another_user(env: dict[str, str], other_user: str, uid: int) -> None:
    pid = servers.start(env)
    data = servers.data_dir_of(env)
    path = client.socket_path(data)
    probe = (
        "import socket, sys\n"
        "from todo_cli.server import protocol\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "try:\n    s.connect(sys.argv[1])\n"
        "except OSError as e:\n    print(type(e).__name__); sys.exit()\n"
        "try:\n"
        "    protocol.send(s, {'op': 'status'})\n"
        "    print(protocol.recv(s)[0])\n"
        "except OSError as e:\n    print(type(e).__name__)\n"
    )
    as_other = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    cmd = [*as_other, sys.executable, "-c", probe, path]
    cwd = {"cwd": "/", "env": {**env, "PYTHONPATH": str(Path(client.__file__).parents[1])}}
    # The directory is 0700: the other user cannot even reach the socket.
    assert subprocess.run(cmd, capture_output=True, text=True, **cwd).stdout == (  # type: ignore[call-overload]
        "PermissionError\n"
    )
    # Even with the directory opened up by mistake, SO_PEERCRED turns the other uid away...
    state = os.path.dirname(path)
    os.chmod(state, 0o755)
    os.chmod(path, 0o777)
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, **cwd)  # type: ignore[call-overload]
        assert out.stdout in ("None\n", "BrokenPipeError\n", "ConnectionResetError\n"), out
        # ...and our own client will not send its environment to such a directory.
        assert run(env, "list").exit_code == 0
        assert client.control("status", data) is None
    finally:
        os.chmod(state, 0o700)
    assert served(env) == 0
    log = (Path(client.state_dir(data)) / "log").read_text()
    assert f"refused a client of uid {uid}" in log, log
    assert client.alive(pid)


def test_no_server_outside_a_terminal_by_default_or_when_off(env: dict[str, str]) -> None:
    del env["TODO_SERVER"]
    assert run(env, "add", "x").exit_code == 0  # stdout is a pipe: in-process, no server
    env["TODO_SERVER"] = "off"
    from tests.terminal import on_tty

    assert on_tty("list", env={"TODO_SERVER": "off"}).exit_code == 0
    time.sleep(1)
    assert not Path(client.state_dir(servers.data_dir_of(env))).exists()


def test_a_hung_socket_is_not_waited_for(env: dict[str, str], tmp_path: Path) -> None:
    """A server that accepts and says nothing: the command runs in-process after a moment."""
    data = servers.data_dir_of(env)
    path = client.socket_path(data)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    with socket.socket(socket.AF_UNIX) as hung:
        hung.bind(path)
        hung.listen(5)
        started = time.monotonic()
        r = run(env, "add", "x")
        assert (r.exit_code, r.stdout) == (0, "added task 1: x\n"), r
        assert time.monotonic() - started < 30
