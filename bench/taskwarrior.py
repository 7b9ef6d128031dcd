"""Target 2: Taskwarrior 2.6 takes 0.9 s for `task limit:20 list` at 100,000 pending tasks;
`todo list` must beat it by at least 2.5x.

Taskwarrior's data dir is written directly in its 2.6 file format (pending.data: one
`[name:"value" ...]` line per task), which is what `task add` writes; `task count` checks it.
`todo` gets a SQLite file with one user and the same number of pending tasks.

    .venv/bin/python bench/taskwarrior.py [--quick]
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import uuid
from pathlib import Path

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
from datagen import BASE, WORDS, Mix, build_sqlite

FACTOR = 2.5
QUOTED_S = 0.9  # the figure for Taskwarrior
EPOCH = int((BASE - BASE.utcfromtimestamp(0)).total_seconds())
STEP_S = 3 * 365 * 86400


def tw_dir(root: Path) -> dict[str, str]:
    """A Taskwarrior data dir and rc file under root; returns the env that selects them."""
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    rc = root / "taskrc"
    rc.write_text(f"data.location={data}\nconfirmation=off\nnews.version=2.6.0\n", encoding="utf-8")
    return {"TASKRC": str(rc), "TASKDATA": str(data)}


def tw_task(i: int, n: int, rng: random.Random) -> dict[str, str]:
    """Task i of n as Taskwarrior attributes (strings), like the todo rows of datagen."""
    h = ((i * 2654435761) >> 8) % 1000
    entry = EPOCH + i * STEP_S // n
    t: dict[str, str] = {
        "description": f"Bench task {i}: {WORDS[h % 5]}",
        "entry": str(entry),
        "modified": str(entry),
        "status": "pending",
        "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
    }
    if h % 3 == 0:
        t["due"] = str(entry + 14 * 86400)
    if h % 4:
        t["priority"] = "LMH"[h % 4 - 1]
    tags = json.loads(("[]", '["work"]', '["home"]', '["work", "urgent"]', "[]")[h % 5])
    if tags:
        t["tags"] = ",".join(sorted(tags))
        t.update({f"tags_{tag}": "x" for tag in tags})
    return t


def write_pending(data: Path, n: int) -> None:
    rng = random.Random(42)
    with (data / "pending.data").open("w", encoding="utf-8") as fh:
        for i in range(n):
            t = tw_task(i, n, rng)
            fh.write("[" + " ".join(f'{k}:"{t[k]}"' for k in sorted(t)) + "]\n")
    for name in ("completed.data", "undo.data", "backlog.data"):
        (data / name).touch()


def main_run(cfg: Config, tmp: Path) -> Section:
    sec = Section(f"2. Taskwarrior: `task limit:20 list` at {cfg.tw_tasks:,} pending tasks")
    if shutil.which("task") is None:
        sec.rows.append(Row("Taskwarrior", "not installed", "", "n/a"))
        return sec
    tw_env = tw_dir(tmp / "tw")
    write_pending(Path(tw_env["TASKDATA"]), cfg.tw_tasks)
    count = run(["task", "rc.verbose=nothing", "status:pending", "count"], env=tw_env)
    if int(count.stdout.strip()) != cfg.tw_tasks:
        raise RuntimeError(f"task count says {count.stdout.strip()}, want {cfg.tw_tasks}")

    path = tmp / "tw.db"
    build_sqlite(path, Mix(cfg.tw_tasks, "solo", all_pending=True))
    url, env = sqlite_url(path), home(tmp, "tw-todo")
    total = json.loads(run(todo(url, "list", "--json", user="solo"), env=env).stdout)["total"]
    if total != cfg.tw_tasks:
        raise RuntimeError(f"todo list says {total} pending, want {cfg.tw_tasks}")

    tw, td = hyperfine(
        [
            Cmd("task limit:20 list", ["task", "limit:20", "list"], tw_env),
            Cmd("todo list (SQLite)", todo(url, "list", user="solo"), env),
        ],
        runs=max(10, cfg.runs // 2),
        warmup=cfg.warmup,
        rounds=cfg.rounds,
    )
    sec.timings += [tw, td]
    r = tw.mean / td.mean
    sec.rows.append(
        Row(
            f"Taskwarrior / todo at {cfg.tw_tasks:,} pending",
            f"{r:.2f}x ({tw.fmt()} / {td.fmt()})",
            f">= {FACTOR}x",
            verdict(r >= FACTOR),
            f"both measured here; CPU ratio {tw.cpu / td.cpu:.2f}x",
        )
    )
    sec.rows.append(
        Row(
            "todo list vs the issue's 0.9 s for Taskwarrior",
            td.fmt(),
            f"<= {QUOTED_S / FACTOR * 1000:.0f} ms",
            verdict(td.mean <= QUOTED_S / FACTOR) if not cfg.quick else "n/a (quick)",
            f"{QUOTED_S / td.mean:.2f}x faster than 0.9 s",
        )
    )
    return sec


if __name__ == "__main__":
    sys.exit(standalone(__doc__.splitlines()[0], main_run))
