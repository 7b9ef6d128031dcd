"""Try an index before writing its migration: the scale section (bench/scale.py) on copies of
its cached 1,000,000-task builds with extra DDL applied, on SQLite and PostgreSQL.

`{false}` in the DDL becomes each backend's false (`0` / `false`). The cached builds are not
touched: SQLite's is copied to the temp dir, PostgreSQL's cloned with CREATE DATABASE ...
TEMPLATE (then ANALYZEd), and the clone is dropped at the end.

    .venv/bin/python bench/index_trial.py --ddl "CREATE INDEX ix_x ON tasks (user_id, wait,
        until) WHERE deleted_at IS NULL AND completed = {false} AND recur IS NULL"
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Config, Section, log, pg_ok, prepare_env, sqlite_url
from datagen import Mix, cached_pg, cached_sqlite, pg_copy
from scale import backend


def trial(cfg: Config, tmp: Path, ddl: list[str], backends: list[str]) -> Section:
    sec = Section("Trial: `todo list` at scale with " + "; ".join(f"`{d}`" for d in ddl))
    mix = Mix(cfg.scale_total, "shared", cfg.others)
    if "sqlite" in backends:
        cached, _ = cached_sqlite(mix)
        path = tmp / "trial.db"
        con = sqlite3.connect(cached)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        shutil.copyfile(cached, path)
        con = sqlite3.connect(path)
        for d in ddl:
            con.execute(d.format(false="0"))
        con.execute("ANALYZE")
        con.commit()
        con.close()
        log("SQLite trial copy ready")
        backend(cfg, tmp, "SQLite", sqlite_url(path), mix, sec)
    if "postgresql" in backends and cfg.pg:
        cached_url, _ = cached_pg(mix)
        with pg_copy(cached_url, "trial") as url:
            con = psycopg2.connect(url)
            con.autocommit = True
            with con.cursor() as cur:
                for d in ddl:
                    cur.execute(d.format(false="false"))
                cur.execute("VACUUM ANALYZE tasks")
            con.close()
            log("PostgreSQL trial copy ready")
            backend(cfg, tmp, "PostgreSQL", url, mix, sec)
    return sec


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ddl", action="append", required=True, help="repeatable")
    ap.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="todo_bench_") as t:
        tmp = Path(t)
        prepare_env(tmp)
        cfg = Config.make(quick=a.quick, pg=pg_ok() is None, runs=a.runs)
        sec = trial(cfg, tmp, a.ddl, a.backend or ["sqlite", "postgresql"])
    print(sec.markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
