"""Issue #13: `todo undo` costs the same with 10 journal entries as with 1,000,000.

Two databases of datagen's (cached) builds, each one user `solo` whose every task has its
`add` entry in the journal: 10 tasks and 10 entries, and 1,000,000 of each. Before each timed
run, `todo add "undo me"` (not timed) gives the run a change to undo, so both stay as they
are; the two `undo` commands are timed in interleaved rounds. Each runs on a copy of the
cached build (undo writes). `--profile` gives the SQL time of one undo on each, to say where a
difference would come from.

    .venv/bin/python bench/undo.py [--quick]
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import statistics
import sys
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    Cmd,
    Config,
    Row,
    Section,
    home,
    hyperfine,
    run,
    sqlite_url,
    standalone,
    todo,
    verdict,
)
from datagen import Mix, cached_pg, cached_sqlite, pg_copy

LIMIT = 1.25  # as the other "costs the same" targets
USER = "solo"


def _copy_sqlite(mix: Mix, to: Path) -> Path:
    path, _ = cached_sqlite(mix)
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    shutil.copyfile(path, to)
    return to


def _entries(url: str) -> int:
    sql = "SELECT count(*) FROM journal WHERE user_id = 'solo' AND undone_at IS NULL"
    if url.startswith("sqlite"):
        con = sqlite3.connect(url.split(":///", 1)[1])
        try:
            return int(con.execute(sql).fetchone()[0])
        finally:
            con.close()
    pg = psycopg2.connect(url)
    try:
        with pg.cursor() as cur:
            cur.execute(sql)
            return int(cur.fetchone()[0])
    finally:
        pg.close()


_PROFILE_LINE = re.compile(r"^--\s+\d+\s+([\d.]+) ms\s+(.*)$")


def sql_ms(url: str, env: dict[str, str], times: int = 5) -> tuple[float, int]:
    """Median SQL time of one undo (sum of its statements, `todo --profile`), and its count
    of statements."""
    sums, count = [], 0
    for _ in range(times):
        run(todo(url, "add", "undo me", user=USER), env=env)
        err = run([*todo(url, "--profile", "undo", "--yes", user=USER)], env=env).stderr
        found = [float(m.group(1)) for ln in err.splitlines() if (m := _PROFILE_LINE.match(ln))]
        sums.append(sum(found))
        count = len(found)
    return statistics.median(sums), count


def backend(cfg: Config, tmp: Path, name: str, urls: dict[str, str], sec: Section) -> None:
    envs = {label: home(tmp, f"undo-{name}-{label}") for label in urls}
    for label, url in urls.items():
        want = 10 if label == "10" else cfg.export_tasks
        got = _entries(url)
        if got != want:
            raise RuntimeError(f"{name} {label}: {got} journal entries to undo, want {want}")
    cmds = [
        Cmd(f"{name}: undo ({label} entries)", todo(url, "undo", "--yes", user=USER), envs[label])
        for label, url in urls.items()
    ]
    prepare = [
        Cmd("add", todo(url, "add", "undo me", user=USER), envs[label])
        for label, url in urls.items()
    ]
    ts = hyperfine(cmds, runs=cfg.runs, warmup=cfg.warmup, rounds=cfg.rounds, prepare=prepare)
    sec.timings += ts
    small, big = ts
    r = big.mean / small.mean
    q_small, _ = sql_ms(urls["10"], envs["10"])
    big_label = next(k for k in urls if k != "10")
    q_big, n_big = sql_ms(urls[big_label], envs[big_label])
    sec.rows.append(
        Row(
            f"{name}: `undo`, {cfg.export_tasks:,} journal entries / 10",
            f"{r:.2f}x ({big.fmt()} / {small.fmt()})",
            f"<= {LIMIT}x",
            verdict(r <= LIMIT),
            f"CPU ratio {big.cpu / small.cpu:.2f}x; its SQL alone ({n_big} statements):"
            f" {q_big:.1f} ms vs {q_small:.1f} ms",
        )
    )


def main_run(cfg: Config, tmp: Path) -> Section:
    sec = Section("7. Undo: `todo undo` with 10 and with 1,000,000 journal entries")
    small, big = Mix(10, "solo"), Mix(cfg.export_tasks, "solo")
    label = f"{big.total // 1000}k" if big.total < 1_000_000 else "1M"
    sec.notes.append(
        f"data: user `solo` with 10 tasks and 10 journal entries, and with {big.total:,} tasks"
        f" and {big.total:,} entries (one `add` per task, its after-image as todo writes it);"
        " before each run `todo add` (not timed) gives it a change to undo"
    )
    urls = {
        "10": sqlite_url(_copy_sqlite(small, tmp / "undo-10.db")),
        label: sqlite_url(_copy_sqlite(big, tmp / "undo-big.db")),
    }
    backend(cfg, tmp, "SQLite", urls, sec)
    if not cfg.pg:
        sec.rows.append(Row("PostgreSQL", "not run", "", "n/a", "PostgreSQL unreachable"))
        return sec
    small_url, _ = cached_pg(small)
    big_url, _ = cached_pg(big)
    with pg_copy(small_url, "undo10") as u10, pg_copy(big_url, "undobig") as ubig:
        backend(cfg, tmp, "PostgreSQL", {"10": u10, label: ubig}, sec)
    return sec


if __name__ == "__main__":
    sys.exit(standalone(__doc__.splitlines()[0], main_run))
