"""Shared helpers for the benchmarks: hyperfine, the `todo` command line, scratch databases.

Stdlib + psycopg2 only. Every benchmark script imports this module from its own directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = Path(sys.executable)
TODO = PYTHON.parent / "todo"
HYPERFINE = shutil.which("hyperfine") or "/usr/bin/hyperfine"
ADMIN_URL = os.environ.get("TODO_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Cmd:
    """One command to time: a label and argv, with TODO_HOME (or other env) set through `env`."""

    label: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)

    def full(self) -> list[str]:
        if not self.env:
            return list(self.argv)
        return ["env", *(f"{k}={v}" for k, v in self.env.items()), *self.argv]

    def shell(self) -> str:
        return shlex.join(self.full())


@dataclass(frozen=True)
class Timing:
    label: str
    mean: float  # seconds
    stddev: float
    median: float
    min: float
    max: float
    runs: int
    cpu: float = 0.0  # mean user + system seconds

    def fmt(self) -> str:
        return f"{self.mean * 1000:.1f} ± {self.stddev * 1000:.1f} ms"


@dataclass
class Row:
    """One line of a results table."""

    target: str
    measured: str
    limit: str
    verdict: str  # pass / FAIL / n/a / info
    note: str = ""


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("pass" if ok else "FAIL")


def hyperfine(
    cmds: Sequence[Cmd],
    *,
    runs: int,
    warmup: int,
    rounds: int = 1,
    prepare: str | Sequence[Cmd] | None = None,
    use_shell: bool = False,
) -> list[Timing]:
    """Time `cmds` with hyperfine (no shell unless asked); a failing command raises.

    `prepare`: a shell command run before every timed run, or one `Cmd` per command, run
    before each run of that command only (its time is not counted).

    With `rounds` > 1 the runs are split into rounds that alternate the order of the commands
    (each round with its own warm-up), so that a burst of load from other processes on a shared
    machine does not land on one command only. The times of all rounds are pooled.
    """
    times: list[list[float]] = [[] for _ in cmds]
    cpu: list[float] = [0.0 for _ in cmds]
    per_round = max(1, -(-runs // rounds))
    order = list(range(len(cmds)))
    for r in range(rounds):
        idx = order if r % 2 == 0 else order[::-1]
        wait_quiet()
        pre = prepare if prepare is None or isinstance(prepare, str) else [prepare[i] for i in idx]
        got = _hyperfine_once([cmds[i] for i in idx], per_round, warmup, pre, use_shell)
        for i, (t, c) in zip(idx, got, strict=True):
            times[i].extend(t)
            cpu[i] += c * len(t)
    return [
        Timing(
            label=c.label,
            mean=statistics.fmean(t),
            stddev=statistics.stdev(t) if len(t) > 1 else 0.0,
            median=statistics.median(t),
            min=min(t),
            max=max(t),
            runs=len(t),
            cpu=c_total / len(t),
        )
        for c, t, c_total in zip(cmds, times, cpu, strict=True)
    ]


def _hyperfine_once(
    cmds: Sequence[Cmd],
    runs: int,
    warmup: int,
    prepare: str | Sequence[Cmd] | None,
    use_shell: bool,
) -> list[tuple[list[float], float]]:
    with tempfile.TemporaryDirectory(prefix="todo_bench_hf_") as tmp:
        out = Path(tmp) / "hf.json"
        argv = [HYPERFINE, "--style", "none", "--export-json", str(out)]
        argv += ["--warmup", str(warmup), "--runs", str(runs)]
        if isinstance(prepare, str):
            argv += ["--prepare", prepare]
        elif prepare is not None:
            for c in prepare:
                argv += ["--prepare", c.shell()]
        if not use_shell:
            argv += ["-N"]
        for c in cmds:
            argv += ["--command-name", c.label, c.shell()]
        log("hyperfine: " + ", ".join(c.label for c in cmds))
        p = subprocess.run(argv, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"hyperfine failed: {_why(cmds, use_shell)}\n{p.stderr}")
        data = json.loads(out.read_text())
    return [(list(r["times"]), r["user"] + r["system"]) for r in data["results"]]


def _why(cmds: Sequence[Cmd], use_shell: bool) -> str:
    """Run each command once more to say which one fails, and how."""
    for c in cmds:
        argv = ["sh", "-c", c.shell()] if use_shell else c.full()
        p = subprocess.run(argv, capture_output=True, text=True, cwd=BENCH)
        if p.returncode != 0:
            err = (p.stderr.strip().splitlines() or ["(no stderr)"])[-1]
            return f"{c.label!r} exits {p.returncode}: {err}"
    return "every command succeeds when run again (a transient failure)"


QUIET = {"waited": 0.0, "gave_up": 0}


def _cpu_idle(interval: float = 1.0) -> float:
    def snap() -> tuple[int, int]:
        f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return f[3] + f[4], sum(f)  # idle + iowait, total

    i0, t0 = snap()
    time.sleep(interval)
    i1, t1 = snap()
    return (i1 - i0) / max(1, t1 - t0)


QUIET_WAIT_S = float(os.environ.get("TODO_BENCH_QUIET_WAIT", "20"))


def wait_quiet(min_idle: float = 0.6, max_wait: float = QUIET_WAIT_S) -> None:
    """Wait (up to max_wait s) until the CPUs have been >= min_idle idle for 2 s running.

    Other processes share this machine; starting a round in a quiet moment cuts the noise.
    TODO_BENCH_QUIET_WAIT sets max_wait (0: never wait).
    """
    if max_wait <= 0 or not Path("/proc/stat").exists():
        return
    t0 = time.monotonic()
    calm = 0
    while time.monotonic() - t0 < max_wait:
        calm = calm + 1 if _cpu_idle() >= min_idle else 0
        if calm >= 2:
            QUIET["waited"] += max(0.0, time.monotonic() - t0 - 2)
            return
    QUIET["waited"] += max_wait
    QUIET["gave_up"] += 1
    log(f"machine still busy after {max_wait:.0f} s; timing anyway")


def todo(url: str, *args: str, user: str | None = None) -> list[str]:
    argv = [str(TODO), "--database-url", url]
    if user is not None:
        argv += ["--user", user]
    return [*argv, *args]


def run(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    check: bool = True,
    stdin: str | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    p = subprocess.run(
        list(argv),
        env=os.environ | (env or {}),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT / "bench",
    )
    if check and p.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} -> exit {p.returncode}\n{p.stderr}")
    return p


def migrate(url: str, home: Path) -> None:
    run(todo(url, "db", "migrate"), env={"TODO_HOME": str(home)})


def has_command(name: str) -> bool:
    """Whether `todo NAME --help` exists (import/export may not have landed yet)."""
    with tempfile.TemporaryDirectory(prefix="todo_bench_home_") as home:
        p = run([str(TODO), name, "--help"], env={"TODO_HOME": home}, check=False)
    return p.returncode == 0


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@contextlib.contextmanager
def pg_scratch(tag: str = "") -> Iterator[str]:
    """A scratch database `todo_bench_<pid>[_tag]`, dropped at the end; yields its URL."""
    name = f"todo_bench_{os.getpid()}{'_' + tag if tag else ''}"
    admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin_sql(f"CREATE DATABASE {name}")
    try:
        yield f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def admin_sql(sql: str, attempts: int = 10) -> None:
    """Run one statement on a fresh admin connection, retrying while the server restarts
    (other work on this machine restarts PostgreSQL now and then)."""
    for n in range(attempts):
        try:
            conn = psycopg2.connect(ADMIN_URL, connect_timeout=10)
            try:
                conn.autocommit = True
                with conn.cursor() as cur:
                    cur.execute(sql)
                return
            finally:
                conn.close()
        except psycopg2.OperationalError as e:
            if n == attempts - 1:
                raise
            log(f"PostgreSQL: {str(e).strip().splitlines()[0]}; retrying")
            time.sleep(3)


def pg_ok() -> str | None:
    """None if the PostgreSQL admin URL answers, else why not."""
    try:
        psycopg2.connect(ADMIN_URL, connect_timeout=5).close()
    except psycopg2.Error as e:
        return str(e).strip().splitlines()[0]
    return None


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        m = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = m.group(1).strip() if m else cpu
    ram = "unknown"
    with contextlib.suppress(OSError):
        m = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        ram = f"{int(m.group(1)) / 1024 / 1024:.1f} GiB" if m else ram
    pg = "unavailable"
    with contextlib.suppress(psycopg2.Error):
        conn = psycopg2.connect(ADMIN_URL, connect_timeout=5)
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            pg = str(cur.fetchone()[0])
        conn.close()
    git = "unknown"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        head = _version(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"])[:70]
        dirty = _version(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "todo_cli", "migrations"]
        )
        git = head + (" + uncommitted changes in todo_cli/ or migrations/" if dirty else "")
    load = "unknown"
    with contextlib.suppress(OSError):
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return {
        "nproc": str(os.cpu_count()),
        "CPU": cpu,
        "RAM": ram,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "PostgreSQL": pg,
        "SQLite": sqlite3.sqlite_version,
        "Taskwarrior": _version(["task", "--version"]),
        "hyperfine": _version([HYPERFINE, "--version"]).removeprefix("hyperfine "),
        "todo measured": git,
        "load average at start": load,
    }


def _version(argv: list[str]) -> str:
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except OSError:
        return "not installed"
    return (p.stdout.strip().splitlines() or [""])[0]


def table(rows: Sequence[Row]) -> str:
    lines = ["| target | measured | limit | result | note |", "|---|---|---|---|---|"]
    lines += [f"| {r.target} | {r.measured} | {r.limit} | {r.verdict} | {r.note} |" for r in rows]
    return "\n".join(lines)


def timings_table(ts: Sequence[Timing]) -> str:
    lines = [
        "| command | mean ± \N{GREEK SMALL LETTER SIGMA} | median | min | CPU (user+sys) | runs |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {t.label} | {t.fmt()} | {t.median * 1000:.1f} ms | {t.min * 1000:.1f} ms"
        f" | {t.cpu * 1000:.1f} ms | {t.runs} |"
        for t in ts
    ]
    return "\n".join(lines)


def ratio(a: Timing, b: Timing) -> float:
    return a.mean / b.mean


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, default=lambda o: o.__dict__)


@dataclass(frozen=True)
class Config:
    """Sizes and repetitions; `quick` divides the sizes by 10 for a smoke run."""

    quick: bool
    pg: bool  # PostgreSQL answers at ADMIN_URL
    scale_total: int
    others: int
    tw_tasks: int
    import_tasks: int
    tw_import_tasks: int
    export_tasks: int
    runs: int  # per command, for commands under a second or so
    rounds: int
    warmup: int  # per round
    slow_runs: int  # for import (seconds per run)

    @classmethod
    def make(cls, *, quick: bool, pg: bool, runs: int | None = None) -> Config:
        d = 10 if quick else 1
        return cls(
            quick=quick,
            pg=pg,
            scale_total=1_000_000 // d,
            others=1000 // d,
            tw_tasks=100_000 // d,
            import_tasks=100_000 // d,
            tw_import_tasks=90_000 // d,
            export_tasks=1_000_000 // d,
            runs=runs or (10 if quick else 40),
            rounds=2 if quick else 4,
            warmup=1 if quick else 2,
            slow_runs=3 if quick else 6,
        )


@dataclass
class Section:
    title: str
    rows: list[Row] = field(default_factory=list)
    timings: list[Timing] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: str = ""

    def markdown(self) -> str:
        parts = [f"### {self.title}"]
        if self.rows:
            parts.append(table(self.rows))
        if self.timings:
            parts.append(timings_table(self.timings))
        parts += [f"- {n}" for n in self.notes]
        if self.details:
            parts.append(self.details)
        return "\n\n".join(parts)


def prepare_env(tmp: Path) -> None:
    """Byte-compile like an installed package would, without writing into the source tree.

    The sandbox sets PYTHONDONTWRITEBYTECODE=1 and todo_cli is an editable install, so without
    this every `todo` run would compile todo_cli from source (~10 ms on `--version`, more on
    `list`). A pycache prefix in our temp dir (filled by the warm-up runs) gives every Python
    command, the baselines included, the byte-code a wheel install has.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("TODO_USER", None)


def standalone(title: str, fn: Any, argv: list[str] | None = None) -> int:
    """Run one section on its own: `python bench/<section>.py [--quick]`."""
    import argparse

    ap = argparse.ArgumentParser(description=title)
    ap.add_argument("--quick", action="store_true", help="sizes divided by 10")
    ap.add_argument("--runs", type=int, help="runs per command (default 40, quick 10)")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="todo_bench_") as t:
        tmp = Path(t)
        prepare_env(tmp)
        cfg = Config.make(quick=a.quick, pg=pg_ok() is None, runs=a.runs)
        section: Section = fn(cfg, tmp)
    print(section.markdown())
    return 0


def home(tmp: Path, name: str) -> dict[str, str]:
    """env for a command with its own fresh data dir."""
    d = tmp / "homes" / name
    d.mkdir(parents=True, exist_ok=True)
    return {"TODO_HOME": str(d)}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"
