"""Target 1: `todo list` for a user with 100,000 tasks, in a database of 1,000,000 tasks shared
by many users, takes at most 1.25x what it takes for a user with 100 tasks (first page and
`--page 2`, default order and `--sort urgency`, with recurrence templates present: issues #3
and #13), on SQLite and on PostgreSQL. The data is datagen's cached build.

    .venv/bin/python bench/scale.py [--quick]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    PYTHON,
    Cmd,
    Config,
    Row,
    Section,
    Timing,
    home,
    hyperfine,
    log,
    run,
    sqlite_url,
    standalone,
    todo,
    verdict,
)
from datagen import Mix, cached_pg, cached_sqlite

LIMIT = 1.25
PAGES = {
    "page 1": [],
    "page 2": ["--page", "2"],
    "urgency page 1": ["--sort", "urgency"],
    "urgency page 2": ["--sort", "urgency", "--page", "2"],
}


def check_list(url: str, env: dict[str, str], user: str, want_total: int) -> None:
    """The data is what we think: the user's pending total, and full pages."""
    for name, extra in PAGES.items():
        out = run(todo(url, "list", *extra, "--json", user=user), env=env).stdout
        page = json.loads(out)
        if page["total"] != want_total or len(page["items"]) != 20:
            raise RuntimeError(
                f"{user} {name}: total {page['total']} (want {want_total}),"
                f" {len(page['items'])} items (want 20)"
            )


def query_ms(url: str, env: dict[str, str], user: str, extra: list[str]) -> tuple[float, str]:
    """Median time of the `list` queries alone (bench/explain.py), and the main query's plan."""
    argv = [str(PYTHON), str(Path(__file__).parent / "explain.py"), "--json"]
    argv += ["--database-url", url, "--user", user, "list", *extra]
    queries = json.loads(run(argv, env=env).stdout)
    main = max(queries, key=lambda q: q["median_ms"])
    return sum(q["median_ms"] for q in queries), main["plan"]


def backend(cfg: Config, tmp: Path, name: str, url: str, mix: Mix, sec: Section) -> None:
    want = mix.pending_live()
    big_label = f"{mix.total // 10 // 1000}k"
    users = {big_label: "big", "100": "small"}
    envs = {u: home(tmp, f"scale-{name}-{u}") for u in users.values()}
    for u in users.values():
        check_list(url, envs[u], u, want[u])
    cmds = [
        Cmd(f"{name}: list {page} ({label} user)", todo(url, "list", *extra, user=u), envs[u])
        for page, extra in PAGES.items()
        for label, u in users.items()
    ]
    ts = hyperfine(cmds, runs=cfg.runs, warmup=cfg.warmup, rounds=cfg.rounds)
    sec.timings += ts
    by = {t.label: t for t in ts}
    big_n = f"{mix.total // 10:,}"
    for page, extra in PAGES.items():
        big: Timing = by[f"{name}: list {page} ({big_label} user)"]
        small: Timing = by[f"{name}: list {page} (100 user)"]
        r = big.mean / small.mean
        q_big, plan = query_ms(url, envs["big"], "big", extra)
        q_small, _ = query_ms(url, envs["small"], "small", extra)
        sec.rows.append(
            Row(
                f"{name}: `list` {page}, {big_n}-task user / 100-task user",
                f"{r:.2f}x ({big.fmt()} / {small.fmt()})",
                f"<= {LIMIT}x",
                verdict(r <= LIMIT),
                f"CPU ratio {big.cpu / small.cpu:.2f}x; its SQL alone: {q_big:.1f} ms vs"
                f" {q_small:.1f} ms",
            )
        )
        top = plan.splitlines()[:1] + [ln for ln in plan.splitlines() if "Sort Key" in ln][:1]
        sec.notes.append(
            f"{name} {page}, {big_label} user, plan: `{' / '.join(s.strip() for s in top)}`"
        )


def main_run(cfg: Config, tmp: Path) -> Section:
    sec = Section("1. Scale: `todo list` with 1,000,000 tasks in the database")
    mix = Mix(cfg.scale_total, "shared", cfg.others)
    want = mix.pending_live()
    templates = mix.summary().templates
    sec.notes.append(
        f"data: {mix.total:,} tasks over {len(mix.users()):,} users; `big` has"
        f" {mix.total // 10:,} tasks ({want['big']:,} pending and live), `small` has 100"
        f" ({want['small']} pending and live);"
        f" each other user ~{mix.total * 8 // 10 // mix.others};"
        f" recurrence templates (never listed): {sum(templates.values()):,}, {templates['big']:,}"
        f" of them `big`'s, {templates['small']} `small`'s, each with 3 instances"
    )
    path, took = cached_sqlite(mix)
    sec.notes.append(f"SQLite build: {'cached' if took is None else f'{took:.1f} s'}")
    backend(cfg, tmp, "SQLite", sqlite_url(path), mix, sec)
    if not cfg.pg:
        sec.rows.append(Row("PostgreSQL", "not run", "", "n/a", "PostgreSQL unreachable"))
        return sec
    url, took = cached_pg(mix)
    sec.notes.append(f"PostgreSQL build: {'cached' if took is None else f'{took:.1f} s'}")
    log("PostgreSQL scale data ready")
    backend(cfg, tmp, "PostgreSQL", url, mix, sec)
    return sec


if __name__ == "__main__":
    sys.exit(standalone(__doc__.splitlines()[0], main_run))
