"""Build benchmark databases fast, with bulk SQL rather than through the CLI.

The schema always comes from `todo db migrate`; rows are then loaded directly: on SQLite with
`executemany` in one transaction (journal off, indexes dropped during the load and rebuilt
from their own stored SQL), on PostgreSQL with one `INSERT ... SELECT ... generate_series`
(same index trick), then ANALYZE (VACUUM ANALYZE on PostgreSQL, so that the visibility map
allows index-only scans).

Row i (0-based) of a "shared" mix belongs to:
  - `big` if i % 10 == 0 (a tenth of all rows: 100,000 of 1,000,000),
  - `small` if i % 10 == 5 and (i // 10) % (total // 1000) == 0 (always 100 rows),
  - else one of `others` users `u0000`..., by u = ((i * 2246822519) >> 13) % others.
A "solo" mix gives every row to user `solo`. created_at grows with i over three years, so
ids and creation order agree, as they would in real use. With h = ((i * 2654435761) >> 8)
% 1000 (independent of u):
completed if h < 300, in the trash if h >= 990 (unless `all_pending`), priority h % 4 (0 is
none), due 14 days after creation if h % 3 == 0, tags by h % 5, a description if h is odd.
The same formulas are written once in Python (SQLite) and once in SQL (PostgreSQL).

    .venv/bin/python bench/datagen.py sqlite /tmp/x.db --tasks 1000000
    .venv/bin/python bench/datagen.py postgresql postgresql://postgres@127.0.0.1/x --tasks 1000000
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import log, migrate, sqlite_url

BASE = datetime(2023, 1, 1)  # naive UTC, as SQLite stores it
SPAN_US = 3 * 365 * 86400 * 1_000_000
SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"
WORDS = ("buy milk", "write the report", "call the bank", "fix the build", "plan the trip")
TAGS = ("[]", '["work"]', '["home"]', '["work", "urgent"]', "[]")
HASH = 2654435761
UHASH = 2246822519
COLUMNS = (
    "user_id, title, description, completed, priority, due, created_at, updated_at,"
    " completed_at, deleted_at, tags"
)


@dataclass(frozen=True)
class Mix:
    total: int
    shape: str = "shared"  # "shared" or "solo"
    others: int = 1000
    all_pending: bool = False

    @property
    def step_us(self) -> int:
        return SPAN_US // max(1, self.total)

    @property
    def small_every(self) -> int:
        return max(1, self.total // 1000)

    def users(self) -> list[str]:
        if self.shape == "solo":
            return ["solo"]
        return ["big", "small", *(f"u{k:04d}" for k in range(self.others))]

    def user_of(self, i: int) -> str:
        if self.shape == "solo":
            return "solo"
        if i % 10 == 0:
            return "big"
        if i % 10 == 5 and (i // 10) % self.small_every == 0:
            return "small"
        return f"u{((i * UHASH) >> 13) % self.others:04d}"

    def flags(self, h: int) -> tuple[bool, bool]:
        """(completed, deleted) for hash h."""
        if self.all_pending:
            return False, False
        return h < 300, h >= 990

    def pending_live(self) -> Counter[str]:
        """What `todo list` (pending, not in the trash) should count per user."""
        n: Counter[str] = Counter()
        for i in range(self.total):
            done, deleted = self.flags(((i * HASH) >> 8) % 1000)
            if not done and not deleted:
                n[self.user_of(i)] += 1
        return n

    def live_total(self) -> int:
        """Tasks not in the trash, all users."""
        return sum(1 for i in range(self.total) if not self.flags(((i * HASH) >> 8) % 1000)[1])

    def sqlite_rows(self) -> Iterator[tuple[object, ...]]:
        step, day = self.step_us, timedelta(days=1)
        for i in range(self.total):
            h = ((i * HASH) >> 8) % 1000
            done, deleted = self.flags(h)
            created = BASE + timedelta(microseconds=i * step)
            c = created.strftime(SQLITE_TS)
            completed_at = (created + day).strftime(SQLITE_TS) if done else None
            deleted_at = (created + 2 * day).strftime(SQLITE_TS) if deleted else None
            yield (
                self.user_of(i),
                f"Bench task {i}: {WORDS[h % 5]}",
                f"Notes for task {i}" if h % 2 else None,
                int(done),
                h % 4 or None,
                (created + 14 * day).strftime(SQLITE_TS) if h % 3 == 0 else None,
                c,
                deleted_at or completed_at or c,
                completed_at,
                deleted_at,
                TAGS[h % 5],
            )

    def pg_insert(self) -> str:
        """The same rows as `sqlite_rows`, as one INSERT ... SELECT (ids follow i)."""
        if self.shape == "solo":
            uid = "'solo'"
        else:
            uid = (
                "CASE WHEN i % 10 = 0 THEN 'big'"
                f" WHEN i % 10 = 5 AND (i / 10) % {self.small_every} = 0 THEN 'small'"
                f" ELSE 'u' || lpad((((i::bigint * {UHASH}) >> 13) % {self.others})::text,"
                " 4, '0') END"
            )
        done = "false" if self.all_pending else "h < 300"
        deleted = "false" if self.all_pending else "h >= 990"
        words = ", ".join(f"'{w}'" for w in WORDS)
        tags = ", ".join(f"'{t}'" for t in TAGS)
        return f"""
