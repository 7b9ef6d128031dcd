"""Chat benchmarks: `todo chat search`, `chat list` and `chat show` on a tiny and a large database.

Targets of the issue, on SQLite and on PostgreSQL:
  1. `todo chat search WORD` over 1,000,000 messages takes at most 1.3x what it takes over 1,000.
  2. `todo chat list` with 10,000 conversations and `todo chat show ID` on a conversation with
     100,000 messages each take at most 1.25x what they take on a tiny database.

Each backend gets two databases, both built by `todo db migrate` and then bulk SQL (executemany
in one transaction on SQLite, the FTS5 triggers filling the index; INSERT ... SELECT FROM
generate_series on PostgreSQL, then VACUUM ANALYZE):
  - small: 1,000 messages in 10 conversations (conversation 1 holds 100 of them);
  - large: 1,000,000 messages in 10,000 conversations; conversation 1 holds every tenth message
    (100,000), the others about 90 each. `--quick` divides the large sizes by 10.
All messages belong to user `bench`, who runs every command (`--user bench`).

Message i has 4..12 words drawn from a vocabulary of 5,000 generated words with a Zipf-like
(log-uniform) distribution. Two more words are never drawn, only placed: COMMON is the first
word of every message with i % 50 == 17 (2%: 20 matches in 1,000 messages, 20,000 in 1,000,000),
RARE the last word of exactly 20 messages in either database. The same integer hashes are
written once in Python (SQLite) and once in SQL (PostgreSQL).

    .venv/bin/python bench/chat.py [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    ADMIN_URL,
    Cmd,
    Timing,
    hyperfine,
    log,
    migrate,
    pg_ok,
    prepare_env,
    run,
    sqlite_url,
    todo,
)

USER = "bench"
VOCAB_SIZE = 5000
COMMON_EVERY = 50  # COMMON is in message i iff i % COMMON_EVERY == COMMON_AT
COMMON_AT = 17
RARE_COUNT = 20  # RARE is in message i iff i % (n // RARE_COUNT) == RARE_AT
RARE_AT = 3
BIG_EVERY = 10  # message i belongs to conversation 1 iff i % BIG_EVERY == 0
BASE = datetime(2025, 1, 1)  # naive UTC
SPAN_US = 365 * 86400 * 1_000_000
SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"
MHASH = 2246822519  # per message: word count, role
WHASH = 2654435761  # per word slot
M32 = 1 << 32
SEARCH_LIMIT = 1.3
LIST_LIMIT = 1.25


def make_words() -> tuple[list[str], str, str]:
    """5,000 vocabulary words, and COMMON and RARE (distinct, never drawn from the vocabulary)."""
    rnd = random.Random(20261125)
    cons, vows = "bcdfghjklmnprstvwz", "aeiou"
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < VOCAB_SIZE + 2:
        w = "".join(rnd.choice(cons) + rnd.choice(vows) for _ in range(rnd.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out[:VOCAB_SIZE], out[VOCAB_SIZE], out[VOCAB_SIZE + 1]


VOCAB, COMMON, RARE = make_words()


@dataclass(frozen=True)
class Shape:
    name: str
    messages: int
    conversations: int

    @property
    def rare_every(self) -> int:
        return self.messages // RARE_COUNT

    @property
    def step_us(self) -> int:
        return SPAN_US // self.messages

    @property
    def big_messages(self) -> int:
        return len(range(0, self.messages, BIG_EVERY))

    def common_matches(self) -> int:
        return len(range(COMMON_AT, self.messages, COMMON_EVERY))

    def conv_of(self, i: int) -> int:
        return 1 if i % BIG_EVERY == 0 else 2 + i % (self.conversations - 1)

    def content(self, i: int) -> str:
        k = 4 + ((i * MHASH) % M32) % 9
        words = [
            VOCAB[int(VOCAB_SIZE ** ((((i * 16 + j) * WHASH) % M32) / M32)) - 1] for j in range(k)
        ]
        if i % COMMON_EVERY == COMMON_AT:
            words.insert(0, COMMON)
        if i % self.rare_every == RARE_AT:
            words.append(RARE)
        return " ".join(words)

    def rows(self) -> Iterator[tuple[object, ...]]:
        for i in range(self.messages):
            h = (i * MHASH) % M32
            role = "system" if h % 97 == 0 else ("user", "assistant")[i % 2]
            ts = (BASE + timedelta(microseconds=i * self.step_us)).strftime(SQLITE_TS)
            yield (i + 1, self.conv_of(i), USER, role, self.content(i), ts)

    def pg_insert(self) -> str:
        """The same rows as `rows()`, as one INSERT ... SELECT (ids follow i)."""
        n, c = self.messages, self.conversations
        # A constant array: a column would be detoasted (all 5,000 words) for every word.
        vocab = "ARRAY[" + ",".join(f"'{w}'" for w in VOCAB) + "]::text[]"
        return f"""
