"""Target 3: `todo --version` and `todo --help` take at most 0.12 s; `todo list` on a small
SQLite database takes at most 1.2x `python -c "import sqlmodel, typer, rich.table"`.

Also prints where start-up goes: `python -X importtime` per package, and what `todo list` and
`todo --version` import beyond their baselines.

    .venv/bin/python bench/startup.py [--quick]
"""

from __future__ import annotations

import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    PYTHON,
    TODO,
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
from datagen import Mix, build_sqlite

FLAG_LIMIT_S = 0.12
LIST_FACTOR = 1.2
BASELINE = "import sqlmodel, typer, rich.table"
IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def import_self_times(argv: list[str], env: dict[str, str], runs: int = 5) -> dict[str, float]:
    """Every module a command imports -> its own import time in ms (median over runs)."""
    samples: dict[str, list[int]] = defaultdict(list)
    for _ in range(runs):
        err = run([str(PYTHON), "-X", "importtime", *argv], env=env).stderr
        for line in err.splitlines():
            m = IMPORT_LINE.match(line)
            if m:
                samples[m.group(4)].append(int(m.group(1)))
    return {name: statistics.median(v) / 1000 for name, v in samples.items()}


def import_table(cmd: dict[str, float], base: dict[str, float], base_name: str) -> str:
    """Import time by top-level package, and how much of it the baseline does not pay."""
    total: dict[str, float] = defaultdict(float)
    extra: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for name, ms_ in cmd.items():
        pkg = name.split(".")[0]
        total[pkg] += ms_
        if name not in base:
            extra[pkg] += ms_
            count[pkg] += 1
    lines = [
        f"| package | import time (self, summed) | not imported by {base_name} | modules |",
        "|---|---|---|---|",
    ]
    for pkg in sorted(total, key=lambda k: -total[k])[:14]:
        lines.append(
            f"| `{pkg}` | {total[pkg]:.1f} ms | {extra[pkg]:.1f} ms | {count[pkg]} extra |"
        )
    lines.append(
        f"| **all** | {sum(total.values()):.1f} ms | {sum(extra.values()):.1f} ms"
        f" | {sum(count.values())} extra |"
    )
    return "\n".join(lines)


def main_run(cfg: Config, tmp: Path) -> Section:
    sec = Section("3. Start-up")
    path = tmp / "small.db"
    build_sqlite(path, Mix(100, "solo"))
    url, env = sqlite_url(path), home(tmp, "startup")
    run(todo(url, "list", user="solo"), env=env)
    ts = hyperfine(
        [
            Cmd("todo --version", [str(TODO), "--version"], env),
            Cmd("todo --help", [str(TODO), "--help"], env),
            Cmd(f'python -c "{BASELINE}"', [str(PYTHON), "-c", BASELINE], env),
            Cmd("todo list (SQLite, 100 tasks)", todo(url, "list", user="solo"), env),
            Cmd("python -c pass", [str(PYTHON), "-c", "pass"], env),
        ],
        runs=cfg.runs,
        warmup=cfg.warmup,
        rounds=cfg.rounds,
    )
    sec.timings += ts
    version, help_, base, lst, _ = ts
    for t in (version, help_):
        sec.rows.append(
            Row(
                f"`{t.label}`",
                t.fmt(),
                f"<= {FLAG_LIMIT_S * 1000:.0f} ms",
                verdict(t.mean <= FLAG_LIMIT_S),
            )
        )
    r = lst.mean / base.mean
    sec.rows.append(
        Row(
            "`todo list` (small SQLite db) / bare imports",
            f"{r:.2f}x ({lst.fmt()} / {base.fmt()})",
            f"<= {LIST_FACTOR}x",
            verdict(r <= LIST_FACTOR),
            f"CPU ratio {lst.cpu / base.cpu:.2f}x",
        )
    )
    list_argv = [str(TODO), *todo(url, "list", user="solo")[1:]]
    base_imports = import_self_times(["-c", BASELINE], env)
    sec.details = "\n\n".join(
        [
            "Where start-up goes (`python -X importtime`, self time per module summed by"
            " top-level package, median of 5 runs; importtime itself adds overhead, so compare"
            " the columns rather than with the hyperfine times).",
            f'`todo list` against `python -c "{BASELINE}"`:',
            import_table(import_self_times(list_argv, env), base_imports, "the baseline"),
            "`todo --version` against `python -c pass`:",
            import_table(
                import_self_times([str(TODO), "--version"], env),
                import_self_times(["-c", "pass"], env),
                "bare Python",
            ),
        ]
    )
    return sec


if __name__ == "__main__":
    sys.exit(standalone(__doc__.splitlines()[0], main_run))
