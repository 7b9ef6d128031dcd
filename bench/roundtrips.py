"""Count the PostgreSQL round trips of real `todo` commands against a bare-minimum baseline.

Baseline: psycopg2 connect, `SELECT 1`, close. Each command runs as a subprocess through
bench/rtproxy.py; it passes if its warm-cache run (the second, same TODO_HOME) stays within
baseline + 2. Needs PostgreSQL at --admin-url (a superuser); makes and drops a scratch role
and database.

    .venv/bin/python bench/roundtrips.py [--json] [--sslmode prefer|disable|...]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rtproxy import CountingProxy

TODO = Path(sys.executable).parent / "todo"
BUDGET_EXTRA = 2
# (label, args of the cold run, args of the warm run): ids differ so both runs do real work.
COMMANDS: list[tuple[str, list[str], list[str]]] = [
    ("db current", ["db", "current"], ["db", "current"]),
    ('add "x"', ["add", "x"], ["add", "x"]),
    ("list", ["list"], ["list"]),
    ("complete 1 (warm: 2)", ["complete", "1"], ["complete", "2"]),
    ("delete 1 (warm: 2)", ["delete", "1"], ["delete", "2"]),
    ('chat new "t"', ["chat", "new", "t"], ["chat", "new", "t"]),
    ('chat say 1 "hi" (warm: 2)', ["chat", "say", "1", "hi"], ["chat", "say", "2", "hi"]),
    ("chat list", ["chat", "list"], ["chat", "list"]),
    ("chat search hi", ["chat", "search", "hi"], ["chat", "search", "hi"]),
    ("db health", ["db", "health"], ["db", "health"]),
]


@dataclass
class Run:
    round_trips: int | None
    connections: int
    exit: int
    error: str = ""

    def show(self) -> str:
        return str(self.round_trips) if self.round_trips is not None else f"n/a ({self.error})"


def auth_method(admin: Any, db: str, role: str) -> str:
    """The pg_hba.conf method the first matching `host` line gives 127.0.0.1 (or why unknown)."""
    cur = admin.cursor()
    try:
        cur.execute(
            "SELECT type, database, user_name, address, netmask, auth_method, error"
            " FROM pg_hba_file_rules ORDER BY line_number"
        )
    except psycopg2.Error as e:
        return f"unknown ({e.pgerror or e})".strip()
    me = ipaddress.ip_address("127.0.0.1")
    for kind, dbs, users, addr, mask, method, err in cur.fetchall():
        if err or kind not in ("host", "hostnossl"):
            continue
        if not ({"all", db} & set(dbs) and {"all", role} & set(users)):
            continue
        if addr in ("all", "samehost", "samenet"):
            return str(method)
        try:
            net = ipaddress.ip_network(f"{addr}/{mask}" if mask else addr, strict=False)
        except ValueError:
            continue
        if me in net:
            return str(method)
    return "none matched"


def run_todo(proxy: CountingProxy, url: str, args: list[str], home: Path) -> Run:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["TODO_HOME"] = str(home)
    proxy.wait_idle()
    proxy.reset()
    p = subprocess.run(
        [str(TODO), "--database-url", url, *args],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
    )
    idle = proxy.wait_idle()
    stats = proxy.snapshot()
    if p.returncode != 0:
        first = next((ln.strip() for ln in p.stderr.splitlines() if ln.strip()), "")
        return Run(None, stats.connections, p.returncode, f"exit {p.returncode}: {first[:60]}")
    if not idle:
        return Run(None, stats.connections, 0, "a connection stayed open")
    return Run(stats.round_trips, stats.connections, 0)


def baseline(proxy: CountingProxy, dsn: str) -> int:
    proxy.wait_idle()
    proxy.reset()
    conn = psycopg2.connect(dsn)
    conn.autocommit = True  # no BEGIN: psycopg2's default would add one round trip
    cur = conn.cursor()
    cur.execute("SELECT 1")
    cur.fetchone()
    conn.close()
    proxy.wait_idle()
    return proxy.snapshot().round_trips


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--sslmode", default="prefer", help="for the baseline and the todo URLs")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    opts = ap.parse_args(argv)

    admin_url = urlsplit(opts.admin_url)
    host, port = admin_url.hostname or "127.0.0.1", admin_url.port or 5432
    name = f"todo_bench_rt_{os.getpid()}"
    password = f"pw-{os.getpid()}"
    admin = psycopg2.connect(opts.admin_url)
    admin.autocommit = True
    notes: list[str] = []
    tmpdir = tempfile.TemporaryDirectory(prefix="todo_bench_rt_")
    tmp = Path(tmpdir.name)
    try:
        with admin.cursor() as cur:
            cur.execute("SET password_encryption = 'scram-sha-256'")
            cur.execute(f"CREATE ROLE {name} LOGIN PASSWORD %s", (password,))
            cur.execute(f"CREATE DATABASE {name} OWNER {name}")
        method = auth_method(admin, name, name)
        if method not in ("scram-sha-256", "md5", "password"):
            notes.append(
                f"pg_hba.conf gives 127.0.0.1 '{method}', not password auth: measured without"
                " the SCRAM exchange (password auth adds ~2 round trips to baseline and"
                " commands alike; the difference is what counts)"
            )

        def url(p: int) -> str:
            return f"postgresql://{name}:{password}@{host}:{p}/{name}?sslmode={opts.sslmode}"

        mig = subprocess.run(
            [str(TODO), "--database-url", url(port), "db", "migrate"],
            env=os.environ | {"TODO_HOME": str(tmp / "migrate")},
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if mig.returncode != 0:
            print(f"todo db migrate failed ({mig.returncode}):\n{mig.stderr}", file=sys.stderr)
            return 1

        with CountingProxy(target=(host, port)) as proxy:
            base = {
                mode: baseline(
                    proxy,
                    f"host={host} port={proxy.port} dbname={name} user={name}"
                    f" password={password} sslmode={mode}",
                )
                for mode in dict.fromkeys(["disable", "prefer", opts.sslmode])
            }
            budget = base[opts.sslmode] + BUDGET_EXTRA
            rows: list[dict[str, Any]] = []
            for i, (label, cold_args, warm_args) in enumerate(COMMANDS):
                home = tmp / f"home{i}"  # a fresh data dir: the first run is cold
                home.mkdir()
                cold = run_todo(proxy, url(proxy.port), cold_args, home)
                warm = run_todo(proxy, url(proxy.port), warm_args, home)
                ok = warm.round_trips is not None and warm.round_trips <= budget
                verdict = "pass" if ok else ("fail" if warm.round_trips is not None else "n/a")
                rows.append(
                    {"command": label, "warm": asdict(warm), "cold": asdict(cold)}
                    | {"budget": budget, "result": verdict, "_w": warm, "_c": cold}
                )
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            cur.execute(f"DROP ROLE IF EXISTS {name}")
        admin.close()
        tmpdir.cleanup()

    if opts.json:
        out = {
            "auth": method,
            "sslmode": opts.sslmode,
            "baseline": base,
            "budget": budget,
            "notes": notes,
            "commands": [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
        }
        print(json.dumps(out, indent=2))
        return 0
    print(
        f"Baseline (connect + SELECT 1 + close, auth {method}): "
        + ", ".join(f"sslmode={m}: {n}" for m, n in base.items())
        + f"; budget = {base[opts.sslmode]} + {BUDGET_EXTRA} = {budget}\n"
    )
    print("| command | round trips (warm) | first run (cold) | conns | budget | result |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        w, c = r["_w"], r["_c"]
        print(
            f"| `todo {r['command']}` | {w.show()} | {c.show()} | {w.connections} "
            f"| {budget} | {r['result']} |"
        )
    for n in notes:
        print(f"\nNote: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
