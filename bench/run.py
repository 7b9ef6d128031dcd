"""Run every benchmark of the tasks issues and print the results as Markdown tables.

Builds its own data (SQLite files in a temp dir, scratch PostgreSQL databases
`todo_bench_<pid>*` that are dropped at the end), so it needs nothing but the venv, hyperfine,
Taskwarrior and a PostgreSQL server at $TODO_BENCH_ADMIN_URL (default
postgresql://postgres@127.0.0.1:5432/postgres). Never part of the test suite.

    bench/run.sh                    # everything, full sizes (about an hour; 1M builds cached)
    bench/run.sh --quick            # sizes / 10, fewer runs: a smoke run
    bench/run.sh --only scale --only startup --out /tmp/results.md
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import completion
import import_parts
import importexport
import rls
import scale
import startup
import taskwarrior
import undo
from common import (
    PYTHON,
    QUIET,
    QUIET_WAIT_S,
    Config,
    Row,
    Section,
    log,
    machine,
    pg_ok,
    prepare_env,
    run,
    table,
)


def roundtrips(cfg: Config, tmp: Path) -> Section:
    """5. bench/roundtrips.py: PostgreSQL round trips per command (its own table, verbatim)."""
    sec = Section("5. Round trips to PostgreSQL (bench/roundtrips.py)")
    if not cfg.pg:
        sec.rows.append(Row("round trips", "not run", "", "n/a", "PostgreSQL unreachable"))
        return sec
    out = run([str(PYTHON), str(Path(__file__).parent / "roundtrips.py")]).stdout.strip()
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].startswith("`todo"):
            command, warm, cold, _, budget, result = cells
            sec.rows.append(
                Row(
                    f"round trips: {command}",
                    f"{warm} warm, {cold} cold",
                    f"<= {budget} (warm)",
                    "pass" if result == "pass" else ("FAIL" if result == "fail" else result),
                )
            )
    sec.details = out
    return sec


def chat(cfg: Config, tmp: Path) -> Section:
    """6. bench/chat.py: search, list and show on a tiny and a large database (issue #4)."""
    sec = Section("6. Chat: search, list, show (bench/chat.py)")
    argv = [str(PYTHON), str(Path(__file__).parent / "chat.py"), "--runs", str(cfg.runs // 2)]
    argv += ["--quick"] if cfg.quick else []
    argv += [] if cfg.pg else ["--backend", "sqlite"]
    out = run(argv, timeout=4 * 3600).stdout.strip()
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0] in ("sqlite", "postgresql"):
            backend, case, small, large, ratio, target, result = cells
            sec.rows.append(
                Row(
                    f"chat {backend}: {case}",
                    f"{ratio} ({large} ms / {small} ms)",
                    target,
                    "pass" if result == "pass" else "FAIL",
                )
            )
    sec.details = out
    return sec


SECTIONS: dict[str, Callable[[Config, Path], Section]] = {  # in the order
    "scale": scale.main_run,
    "taskwarrior": taskwarrior.main_run,
    "startup": startup.main_run,
    "io": importexport.main_run,
    "roundtrips": roundtrips,
    "chat": chat,
    "rls": rls.main_run,
    "undo": undo.main_run,
    "completion": completion.main_run,
    "import-parts": import_parts.main_run,
}


def attempt(name: str, cfg: Config, tmp: Path, retries: int) -> Section:
    """Run one section; on an error (todo_cli is edited while we run) wait and try again."""
    first = ""
    for n in range(retries + 1):
        log(f"=== {name}" + (f" (retry {n})" if n else ""))
        sub = tmp / f"{name}-{n}"
        sub.mkdir()
        try:
            return SECTIONS[name](cfg, sub)
        except Exception as e:
            traceback.print_exc()
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            if n < retries:
                time.sleep(60)
    sec = Section(f"{list(SECTIONS).index(name) + 1}. {name}: error")
    sec.rows.append(Row(name, "error", "", "n/a", re.sub(r"\s+", " ", first)[:300]))
    return sec


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="sizes divided by 10, fewer runs")
    ap.add_argument("--only", action="append", choices=list(SECTIONS), help="repeatable")
    ap.add_argument("--runs", type=int, help="runs per fast command (default 40, quick 10)")
    ap.add_argument("--out", type=Path, help="also write the Markdown here")
    ap.add_argument("--retries", type=int, default=1, help="per failing section (default 1)")
    a = ap.parse_args(argv)

    why_no_pg = pg_ok()
    if why_no_pg:
        log(f"PostgreSQL unreachable, its benchmarks are skipped: {why_no_pg}")
    cfg = Config.make(quick=a.quick, pg=why_no_pg is None, runs=a.runs)
    started = time.monotonic()
    info = machine()
    sections: list[Section] = []
    with tempfile.TemporaryDirectory(prefix="todo_bench_") as t:
        tmp = Path(t)
        prepare_env(tmp)
        for name in [n for n in SECTIONS if n in (a.only or SECTIONS)]:
            sections.append(attempt(name, cfg, tmp, a.retries))

    mode = "QUICK (sizes / 10; absolute targets not judged)" if a.quick else "full"
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        f"## Results ({now}, {mode}, {(time.monotonic() - started) / 60:.0f} min)",
        "| machine | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in info.items()),
        "### Summary",
        table([r for s in sorted(sections, key=lambda s: s.title) for r in s.rows]),
        f"Runs: {cfg.runs} per fast command in {cfg.rounds} interleaved rounds of hyperfine"
        f" (each with {cfg.warmup} warm-up runs). Before each round the bench waited for the"
        f" CPUs to be idle: {QUIET['waited']:.0f} s in all, and {QUIET['gave_up']} rounds ran"
        f" on a busy machine after {QUIET_WAIT_S:.0f} s of waiting (TODO_BENCH_QUIET_WAIT).",
        *(s.markdown() for s in sorted(sections, key=lambda s: s.title)),
    ]
    text = "\n\n".join(parts) + "\n"
    print(text)
    if a.out:
        a.out.write_text(text, encoding="utf-8")
        log(f"written to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
