"""The command server (issue 17): warm-server timings, round trips and memory.

1. SQLite, a small database (100 tasks): `todo list`, `add`, `complete` through a warm server,
   alternated in one run with the client's floor (`python -c "import socket, os, sys"` from
   the venv) and with today's in-process run (TODO_SERVER=off). Target: <= 2.5x the floor.
2. PostgreSQL through bench/rtproxy.py, with a warm server and a spare worker connected ahead:
   round trips on the command's critical path (the final Terminate, which waits for nothing,
   not counted) for add, list, complete, delete, against today's; then wall time through the
   proxy with 30 ms added to every reply (a 30 ms RTT), against today's.
3. Memory: the idle server's and the spare worker's RSS and PSS (PSS shares pages between the
   processes that map them: a forked worker shares most of the server's).

    .venv/bin/python bench/server.py [--runs N] [--rtt-ms 30] [--no-pg]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common
from rtproxy import CountingProxy

PY = str(common.PYTHON)
TODO = str(common.TODO)
FLOOR = [PY, "-c", "import socket, os, sys"]


def timed(argv: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    p = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError(f"{argv} -> {p.returncode}: {p.stderr.decode()}")
    return elapsed


def status(env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run([TODO, "server", "status", "--json"], env=env, capture_output=True)
    info: dict[str, object] = json.loads(out.stdout)
    return info


def wait_ready(env: dict[str, str], connected: bool, timeout: float = 60) -> dict[str, object]:
    """Until the server runs with a spare worker (connected to a database if asked)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = status(env)
        spare = info.get("running") and info.get("spare_worker")
        if spare and (info.get("spare_connected") or not connected):
            time.sleep(0.3)  # the spare's connect (and its ready byte) settle
            return info
        time.sleep(0.1)
    raise TimeoutError("no server with a spare worker")


def spare_ready(home: Path, timeout: float = 10) -> None:
    """Until the server's spare worker is ready and connected (polled over its socket)."""
    from todo_cli import client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = client.control("status", str(home))
        if info and info.get("spare_connected"):
            return
        time.sleep(0.005)
    raise TimeoutError("the spare worker never got ready")


def start_server(env: dict[str, str]) -> None:
    subprocess.run([TODO, "list"], env=env, capture_output=True, check=True)  # starts one
    wait_ready(env, connected=False)


def stop_server(env: dict[str, str]) -> None:
    subprocess.run([TODO, "server", "stop"], env=env, capture_output=True)


def fmt(xs: list[float]) -> str:
    return f"{statistics.median(xs) * 1000:.0f} ms (mean {statistics.mean(xs) * 1000:.0f})"


def sqlite_section(tmp: Path, runs: int) -> list[str]:
    home = tmp / "sqlite-home"
    env = {**os.environ, "TODO_HOME": str(home), "TODO_SERVER": "on"}
    off = {**env, "TODO_SERVER": "off"}
    for i in range(100):
        subprocess.run([TODO, "add", f"task {i}", "-t", "bench"], env=off, capture_output=True)
    start_server(env)
    counter = iter(range(1, 10_000))
    cmds: dict[str, Callable[[], list[str]]] = {
        "list": lambda: [TODO, "list"],
        "add": lambda: [TODO, "add", "bench task"],
        "complete": lambda: [TODO, "complete", str(next(counter))],
    }
    floor: list[float] = []
    served: dict[str, list[float]] = {k: [] for k in cmds}
    here: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(3):  # warm-up: byte-code cache, server, page cache
        timed(FLOOR, env)
        for make in cmds.values():
            timed(make(), env)
    common.wait_quiet()
    rushed: dict[str, list[float]] = {k: [] for k in cmds}
    for n in range(runs):
        floor.append(timed(FLOOR, env))
        for name, make in cmds.items():
            spare_ready(home)  # as when typing: the spare has had the time to get ready
            served[name].append(timed(make(), env))
            floor.append(timed(FLOOR, env))
            rushed[name].append(timed(make(), env))  # right after the floor: spare not ready
            floor.append(timed(FLOOR, env))
            if n % 4 == 0:  # in-process is ~20x slower: fewer runs
                here[name].append(timed(make(), off))
    f = statistics.median(floor)
    lines = [
        "| command (SQLite, 100 tasks) | warm server, spare ready | / floor |"
        " back to back (no spare ready) | / floor | in-process today | speed-up |",
        "|---|---|---|---|---|---|---|",
        f'| floor: `python -c "import socket, os, sys"` | {fmt(floor)} | 1.00x | | | | |',
    ]
    for name in cmds:
        s, h = statistics.median(served[name]), statistics.median(here[name])
        r = statistics.median(rushed[name])
        lines.append(
            f"| `todo {name}` | {fmt(served[name])} | {s / f:.2f}x | {fmt(rushed[name])} |"
            f" {r / f:.2f}x | {fmt(here[name])} | {h / s:.1f}x |"
        )
    lines.append(
        f"\n{runs} alternated runs per server command and way, {len(here['list'])} in-process."
        " Spare ready: the run waits (untimed) until the server's spare worker has rehearsed"
        " and connected, as it has between commands typed by hand; back to back: the command"
        " comes one floor run (~25 ms) after the last, and gets a freshly forked worker."
    )
    lines += memory(env)
    stop_server(env)
    return lines


