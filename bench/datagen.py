"""Build benchmark databases fast, with bulk SQL rather than through the CLI.

The schema always comes from `todo db migrate` (head 0007: uuids, projects, dates, recurrence,
annotations, dependencies, the journal, stored urgency); rows are then loaded directly. The rows
are made once, in Python (`Mix.tasks`), and loaded with `executemany` on SQLite (one
transaction, journal off) and one `COPY` on PostgreSQL, with the indexes of `tasks` dropped
during the load and rebuilt from their own stored SQL. What todo itself computes in SQL comes
from todo's own SQL, so it is exactly what todo would have written: `urgency_base` from
`urgency.refresh_sql`, and each task's journal entry (an `add`, with the task's image from
`images.image` as its after-image). Then ANALYZE (VACUUM ANALYZE on PostgreSQL, so that the
visibility map allows index-only scans).

Row i (0-based, id i + 1) of a "shared" mix belongs to:
  - `big` if i % 10 == 0 (a tenth of all rows: 100,000 of 1,000,000),
  - `small` if i % 10 == 5 and (i // 10) % (total // 1000) == 0 (always 100 rows),
  - else one of `others` users `u0000`..., by u = ((i * 2246822519) >> 13) % others.
A "solo" mix gives every row to user `solo`. created_at grows with i over three years, so
ids and creation order agree, as they would in real use. With h = ((i * 2654435761) >> 8)
% 1000: completed if h < 300, in the trash if h >= 990, priority h % 4 (0 is none), due 14
days after creation if h % 3 == 0, tags by h % 5, a description if h is odd. With a second
hash g (independent of h and u): a project on 5 rows in 8 (`Home`, `Home.Garden`, `Work`,
`Work.Reports`, `Errands`), all-day due dates on half the due dates, `scheduled` on 10%,
waiting until 2031 on 1%, a past wait on 1%, an `until` that has passed on 1% (so expired
unless done), started on 1% of the open ones, a UDA in `extra` on 1%, one annotation on 10%
(two on a third of those), and on 5% a dependency on the user's previous task.
Recurrence: the 50th task of every 100 of a user is a template (`recur` daily, weekly,
monthly or weekdays; status recurring, never listed) and its user's next three tasks are its
instances 0, 1 and 2 (the first two completed): 1% templates, 3% instances; `big` has 1,000
templates. `all_pending` (the Taskwarrior comparison) makes every task plain and pending: no
trash, no completed, no templates, waits, expiry or dependencies.

    .venv/bin/python bench/datagen.py sqlite /tmp/x.db --tasks 1000000
    .venv/bin/python bench/datagen.py postgresql postgresql://postgres@127.0.0.1/x --tasks 1000000
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import io
import os
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ADMIN_URL, ROOT, admin_sql, log, migrate, sqlite_url

BASE = datetime(2023, 1, 1)  # naive UTC, as SQLite stores it
SPAN_US = 3 * 365 * 86400 * 1_000_000
SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"
WORDS = ("buy milk", "write the report", "call the bank", "fix the build", "plan the trip")
TAGS = ("[]", '["work"]', '["home"]', '["work", "urgent"]', "[]")
PROJECTS = (None, "Home", "Home.Garden", None, "Work", "Work.Reports", None, "Errands")
PERIODS = ("1d", "1w", "1m", "weekdays")
HASH = 2654435761
UHASH = 2246822519
GHASH = 3266489917
# Bump when a change here changes the rows (the cache key; the migrations and todo's SQL that
# the build uses are part of the key by their text).
DATA_VERSION = "0007.1"
FUTURE = datetime(2031, 1, 1)  # a wait that has not come yet, whenever the bench runs
# Everything but id and urgency_base (computed by todo's own SQL after the load).
COLUMNS = (
    "id", "user_id", "uuid", "title", "description", "completed", "priority", "due",
    "due_all_day", "tags", "project", "wait", "scheduled", "until", "start", "recur",
    "parent_id", "recur_index", "created_at", "updated_at", "completed_at", "deleted_at", "extra",
)  # fmt: skip
TIMES = {"due", "wait", "scheduled", "until", "start", "created_at", "updated_at",
         "completed_at", "deleted_at"}  # fmt: skip
BOOLS = {"completed", "due_all_day"}


def uuid_of(i: int) -> str:
    """A version 4 uuid, fixed for row i (so a rebuild gives the same data)."""
    d = hashlib.md5(b"bench-%d" % i).hexdigest()
    return f"{d[:8]}-{d[8:12]}-4{d[13:16]}-{'89ab'[int(d[16], 16) % 4]}{d[17:20]}-{d[20:32]}"


@dataclass
class Rows:
    """One mix's rows: tasks (in COLUMNS order, times as naive UTC datetimes), annotations
    (task_id, user_id, entry, text) and dependencies (task_id, depends_on uuid, user_id), and
    what `todo list` (pending, not waiting, not expired, not a template) counts per user."""

    tasks: list[tuple[Any, ...]] = field(default_factory=list)
    notes: list[tuple[Any, ...]] = field(default_factory=list)
    depends: list[tuple[Any, ...]] = field(default_factory=list)
    listed: Counter[str] = field(default_factory=Counter)
    live: int = 0  # not in the trash


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

    def rows(self) -> Rows:
        """Every row of the mix (see the module's docstring for the rules)."""
        from todo_cli.periods import next_due

        out = Rows()
        seen: Counter[str] = Counter()  # tasks of each user so far
        last: dict[str, str] = {}  # each user's previous plain task's uuid
        template: dict[str, tuple[Any, ...]] = {}  # each user's latest template row
        step, day = self.step_us, timedelta(days=1)
        plain = self.all_pending
        for i in range(self.total):
            user = self.user_of(i)
            n = seen[user]
            seen[user] += 1
            h = ((i * HASH) >> 8) % 1000
            g = ((i * GHASH) >> 11) % 1000
            created = BASE + timedelta(microseconds=i * step)
            uuid = uuid_of(i)
            r: dict[str, Any] = dict.fromkeys(COLUMNS)
            r.update(id=i + 1, user_id=user, uuid=uuid, created_at=created, extra="{}")
            r.update(tags=TAGS[h % 5], project=PROJECTS[g % 8], completed=False)
            r["due_all_day"] = False
            r["priority"] = h % 4 or None
            kind = n % 100
            tpl = template.get(user)
            if not plain and kind == 50:  # a recurrence's template
                r.update(title=f"Bench recurring {i}: water the plants", recur=PERIODS[g % 4])
                r["due"] = created + day
                r["updated_at"] = created
                template[user] = tuple(r.values())
                out.tasks.append(tuple(r.values()))
                out.live += 1
                continue
            if not plain and 51 <= kind <= 53 and tpl is not None:  # instance 0, 1, 2
                k = kind - 51
                t = dict(zip(COLUMNS, tpl, strict=True))
                done = k < 2
                r.update(title=t["title"], tags=t["tags"], project=t["project"])
                r.update(priority=t["priority"], parent_id=t["id"], recur_index=k)
                r["due"] = next_due(t["due"], t["recur"], k)
                r["completed"] = done
                r["completed_at"] = r["due"] if done else None
                r["updated_at"] = r["completed_at"] or created
                out.tasks.append(tuple(r.values()))
                out.live += 1
                out.listed[user] += not done
                continue
            done, deleted = (False, False) if plain else (h < 300, h >= 990)
            r["title"] = f"Bench task {i}: {WORDS[h % 5]}"
            r["description"] = f"Notes for task {i}" if h % 2 else None
            r["completed"] = done
            if h % 3 == 0:
                due = created + 14 * day
                if g % 2 == 0:  # a calendar day: stored as its 23:59:59 UTC
                    due = datetime.combine(due.date(), clock(23, 59, 59))
                r.update(due=due, due_all_day=g % 2 == 0)
            r["completed_at"] = created + day if done else None
            r["deleted_at"] = created + 2 * day if deleted else None
            r["updated_at"] = r["deleted_at"] or r["completed_at"] or created
            waiting = expired = False
            if not plain:
                if g % 100 == 3:
                    r["wait"], waiting = FUTURE, True
                elif g % 100 == 4:
                    r["wait"] = created + 5 * day
                elif g % 100 == 5:
                    r["until"], expired = created + 60 * day, not done
                if g % 10 == 7:
                    r["scheduled"] = created + 3 * day
                if g % 100 == 9 and not done:
                    r["start"] = created + timedelta(hours=1)
                if g % 20 == 13 and user in last:
                    out.depends.append((i + 1, last[user], user))
            if g % 100 == 11:
                r["extra"] = '{"estimate": "2h"}'
            if g % 10 == 4:
                out.notes.append((i + 1, user, created + day, f"Called about task {i}"))
                if g % 30 == 4:
                    out.notes.append((i + 1, user, created + 2 * day, "Still waiting"))
            last[user] = uuid
            out.tasks.append(tuple(r.values()))
            out.live += not deleted
            out.listed[user] += not (done or deleted or waiting or expired)
        return out

    def summary(self) -> Summary:
        return _summary(self)

    def pending_live(self) -> Counter[str]:
        """What `todo list` (pending: not waiting, expired or a template; not in the trash)
        should count per user."""
        return self.summary().listed

    def live_total(self) -> int:
        """Tasks not in the trash, all users (templates included)."""
        return self.summary().live

    def key(self) -> str:
        """Names this mix's data as built by this datagen and these migrations (the cache)."""
        h = hashlib.sha256(DATA_VERSION.encode())
        for p in sorted((ROOT / "migrations" / "versions").glob("*.py")):
            h.update(p.read_bytes())
        for name in ("urgency.py", "images.py"):
            h.update((ROOT / "todo_cli" / "services" / "tasks" / name).read_bytes())
        h.update(repr(self).encode())
        return h.hexdigest()[:12]


@dataclass(frozen=True)
class Summary:
    """What the checks need of a mix's rows, kept (the rows themselves are large)."""

    listed: Counter[str]
    live: int
    templates: Counter[str]  # per user
    notes: int
    depends: int


@functools.cache
def _summary(mix: Mix) -> Summary:
    rows = mix.rows()
    recur = COLUMNS.index("recur")
    templates = Counter(t[1] for t in rows.tasks if t[recur] is not None)
    return Summary(rows.listed, rows.live, templates, len(rows.notes), len(rows.depends))


def _user_rows(mix: Mix) -> list[tuple[str, str, str, datetime]]:
    return [(u, f"{u}@bench.test", f"Bench {u}", BASE) for u in mix.users()]


def _sqlite_value(name: str, v: Any) -> Any:
    if isinstance(v, datetime):
        return v.strftime(SQLITE_TS)
    if name in BOOLS:
        return int(v)
    return v


def _todo_sql(dialect: str) -> tuple[str, str]:
    """todo's own SQL for the stored urgency of every task, and for each task's journal entry
    (an `add`, after-image as `journal_after` writes it)."""
    from todo_cli.services.tasks import images, urgency
    from todo_cli.services.tasks.pipeline import Fragments

    refresh = urgency.refresh_sql(dialect, "1 = 1")
    at = "t.created_at"
    journal = (
        "INSERT INTO journal (user_id, change, command, at, task_uuid, action, after)"
        f" SELECT t.user_id, 'bench-' || t.id, 'add', {at}, t.uuid, 'add',"
        f" {images.image(Fragments(dialect), 't')} FROM tasks t ORDER BY t.id"
    )
    return refresh, journal


def build_sqlite(path: Path, mix: Mix) -> float:
    """Create, migrate and fill a SQLite file; returns the seconds it took."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="todo_bench_home_") as home:
        migrate(sqlite_url(path), Path(home))
    rows = mix.rows()
    log(f"rows made in {time.perf_counter() - t0:.1f} s")
    refresh, journal = _todo_sql("sqlite")
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
            [(*u[:3], u[3].strftime(SQLITE_TS)) for u in _user_rows(mix)],
        )
        marks = ", ".join("?" * len(COLUMNS))
        con.executemany(
            f"INSERT INTO tasks ({', '.join(COLUMNS)}) VALUES ({marks})",
            (
                tuple(_sqlite_value(c, v) for c, v in zip(COLUMNS, t, strict=True))
                for t in rows.tasks
            ),
        )
        con.executemany(
            "INSERT INTO annotations (task_id, user_id, entry, description) VALUES (?, ?, ?, ?)",
            ((a, b, c.strftime(SQLITE_TS), d) for a, b, c, d in rows.notes),
        )
        con.executemany(
            "INSERT INTO task_dependencies (task_id, depends_on, user_id) VALUES (?, ?, ?)",
            rows.depends,
        )
        con.execute(refresh)
        con.execute(journal)
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


def _copy_value(name: str, v: Any) -> str:
    if v is None:
        return "\\N"
    if isinstance(v, datetime):
        return v.isoformat(" ", "microseconds") + "+00"
    if name in BOOLS:
        return "t" if v else "f"
    return str(v)  # our texts hold no tab, newline or backslash


class _Lines(io.TextIOBase):
    """A file-like object for `copy_expert`: COPY text, 5,000 rows per read()."""

    def __init__(self, rows: list[tuple[Any, ...]], names: tuple[str, ...]) -> None:
        self.rows, self.names, self.at = rows, names, 0

    def read(self, size: int | None = -1) -> str:
        some = self.rows[self.at : self.at + 5000]
        self.at += len(some)
        return "".join(
            "\t".join(_copy_value(c, v) for c, v in zip(self.names, r, strict=True)) + "\n"
            for r in some
        )

    def readline(self, size: int | None = -1) -> str:
        return self.read()


def build_pg(url: str, mix: Mix) -> float:
    """Migrate and fill an (empty) PostgreSQL database; returns the seconds it took."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="todo_bench_home_") as home:
        migrate(url, Path(home))
    rows = mix.rows()
    log(f"rows made in {time.perf_counter() - t0:.1f} s")
    refresh, journal = _todo_sql("postgresql")
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
                [(*u[:3], u[3].replace(tzinfo=UTC)) for u in _user_rows(mix)],
            )
            cur.copy_expert(
                f"COPY tasks ({', '.join(COLUMNS)}) FROM STDIN", _Lines(rows.tasks, COLUMNS)
            )
            notes = ("task_id", "user_id", "entry", "description")
            cur.copy_expert(
                f"COPY annotations ({', '.join(notes)}) FROM STDIN", _Lines(rows.notes, notes)
            )
            deps = ("task_id", "depends_on", "user_id")
            cur.copy_expert(
                f"COPY task_dependencies ({', '.join(deps)}) FROM STDIN", _Lines(rows.depends, deps)
            )
            cur.execute("SELECT setval(pg_get_serial_sequence('tasks', 'id'), max(id)) FROM tasks")
            cur.execute("ANALYZE")
            cur.execute(refresh)
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute("VACUUM FULL tasks")  # the UPDATE above left a dead copy of each row
        con.autocommit = False
        with con, con.cursor() as cur:
            cur.execute("SET maintenance_work_mem = '512MB'")
            cur.execute(journal)
            for _, sql in indexes:
                cur.execute(sql)
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
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


