"""Row-level security (#16): `todo list` for the 100,000-task user in the 1,000,000-task
database, connected as that user's own login role (every policy applies), stays within 1.1x
of the same list without row-level security (a superuser, whom no policy applies to, with
`--user big`), page 1 and page 2; and the round trips (bench/rtproxy.py) are the same.

    .venv/bin/python bench/rls.py [--quick]
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    ADMIN_URL,
    PYTHON,
    Cmd,
    Config,
    Row,
    Section,
    admin_sql,
    home,
    hyperfine,
    log,
    pg_scratch,
    run,
    standalone,
    todo,
    verdict,
)
from datagen import Mix, build_pg
from roundtrips import run_todo
from rtproxy import CountingProxy
from sqlalchemy.engine import make_url

LIMIT = 1.1
PAGES = {"page 1": [], "page 2": ["--page", "2"]}


def _check(url: str, env: dict[str, str], user: str | None, want: int) -> None:
    page = json.loads(run(todo(url, "list", "--json", user=user), env=env).stdout)
    if page["total"] != want or len(page["items"]) != 20:
        raise RuntimeError(f"list as {user or 'the role'}: {page['total']} (want {want})")


def _sql_ms(url: str, env: dict[str, str], user: str | None, extra: list[str]) -> float:
    """The `list` queries alone (bench/explain.py), summed medians."""
    argv = [str(PYTHON), str(Path(__file__).parent / "explain.py"), "--json"]
    argv += ["--database-url", url, *(["--user", user] if user else []), "list", *extra]
    return sum(q["median_ms"] for q in json.loads(run(argv, env=env).stdout))


def _round_trips(tmp: Path, urls: dict[str, tuple[str, str | None]]) -> dict[str, str]:
    """Warm-cache round trips of `list` for each way in: the second run, same data dir."""
    out = {}
    with CountingProxy() as proxy:
        for label, (url, user) in urls.items():
            via = make_url(url).set(port=proxy.port).render_as_string(hide_password=False)
            args = [*(["--user", user] if user else []), "list"]
            d = tmp / "rt" / label.replace(" ", "-")
            d.mkdir(parents=True)
            run_todo(proxy, via, args, d)
            out[label] = run_todo(proxy, via, args, d).show()
    return out


def main_run(cfg: Config, tmp: Path) -> Section:
    sec = Section("7. Row-level security: `todo list` as the user's own login role")
    if not cfg.pg:
        sec.rows.append(Row("PostgreSQL", "not run", "", "n/a", "PostgreSQL unreachable"))
        return sec
    mix = Mix(cfg.scale_total, "shared", cfg.others)
    want = mix.pending_live()["big"]
    role = f"todo_bench_big_{os.getpid()}"
    try:
        with pg_scratch("rls") as url:
            took = build_pg(url, mix)
            sec.notes.append(
                f"data: {mix.total:,} tasks over {len(mix.users()):,} users, built in"
                f" {took:.1f} s; `big` has {mix.total // 10:,} ({want:,} pending and live)"
            )
            admin = home(tmp, "rls-admin")
            run(todo(url, "user", "add", "big@bench.test", "--login", role), env=admin)
            mine = make_url(url).set(username=role).render_as_string(hide_password=False)
            envs = {"rls": home(tmp, "rls-on"), "off": home(tmp, "rls-off")}
            _check(mine, envs["rls"], None, want)
            _check(url, envs["off"], "big", want)
            log("RLS data ready")
            cmds = [
                c
                for page, extra in PAGES.items()
                for c in (
                    Cmd(f"RLS on, {page}", todo(mine, "list", *extra), envs["rls"]),
                    Cmd(f"RLS off, {page}", todo(url, "list", *extra, user="big"), envs["off"]),
                )
            ]
            ts = hyperfine(cmds, runs=cfg.runs, warmup=cfg.warmup, rounds=cfg.rounds)
            sec.timings += ts
            by = {t.label: t for t in ts}
            for page, extra in PAGES.items():
                on, off = by[f"RLS on, {page}"], by[f"RLS off, {page}"]
                r = on.mean / off.mean
                q_on = _sql_ms(mine, envs["rls"], None, extra)
                q_off = _sql_ms(url, envs["off"], "big", extra)
                sec.rows.append(
                    Row(
                        f"PostgreSQL: `list` {page}, {mix.total // 10:,}-task user, as its role"
                        " (RLS) / as a superuser (no RLS)",
                        f"{r:.2f}x ({on.fmt()} / {off.fmt()})",
                        f"<= {LIMIT}x",
                        verdict(r <= LIMIT),
                        f"CPU ratio {on.cpu / off.cpu:.2f}x; its SQL alone: {q_on:.1f} ms vs"
                        f" {q_off:.1f} ms",
                    )
                )
            rts = _round_trips(tmp, {"RLS on": (mine, None), "RLS off": (url, "big")})
            same = len(set(rts.values())) == 1 and "n/a" not in next(iter(rts.values()))
            sec.rows.append(
                Row(
                    "PostgreSQL: round trips of `list` (warm cache), RLS on / off",
                    f"{rts['RLS on']} / {rts['RLS off']}",
                    "equal",
                    verdict(same),
                )
            )
    finally:
        admin_sql(f"DROP ROLE IF EXISTS {role}")
    sec.notes.append(f"server: {make_url(ADMIN_URL).host}; role {role} dropped afterwards")
    return sec


if __name__ == "__main__":
    sys.exit(standalone(__doc__.splitlines()[0], main_run))