INSERT INTO tasks ({COLUMNS}, uuid)
SELECT uid, 'Bench task ' || i || ': ' || (ARRAY[{words}])[h % 5 + 1],
       CASE WHEN h % 2 = 1 THEN 'Notes for task ' || i END,
       done, NULLIF(h % 4, 0),
       CASE WHEN h % 3 = 0 THEN c + interval '14 days' END,
       c,
       CASE WHEN del THEN c + interval '2 days' WHEN done THEN c + interval '1 day' ELSE c END,
       CASE WHEN done THEN c + interval '1 day' END,
       CASE WHEN del THEN c + interval '2 days' END,
       ((ARRAY[{tags}])[h % 5 + 1])::jsonb,
       gen_random_uuid()::text  -- NOT NULL since migration 0007
FROM (
    SELECT i, h, uid, c, {done} AS done, {deleted} AS del
    FROM (
        SELECT i, (((i::bigint * {HASH}) >> 8) % 1000)::int AS h, {uid} AS uid,
               timestamptz '{BASE:%Y-%m-%d} 00:00:00+00'
                   + (i::bigint * {self.step_us}) * interval '1 microsecond' AS c
        FROM generate_series(0, {self.total - 1}) AS i
    ) a
) b
ORDER BY i
"""


def _user_rows(mix: Mix, sqlite: bool) -> list[tuple[str, str, str, str]]:
    created = BASE.strftime(SQLITE_TS) if sqlite else f"{BASE:%Y-%m-%d} 00:00:00+00"
    return [(u, f"{u}@bench.test", f"Bench {u}", created) for u in mix.users()]


def build_sqlite(path: Path, mix: Mix) -> float:
    """Create, migrate and fill a SQLite file; returns the seconds it took."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="todo_bench_home_") as home:
        migrate(sqlite_url(path), Path(home))
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode = DELETE")
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.execute("PRAGMA cache_size = -262144")  # 256 MiB
        indexes = [
            (name, sql)
            for name, sql in con.execute(
                "SELECT name, sql FROM sqlite_master"
                " WHERE type = 'index' AND tbl_name = 'tasks' AND sql IS NOT NULL"
            )
        ]
        con.execute("BEGIN")
        for name, _ in indexes:
            con.execute(f'DROP INDEX "{name}"')
        con.executemany(
            "INSERT INTO users (id, email, name, created_at) VALUES (?, ?, ?, ?)",
            _user_rows(mix, sqlite=True),
        )
        con.executemany(
            f"INSERT INTO tasks ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            mix.sqlite_rows(),
        )
        for _, sql in indexes:
            con.execute(sql)
        con.execute("COMMIT")
        con.execute("ANALYZE")
        con.execute("PRAGMA journal_mode = WAL")
    finally:
        con.close()
    took = time.perf_counter() - t0
    log(f"sqlite {path.name}: {mix.total:,} tasks ({mix.shape}) in {took:.1f} s")
    return took


def build_pg(url: str, mix: Mix) -> float:
    """Migrate and fill an (empty) PostgreSQL database; returns the seconds it took."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="todo_bench_home_") as home:
        migrate(url, Path(home))
    con = psycopg2.connect(url)
    try:
        with con, con.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
            cur.execute("SET maintenance_work_mem = '512MB'")
            cur.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i"
                " WHERE i.tablename = 'tasks' AND NOT EXISTS ("
                "   SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
            )
            indexes = cur.fetchall()
            for name, _ in indexes:
                cur.execute(f'DROP INDEX "{name}"')
            cur.executemany(
                "INSERT INTO users (id, email, name, created_at) VALUES (%s, %s, %s, %s)",
                _user_rows(mix, sqlite=False),
            )
            cur.execute(mix.pg_insert())
            for _, sql in indexes:
                cur.execute(sql)
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute("VACUUM ANALYZE users")
            for attempt in range(10):
                # A snapshot held elsewhere (autovacuum's ANALYZE, another session) can keep
                # VACUUM from marking pages all-visible; index-only scans need them marked.
                cur.execute("VACUUM ANALYZE tasks")
                cur.execute("SELECT relpages, relallvisible FROM pg_class WHERE relname = 'tasks'")
                pages, visible = cur.fetchone()
                if visible >= 0.99 * pages:
                    break
                log(f"VACUUM left {visible}/{pages} pages all-visible; again ({attempt + 1})")
                time.sleep(1)
    finally:
        con.close()
    took = time.perf_counter() - t0
    log(f"postgresql: {mix.total:,} tasks ({mix.shape}) in {took:.1f} s")
    return took


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("backend", choices=["sqlite", "postgresql"])
    ap.add_argument("target", help="a new SQLite file, or the URL of an empty PostgreSQL db")
    ap.add_argument("--tasks", type=int, default=1_000_000)
    ap.add_argument("--shape", choices=["shared", "solo"], default="shared")
    ap.add_argument("--others", type=int, default=1000)
    ap.add_argument("--all-pending", action="store_true")
    a = ap.parse_args(argv)
    mix = Mix(a.tasks, a.shape, a.others, a.all_pending)
    if a.backend == "sqlite":
        build_sqlite(Path(a.target).resolve(), mix)
    else:
        build_pg(a.target, mix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