# The cache: a 1,000,000-task build takes minutes, so builds are kept and reused while
# datagen, the migrations and the SQL they take from todo are unchanged (`Mix.key`).
CACHE = Path(os.environ.get("TODO_BENCH_CACHE", "/tmp/bench-cache"))
PG_CACHE_PREFIX = "todo_bench_cache_"


def cached_sqlite(mix: Mix, copy_to: Path | None = None) -> tuple[Path, float | None]:
    """The cached SQLite file of `mix` (built first if missing), or a copy of it at
    `copy_to` for a bench that writes. Returns (path, build seconds or None if cached)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{mix.key()}.db"
    took = None
    if not path.exists():
        tmp = path.with_suffix(".building")
        tmp.unlink(missing_ok=True)
        took = build_sqlite(tmp, mix)
        tmp.rename(path)
    else:
        log(f"sqlite {mix.total:,} tasks ({mix.shape}): cached {path}")
    if copy_to is None:
        return path, took
    con = sqlite3.connect(path)
    try:
        con.execute(f"VACUUM INTO '{copy_to}'")  # a consistent copy, WAL and all
    finally:
        con.close()
    return copy_to, took


def _pg_url(name: str) -> str:
    return f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def cached_pg(mix: Mix) -> tuple[str, float | None]:
    """A cached PostgreSQL database of `mix` (built first if missing); treat it as read-only,
    or copy it with `pg_copy`. Returns (its URL, build seconds or None if cached)."""
    name = PG_CACHE_PREFIX + mix.key()
    con = psycopg2.connect(ADMIN_URL)
    try:
        with con.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            exists = cur.fetchone() is not None
    finally:
        con.close()
    if exists:
        log(f"postgresql {mix.total:,} tasks ({mix.shape}): cached {name}")
        return _pg_url(name), None
    building = name + "_building"
    admin_sql(f"DROP DATABASE IF EXISTS {building} WITH (FORCE)")
    admin_sql(f"CREATE DATABASE {building}")
    took = build_pg(_pg_url(building), mix)
    admin_sql(f"ALTER DATABASE {building} RENAME TO {name}")
    return _pg_url(name), took


@contextlib.contextmanager
def pg_copy(url: str, tag: str) -> Iterator[str]:
    """A scratch copy `todo_bench_<pid>_<tag>` of the database at `url` (a cached one),
    dropped at the end."""
    source = url.rsplit("/", 1)[1]
    name = f"todo_bench_{os.getpid()}_{tag}"
    admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin_sql(f"CREATE DATABASE {name} TEMPLATE {source}")
    try:
        yield _pg_url(name)
    finally:
        admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def drop_pg_cache() -> None:
    """Drop every cached PostgreSQL database (`datagen.py --drop-pg-cache`)."""
    con = psycopg2.connect(ADMIN_URL)
    try:
        with con.cursor() as cur:
            cur.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (PG_CACHE_PREFIX + "%",)
            )
            names = [r[0] for r in cur.fetchall()]
    finally:
        con.close()
    for n in names:
        admin_sql(f"DROP DATABASE IF EXISTS {n} WITH (FORCE)")
        log(f"dropped {n}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("backend", choices=["sqlite", "postgresql", "drop-pg-cache"])
    ap.add_argument("target", nargs="?", help="a new SQLite file, or an empty PostgreSQL db's URL")
    ap.add_argument("--tasks", type=int, default=1_000_000)
    ap.add_argument("--shape", choices=["shared", "solo"], default="shared")
    ap.add_argument("--others", type=int, default=1000)
    ap.add_argument("--all-pending", action="store_true")
    a = ap.parse_args(argv)
    if a.backend == "drop-pg-cache":
        drop_pg_cache()
        return 0
    mix = Mix(a.tasks, a.shape, a.others, a.all_pending)
    if a.backend == "sqlite":
        build_sqlite(Path(a.target).resolve(), mix)
    else:
        build_pg(a.target, mix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