def memory(env: dict[str, str]) -> list[str]:
    info = wait_ready(env, connected=False)
    time.sleep(1)

    def kb(pid: object, field: str, file: str) -> int:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        return 0

    rows = ["", "| process | RSS | PSS |", "|---|---|---|"]
    for label, pid in (("idle server", info["pid"]), ("spare worker", info["spare_worker"])):
        rss, pss = kb(pid, "VmRSS", "status"), kb(pid, "Pss", "smaps_rollup")
        rows.append(f"| {label} | {rss / 1024:.0f} MiB | {pss / 1024:.0f} MiB |")
    return rows


def critical_round_trips(px: CountingProxy, argv: list[str], env: dict[str, str]) -> int:
    """Round trips the command waited for, on the connections it used (the spare's, opened
    before it, or its own), without the Terminate at the end (which waits for nothing)."""
    before = {c.id: c.round_trips for c in px.connections()}
    subprocess.run(argv, env=env, capture_output=True, check=True)
    t1 = time.monotonic()
    time.sleep(0.5)
    total = 0
    for c in px.connections():
        if c.id in before:
            delta = c.round_trips - before[c.id]
        elif c.started <= t1:
            delta = c.round_trips  # opened by the command
        else:
            continue  # the next spare's
        if delta and c.ended is not None and c.ended <= t1 + 0.5:
            delta -= 1
        total += delta
    return total


def pg_section(tmp: Path, rtt_ms: float) -> list[str]:
    with common.pg_scratch("server") as url:
        home = tmp / "pg-home"
        common.migrate(url, home)
        from sqlalchemy.engine import make_url

        with CountingProxy(target=("127.0.0.1", 5432)) as px:
            via = make_url(url).set(host="127.0.0.1", port=px.port).render_as_string(False)
            env = {**os.environ, "TODO_HOME": str(home), "DATABASE_URL": via, "TODO_SERVER": "on"}
            off = {**env, "TODO_SERVER": "off"}
            for i in range(60):
                subprocess.run([TODO, "add", f"t{i}"], env=off, capture_output=True, check=True)
            start_server(env)
            ids = iter(range(1, 61))
            cmds: dict[str, Callable[[], list[str]]] = {
                "add": lambda: [TODO, "add", "x"],
                "list": lambda: [TODO, "list"],
                "complete": lambda: [TODO, "complete", str(next(ids))],
                "delete": lambda: [TODO, "delete", str(next(ids))],
            }
            rts: dict[str, tuple[int, int]] = {}
            for name, make in cmds.items():
                subprocess.run(make(), env=env, capture_output=True)  # the spare learns the db
                wait_ready(env, connected=True)
                server = critical_round_trips(px, make(), env)
                today = critical_round_trips(px, make(), off)
                rts[name] = (today, server)
            px.latency = rtt_ms / 1000
            walls: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in cmds}
            for _ in range(5):
                for name, make in cmds.items():
                    wait_ready(env, connected=True)
                    walls[name][1].append(timed(make(), env))
                    walls[name][0].append(timed(make(), off))
            px.latency = 0.0
            stop_server(env)
            px.wait_idle()
    lines = [
        f"| command (PostgreSQL) | round trips today | with a warm server + spare | wall today, "
        f"{rtt_ms:g} ms RTT | wall, warm server |",
        "|---|---|---|---|---|",
    ]
    for name in cmds:
        today, server = rts[name]
        lines.append(
            f"| `todo {name}` | {today} | {server} | {fmt(walls[name][0])} | "
            f"{fmt(walls[name][1])} |"
        )
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--rtt-ms", type=float, default=30.0)
    ap.add_argument("--no-pg", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="todo_bench_server_") as t:
        tmp = Path(t)
        common.prepare_env(tmp)
        print("\n".join(["## Command server", "", *sqlite_section(tmp, a.runs)]), flush=True)
        if not a.no_pg and common.pg_ok() is None:
            print("\n".join(["", *pg_section(tmp, a.rtt_ms)]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