INSERT INTO messages (id, conversation_id, user_id, role, content, created_at)
SELECT i + 1,
       CASE WHEN i % {BIG_EVERY} = 0 THEN 1 ELSE 2 + i % {c - 1} END,
       '{USER}',
       CASE WHEN ((i * {MHASH}) % {M32}) % 97 = 0 THEN 'system'
            WHEN i % 2 = 0 THEN 'user' ELSE 'assistant' END,
       concat_ws(' ',
           CASE WHEN i % {COMMON_EVERY} = {COMMON_AT} THEN '{COMMON}' END,
           (SELECT string_agg(({vocab})[floor(power({VOCAB_SIZE}::float8,
                                   (((i * 16 + j) * {WHASH}) % {M32})::float8 / {M32}))::int],
                              ' ' ORDER BY j)
            FROM generate_series(0, 3 + ((i * {MHASH}) % {M32}) % 9) AS j),
           CASE WHEN i % {self.rare_every} = {RARE_AT} THEN '{RARE}' END),
       timestamptz '{BASE:%Y-%m-%d} 00:00:00+00' + i * {self.step_us} * interval '1 microsecond'
FROM generate_series(0::bigint, {n - 1}) AS i
ORDER BY i
"""


CONV_STATS_SQLITE = """
UPDATE conversations SET
    message_count = (SELECT count(*) FROM messages m WHERE m.conversation_id = conversations.id),
    created_at = coalesce((SELECT min(created_at) FROM messages m
                           WHERE m.conversation_id = conversations.id), created_at),
    updated_at = coalesce((SELECT max(created_at) FROM messages m
                           WHERE m.conversation_id = conversations.id), updated_at)
"""
CONV_STATS_PG = """
UPDATE conversations c SET message_count = a.n, created_at = a.first, updated_at = a.last
FROM (SELECT conversation_id, count(*) AS n, min(created_at) AS first, max(created_at) AS last
      FROM messages GROUP BY conversation_id) a
