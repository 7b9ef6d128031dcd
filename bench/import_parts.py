"""Issue #12: what each remaining part of the import pipeline is worth, by paired runs.

Each part is turned off in turn by a patch applied in memory before `todo` runs (nothing in
todo_cli is changed): `python bench/import_parts.py --variant NAME -- TODO-ARGS...` runs
`todo TODO-ARGS...` with that part off (`none`: all on; the baseline runs through the same
runner, so both pay the same start-up). The variants of one backend are timed in interleaved
rounds, each run importing the same 100,000-task file into the same empty database.

Parts (variant that turns it off):
  - `model-only`: check every record through the `ImportRecord` model (the fast path off).
  - `executemany` (SQLite): one `executemany` of single-row INSERTs instead of multi-row
    `INSERT ... SELECT FROM (VALUES ...)` statements of 2,000 rows.
  - `no-ahead`: build each batch's rows and journal images in the storing thread, in turn,
    instead of a batch ahead in a helper thread (`services/prefetch.py`).
  - `execute-values` (PostgreSQL): psycopg2's `execute_values` (multi-row INSERTs of 2,000
    rows) instead of one streaming COPY.

    .venv/bin/python bench/import_parts.py [--quick]
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

SQLITE_VARIANTS = ("none", "model-only", "executemany", "no-ahead")
PG_VARIANTS = ("none", "execute-values", "no-ahead")
# TODO_BENCH_PARTS=none,executemany,execute-values: only these variants (a re-run of some).
_ONLY = set(filter(None, os.environ.get("TODO_BENCH_PARTS", "").split(",")))
if _ONLY:
    SQLITE_VARIANTS = tuple(v for v in SQLITE_VARIANTS if v in _ONLY)
    PG_VARIANTS = tuple(v for v in PG_VARIANTS if v in _ONLY)


def _set(owner: Any, attr: str, value: Any) -> None:
    """Replace what todo uses: a name it no longer has would make the variant measure nothing."""
    if not hasattr(owner, attr):
        raise SystemExit(f"{owner.__name__}.{attr} is gone: update bench/import_parts.py")
    setattr(owner, attr, value)


def _patch(name: str) -> None:
    """Turn one part off (see the module's docstring)."""
    from todo_cli.services import bulk_insert as ib
    from todo_cli.services.tasks import import_rows as ir
    from todo_cli.services.tasks import import_store as st

    if name == "none":
        return
    if name == "model-only":

        def call(self: ir.RowBuilder, r: dict[str, Any], n: int) -> Any:
            m = ir.validate(ir.ImportRecord, r, where=f"record {n}: ")
            return self.fast(m.model_dump())

        _set(ir.RowBuilder, "__call__", call)
    elif name == "no-ahead":
        _set(st, "ahead", contextlib.nullcontext)  # `with ahead(batches) as made`: batches
    elif name == "executemany":

        def insert(conn: Any, table: str, columns: Any, rows: Any, advance: Any) -> None:
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            conn.connection.dbapi_connection.executemany(sql, rows)
            if advance is not None:
                advance(len(rows))

        _set(st, "insert", insert)
    elif name == "execute-values":

        def copy_batches(
            conn: Any, table: str, columns: Any, batches: Any, advance: Any, *, staged: bool = False
        ) -> None:
            from psycopg2.extras import execute_values

            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s"
            with conn.connection.dbapi_connection.cursor() as cur:
                for batch in batches:
                    execute_values(cur, sql, batch, page_size=len(batch) or 1)
                    if advance is not None:
                        advance(len(batch))

        def copy(conn: Any, table: str, columns: Any, rows: Any, advance: Any, **kw: Any) -> None:
            if rows:
                batches = (rows[i : i + ib.BATCH] for i in range(0, len(rows), ib.BATCH))
                copy_batches(conn, table, columns, batches, advance, **kw)

        _set(st, "copy_batches", copy_batches)
        _set(st, "copy", copy)
    else:
        raise SystemExit(f"unknown variant {name!r}")


def runner(argv: list[str]) -> None:
    """`--variant NAME -- TODO-ARGS...`: run todo with one part off."""
    name, rest = argv[2], argv[4:]
    _patch(name)
    from todo_cli.main import main as todo_main

    sys.argv = ["todo", *rest]
    todo_main()


def main_run(cfg: Any, tmp: Path) -> Any:
    from common import PYTHON, Cmd, Row, Section, home, hyperfine, pg_scratch, sqlite_url
    from datagen import Mix, build_pg, build_sqlite
    from importexport import count_tasks, write_import_file

    sec = Section("9. Import pipeline: each remaining part's share (paired runs, issue #12)")
    file = tmp / "import.json"
    write_import_file(file, cfg.import_tasks)
    runs = 2 * cfg.slow_runs

    def cmds(name: str, url: str, variants: tuple[str, ...]) -> list[Any]:
        env = home(tmp, f"parts-{name}")
        me = str(Path(__file__).resolve())
        args = ["--database-url", url, "--user", "solo", "import", str(file)]
        return [
            Cmd(
                f"{name}: import, {v}" if v != "none" else f"{name}: import, all parts on",
                [str(PYTHON), me, "--variant", v, "--", *args],
                env,
            )
            for v in variants
        ]

    def judge(name: str, ts: list[Any], variants: tuple[str, ...], url: str, check: Any) -> None:
        base = ts[0]
        for v, t in zip(variants[1:], ts[1:], strict=True):
            diff = t.mean - base.mean
            # the standard error of the difference of two means
            se = (t.stddev**2 / t.runs + base.stddev**2 / base.runs) ** 0.5
            sec.rows.append(
                Row(
                    f"{name}: import with `{v}` / all on",
                    f"{t.mean / base.mean:.2f}x ({t.fmt()} / {base.fmt()})",
                    "> 1 (worth keeping)",
                    "info",
                    f"{diff * 1000:+.0f} ± {se * 1000:.0f} ms wall (± 1 s.e.);"
                    f" CPU {(t.cpu - base.cpu) * 1000:+.0f} ms",
                )
            )
        check()

    sec.notes.append(
        f"file: {cfg.import_tasks:,} tasks in our JSON, {file.stat().st_size / 1e6:.1f} MB;"
        f" {runs} runs per variant in {cfg.rounds} interleaved rounds"
    )
    template, target = tmp / "parts-template.db", tmp / "parts.db"
    build_sqlite(template, Mix(0, "solo"))
    t, q = shlex.quote(str(template)), shlex.quote(str(target))
    prepare = f"cp {t} {q} && rm -f {q}-wal {q}-shm"
    url = sqlite_url(target)

    def check_sqlite() -> None:
        if (n := count_tasks("SQLite", url)) != cfg.import_tasks:
            raise RuntimeError(f"SQLite import left {n} tasks")

    ts = hyperfine(
        cmds("SQLite", url, SQLITE_VARIANTS),
        runs=runs,
        warmup=1,
        rounds=cfg.rounds,
        prepare=prepare,
        use_shell=True,
    )
    sec.timings += ts
    judge("SQLite", ts, SQLITE_VARIANTS, url, check_sqlite)
    if cfg.pg:
        with pg_scratch("parts") as pg_url:
            build_pg(pg_url, Mix(0, "solo"))
            prepare = (
                f"psql -q {shlex.quote(pg_url)} -c"
                " 'TRUNCATE tasks, annotations, task_dependencies, journal'"
            )

            def check_pg() -> None:
                if (n := count_tasks("PostgreSQL", pg_url)) != cfg.import_tasks:
                    raise RuntimeError(f"PostgreSQL import left {n} tasks")

            ts = hyperfine(
                cmds("PostgreSQL", pg_url, PG_VARIANTS),
                runs=runs,
                warmup=1,
                rounds=cfg.rounds,
                prepare=prepare,
                use_shell=True,
            )
            sec.timings += ts
            judge("PostgreSQL", ts, PG_VARIANTS, pg_url, check_pg)
    return sec


if __name__ == "__main__":
    if sys.argv[1:2] == ["--variant"]:
        runner(sys.argv)
    else:
        from common import standalone

        sys.exit(standalone(__doc__.splitlines()[0], main_run))
