"""`todo chat import` end to end: wall time, messages per second and peak memory.

Builds synthetic ChatGPT exports with bench/chat_export_gen.py (the real structure: a tree per
conversation with branches, tool turns, multimodal parts, thoughts), then imports each into a
fresh database as a real `todo` process under /usr/bin/time, start-up included:

- small: a 2.8 MB export of 192 conversations (the size of a real one), several times, into a
  fresh SQLite file each time; budget: under 1 s of wall time.
- large: a 200 MB export, once per backend; budgets: >= 20,000 messages/s on SQLite,
  >= 15,000 on PostgreSQL, peak RSS < 300 MB. A second import of the same file (nothing new)
  is timed too.

    .venv/bin/python bench/chat_import.py                       # both sizes, both backends
    .venv/bin/python bench/chat_import.py --big-mb 50 --runs 3  # quicker

PostgreSQL: scratch databases `todo_bench_chatimport_<pid>` at $TODO_BENCH_ADMIN_URL (default
postgresql://postgres@127.0.0.1:5432/postgres), dropped at the end. The machine is shared, so
the CPU time (user + sys) of the process is printed beside the wall time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TODO = [str(ROOT / ".venv" / "bin" / "python"), "-m", "todo_cli"]
ADMIN = os.environ.get("TODO_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    out: str


def timed(args: list[str], url: str) -> Run:
    env = {**os.environ, "DATABASE_URL": url}
    cmd = ["/usr/bin/time", "-f", "%e %U %S %M", *TODO, *args]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {p.stderr}")
    wall, user, sys_, rss = p.stderr.strip().splitlines()[-1].split()
    return Run(float(wall), float(user) + float(sys_), int(rss) / 1024, p.stdout.strip())


def fresh_sqlite(tmp: Path, name: str) -> str:
    path = tmp / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    timed(["db", "migrate"], url)
    return url


def fresh_pg(name: str) -> str:
    import psycopg2

    con = psycopg2.connect(ADMIN)
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name}")
        cur.execute(f"CREATE DATABASE {name}")
    con.close()
    url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    timed(["db", "migrate"], url)
    return url


def drop_pg(name: str) -> None:
    import psycopg2

    con = psycopg2.connect(ADMIN)
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name}")
    con.close()


def generate(path: Path, mb: float, conversations: int | None = None) -> str:
    if not path.exists():
        cmd = [TODO[0], str(ROOT / "bench" / "chat_export_gen.py"), str(path), "--mb", str(mb)]
        cmd += ["--conversations", str(conversations)] if conversations else []
        subprocess.run(cmd, check=True, capture_output=True)
    return str(path)


def row(what: str, result: str, budget: str, ok: bool, note: str = "") -> str:
    return f"| {what} | {result} | {budget} | {'pass' if ok else 'FAIL'} | {note} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small-mb", type=float, default=2.8)
    parser.add_argument("--small-conversations", type=int, default=192)
    parser.add_argument("--big-mb", type=float, default=200.0)
    parser.add_argument("--runs", type=int, default=5, help="runs of the small import")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "todo_bench_chat")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    small_name = f"small-{args.small_mb:g}mb-{args.small_conversations}.json"
    small = generate(args.dir / small_name, args.small_mb, args.small_conversations)
    big = generate(args.dir / f"big-{args.big_mb:g}mb.json", args.big_mb)
    rows = ["| case | result | budget | verdict | notes |", "| --- | --- | --- | --- | --- |"]

    runs = []
    for _ in range(args.runs):
        url = fresh_sqlite(args.dir, "small")
        runs.append(timed(["chat", "import", small, "--json"], url))
    walls = [r.wall for r in runs]
    wall = statistics.median(walls)
    import json

    messages = json.loads(runs[0].out)["messages_added"]
    note = f"{messages:,} messages; wall {min(walls):.2f}-{max(walls):.2f} s over {len(walls)}"
    note += f" runs; CPU {statistics.median(r.cpu for r in runs):.2f} s"
    rows.append(row(f"SQLite: import {args.small_mb:g} MB export", f"{wall:.2f} s (median)",
                    "< 1 s wall", wall < 1.0, note))  # fmt: skip

    backends = [("SQLite", lambda: fresh_sqlite(args.dir, "big"), 20_000)]
    pg_name = f"todo_bench_chatimport_{os.getpid()}"
    if not args.no_pg:
        backends.append(("PostgreSQL", lambda: fresh_pg(pg_name), 15_000))
    try:
        for label, make, budget in backends:
            url = make()
            first = timed(["chat", "import", big, "--json"], url)
            n = json.loads(first.out)["messages_added"]
            rate, cpu_rate = n / first.wall, n / first.cpu
            note = f"{n:,} messages in {first.wall:.1f} s wall ({cpu_rate:,.0f}/s of CPU time)"
            rows.append(row(f"{label}: import {args.big_mb:g} MB export", f"{rate:,.0f} msg/s",
                            f">= {budget:,} msg/s", rate >= budget, note))  # fmt: skip
            rows.append(row(f"{label}: peak RSS, {args.big_mb:g} MB export",
                            f"{first.rss_mb:.0f} MB", "< 300 MB", first.rss_mb < 300))  # fmt: skip
            again = timed(["chat", "import", big, "--json"], url)
            added = json.loads(again.out)["messages_added"]
            rows.append(row(f"{label}: the same export again", f"{again.wall:.1f} s, adds {added}",
                            "adds 0", added == 0, f"peak RSS {again.rss_mb:.0f} MB"))  # fmt: skip
            print("\n".join(rows[-3:]), file=sys.stderr)
    finally:
        if not args.no_pg:
            drop_pg(pg_name)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