WHERE a.conversation_id = c.id
"""


def build_sqlite(path: Path, shape: Shape) -> float:
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="todo_bench_chat_home_") as home:
        migrate(sqlite_url(path), Path(home))
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode = DELETE")
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.execute("PRAGMA cache_size = -262144")  # 256 MiB
        indexes = con.execute(
            "SELECT name, sql FROM sqlite_master"
            " WHERE type = 'index' AND tbl_name = 'messages' AND sql IS NOT NULL"
        ).fetchall()
        con.execute("BEGIN")
        for name, _ in indexes:
            con.execute(f'DROP INDEX "{name}"')
        base = BASE.strftime(SQLITE_TS)
        con.execute(
            "INSERT INTO users (id, email, name, created_at) VALUES (?, ?, ?, ?)",
            (USER, f"{USER}@bench.test", "Bench user", base),
        )
        con.executemany(
            "INSERT INTO conversations (id, user_id, title, message_count, created_at,"
            " updated_at) VALUES (?, ?, ?, 0, ?, ?)",
            ((c, USER, f"Conversation {c}", base, base) for c in range(1, shape.conversations + 1)),
        )
        con.executemany(  # the FTS5 insert trigger fills messages_fts
            "INSERT INTO messages (id, conversation_id, user_id, role, content, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            shape.rows(),
        )
        for _, sql in indexes:
            con.execute(sql)
        con.execute(CONV_STATS_SQLITE)
        con.execute("COMMIT")
        con.execute("INSERT INTO messages_fts(messages_fts) VALUES ('optimize')")
        con.execute("ANALYZE")
        con.execute("PRAGMA journal_mode = WAL")
    finally:
        con.close()
    return time.perf_counter() - t0


def build_pg(url: str, shape: Shape) -> float:
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="todo_bench_chat_home_") as home:
        migrate(url, Path(home))
    con = psycopg2.connect(url)
    try:
        with con, con.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
            cur.execute("SET maintenance_work_mem = '512MB'")
            cur.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i"
                " WHERE i.tablename = 'messages' AND NOT EXISTS ("
                "   SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
            )
            indexes = cur.fetchall()
            for name, _ in indexes:
                cur.execute(f'DROP INDEX "{name}"')
            cur.execute(
                "INSERT INTO users (id, email, name, created_at) VALUES (%s, %s, %s, %s)",
                (USER, f"{USER}@bench.test", "Bench user", f"{BASE:%Y-%m-%d} 00:00:00+00"),
            )
            cur.execute(
                "INSERT INTO conversations (id, user_id, title, message_count, created_at,"
                " updated_at) SELECT c, %s, 'Conversation ' || c, 0, %s, %s"
                " FROM generate_series(1, %s) AS c",
                (USER, BASE, BASE, shape.conversations),
            )
            cur.execute(shape.pg_insert())
            for _, sql in indexes:
                cur.execute(sql)
            cur.execute(CONV_STATS_PG)
            for table in ("conversations", "messages"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
        con.autocommit = True
        with con.cursor() as cur:
            for table in ("users", "conversations", "messages"):
                cur.execute(f"VACUUM ANALYZE {table}")
    finally:
        con.close()
    return time.perf_counter() - t0


@contextlib.contextmanager
def pg_databases(*tags: str) -> Iterator[dict[str, str]]:
    """Scratch databases `todo_bench_chat_<pid>_<tag>`, dropped at the end; yields their URLs."""
    names = {t: f"todo_bench_chat_{os.getpid()}_{t}" for t in tags}
    admin = psycopg2.connect(ADMIN_URL)
    admin.autocommit = True
    base = ADMIN_URL.rsplit("/", 1)[0]
    try:
        with admin.cursor() as cur:
            for name in names.values():
                cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                cur.execute(f"CREATE DATABASE {name}")
        yield {t: f"{base}/{name}" for t, name in names.items()}
    finally:
        with admin.cursor() as cur:
            for name in names.values():
                cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]
    limit: float
    want_total: dict[str, int]  # sanity check of `--json` totals per size (empty: none)


def cases(small: Shape, large: Shape) -> list[Case]:
    return [
        Case(
            f"search `{COMMON}` (2%: {small.common_matches():,} / {large.common_matches():,} hits)",
            ("chat", "search", COMMON),
            SEARCH_LIMIT,
            {"small": small.common_matches(), "large": large.common_matches()},
        ),
        Case(
            f"search `{RARE}` ({RARE_COUNT} hits in both)",
            ("chat", "search", RARE),
            SEARCH_LIMIT,
            {"small": RARE_COUNT, "large": RARE_COUNT},
        ),
        Case(
            f"list ({small.conversations:,} / {large.conversations:,} conversations)",
            ("chat", "list"),
            LIST_LIMIT,
            {"small": small.conversations, "large": large.conversations},
        ),
        Case(
            f"show 1 ({small.big_messages:,} / {large.big_messages:,} messages)",
            ("chat", "show", "1"),
            LIST_LIMIT,
            {"small": small.big_messages, "large": large.big_messages},
        ),
    ]


def check(url: str, env: dict[str, str], case: Case, size: str) -> None:
    """Run the command once with --json and check the total it reports."""
    out = run(todo(url, *case.args, "--json", user=USER), env=env).stdout
    data = json.loads(out)
    total = _find_total(data)
    if total is not None and total != case.want_total[size]:
        raise RuntimeError(f"{case.name} on {size}: total {total}, want {case.want_total[size]}")
    if total is None:
        log(f"{case.name} on {size}: no total in the JSON output; not checked")


def _find_total(data: object) -> int | None:
    if isinstance(data, dict):
        for key in ("total", "message_count"):
            if isinstance(data.get(key), int):
                return int(data[key])
        for v in data.values():
            got = _find_total(v)
            if got is not None:
                return got
    return None


@dataclass(frozen=True)
class Result:
    backend: str
    case: Case
    small: Timing
    large: Timing

    @property
    def ratio(self) -> float:
        return self.large.mean / self.small.mean

    def line(self) -> str:
        ok = "pass" if self.ratio <= self.case.limit else "FAIL"
        return (
            f"| {self.backend} | {self.case.name} | {_ms(self.small)} | {_ms(self.large)}"
            f" | {self.ratio:.2f}x | ≤ {self.case.limit}x | {ok} |"
        )


def _ms(t: Timing) -> str:
    return f"{t.mean * 1000:.1f} ± {t.stddev * 1000:.1f}"


def measure(
    backend: str, urls: dict[str, str], homes: dict[str, Path], cs: list[Case], args: Args
) -> list[Result]:
    envs = {size: {"TODO_HOME": str(homes[size])} for size in urls}
    for case in cs:
        for size, url in urls.items():
            check(url, envs[size], case, size)
    cmds = [
        Cmd(f"{backend} {size}: {' '.join(c.args)}", todo(url, *c.args, user=USER), envs[size])
        for c in cs
        for size, url in urls.items()
    ]
    ts = hyperfine(cmds, runs=args.runs, warmup=args.warmup, rounds=args.rounds)
    by = {t.label: t for t in ts}
    return [
        Result(
            backend,
            c,
            by[f"{backend} small: {' '.join(c.args)}"],
            by[f"{backend} large: {' '.join(c.args)}"],
        )
        for c in cs
    ]


@dataclass(frozen=True)
class Args:
    quick: bool
    runs: int
    rounds: int
    warmup: int
    backends: tuple[str, ...]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="large sizes divided by 10")
    ap.add_argument("--runs", type=int, default=20, help="runs per command (default 20)")
    ap.add_argument("--rounds", type=int, default=2, help="rounds alternating command order")
    ap.add_argument("--warmup", type=int, default=2, help="warm-up runs per round")
    ap.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    a = ap.parse_args(argv)
    args = Args(
        a.quick,
        max(10, a.runs),
        a.rounds,
        a.warmup,
        tuple(a.backend or ["sqlite", "postgresql"]),
    )
    d = 10 if args.quick else 1
    small = Shape("small", 1000, 10)
    large = Shape("large", 1_000_000 // d, 10_000 // d)
    cs = cases(small, large)
    results: list[Result] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="todo_bench_chat_") as t:
        tmp = Path(t)
        prepare_env(tmp)
        homes = {
            (b, s): tmp / "homes" / f"{b}_{s}" for b in args.backends for s in ("small", "large")
        }
        for h in homes.values():
            h.mkdir(parents=True)
        if "sqlite" in args.backends:
            urls = {}
            for shape in (small, large):
                path = tmp / f"chat_{shape.name}.db"
                took = build_sqlite(path, shape)
                size = path.stat().st_size / 2**20
                log(f"sqlite {shape.name}: {shape.messages:,} messages in {took:.1f} s")
                notes.append(
                    f"sqlite {shape.name}: {shape.messages:,} messages,"
                    f" {shape.conversations:,} conversations, built in {took:.0f} s,"
                    f" {size:.1f} MiB"
                )
                urls[shape.name] = sqlite_url(path)
            home_by = {s: homes[("sqlite", s)] for s in urls}
            results += measure("sqlite", urls, home_by, cs, args)
        if "postgresql" in args.backends:
            why = pg_ok()
            if why is not None:
                notes.append(f"postgresql not run: {why}")
            else:
                try:
                    results += run_pg(small, large, cs, homes, args, notes)
                except psycopg2.Error as e:  # e.g. the server restarted: keep SQLite's rows
                    notes.append(f"postgresql failed: {str(e).strip().splitlines()[0]}")
    print_table(results, notes, args)
    return 0


def run_pg(
    small: Shape,
    large: Shape,
    cs: list[Case],
    homes: dict[tuple[str, str], Path],
    args: Args,
    notes: list[str],
) -> list[Result]:
    with pg_databases("small", "large") as urls:
        for shape in (small, large):
            took = build_pg(urls[shape.name], shape)
            log(f"postgresql {shape.name}: {shape.messages:,} messages in {took:.1f} s")
            notes.append(
                f"postgresql {shape.name}: {shape.messages:,} messages,"
                f" {shape.conversations:,} conversations, built in {took:.0f} s"
            )
        home_by = {s: homes[("postgresql", s)] for s in urls}
        return measure("postgresql", urls, home_by, cs, args)


def print_table(results: list[Result], notes: list[str], args: Args) -> None:
    print(f"### Chat: search, list, show (small vs large{', quick sizes' if args.quick else ''})\n")
    print("| backend | case | small (ms) | large (ms) | ratio | target | result |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(r.line())
    print()
    print(
        f"- mean ± \N{GREEK SMALL LETTER SIGMA} of {args.runs} runs per command"
        f" ({args.rounds} rounds alternating the order, {args.warmup} warm-ups each),"
        f" hyperfine -N; user `{USER}` owns every message."
    )
    for n in notes:
        print(f"- {n}")


if __name__ == "__main__":
    sys.exit(main())
