"""Parallel use of one database: every command succeeds, nothing is lost, nothing is mixed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import cli

WORKERS = 4
ADDS_PER_WORKER = 200


def _worker_script(url: str, worker: int, n: int) -> str:
    """One process running `todo add` n times in a row, each a separate CLI invocation."""
    return (
        "import sys\n"
        "from todo_cli.cli.app import app\n"
        "failures = 0\n"
        f"for i in range({n}):\n"
        "    try:\n"
        f"        app(['--database-url', {url!r}, 'add', f'w{worker}-{{i}}'])\n"
        "    except SystemExit as e:\n"
        "        failures += e.code != 0\n"
        "sys.exit(failures)\n"
    )


def test_parallel_adds_keep_every_task(db_url: str, tmp_path: Path) -> None:
    """4 processes x 200 adds at once: 800 tasks, every command exits 0, no lock errors.

    Each worker is one Python process calling the CLI entry point repeatedly (a fresh engine
    and connection per command, as in separate `todo add` runs), so the test measures the
    database's behaviour under contention rather than interpreter start-up.
    """
    cli("--database-url", db_url, "user", "whoami")  # create the local user up front
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _worker_script(db_url, w, ADDS_PER_WORKER)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(WORKERS)
    ]
    results = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err
    listed = json.loads(
        cli("--database-url", db_url, "list", "--page-size", "500", "--json").stdout
    )
    assert listed["total"] == WORKERS * ADDS_PER_WORKER
    titles = set()
    page = 1
    while True:
        r = json.loads(
            cli(
                "--database-url",
                db_url,
                "list",
                "--page-size",
                "500",
                "--page",
                str(page),
                "--json",
            ).stdout
        )
        titles |= {t["title"] for t in r["items"]}
        if page * 500 >= r["total"]:
            break
        page += 1
    expected = {f"w{w}-{i}" for w in range(WORKERS) for i in range(ADDS_PER_WORKER)}
    assert titles == expected


def test_complete_and_edit_race_ends_in_one_order(db_url: str) -> None:
    """Two processes change the same task at once; both finish and neither change is lost."""
    cli("--database-url", db_url, "add", "contested")
    for round_ in range(5):
        a = subprocess.Popen(
            [sys.executable, "-m", "todo_cli", "--database-url", db_url, "complete", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        edit = ["edit", "1", "--title", f"t{round_}"]
        b = subprocess.Popen(
            [sys.executable, "-m", "todo_cli", "--database-url", db_url, *edit],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert a.wait(120) == 0, a.stderr.read() if a.stderr else ""
        assert b.wait(120) == 0, b.stderr.read() if b.stderr else ""
        task = json.loads(cli("--database-url", db_url, "show", "1", "--json").stdout)
        assert (task["title"], task["completed"]) == (f"t{round_}", True)
        cli("--database-url", db_url, "reopen", "1")


def test_migrate_racing_list_never_crashes(empty_url: str) -> None:
    """`todo db migrate` on an empty database while `todo list` runs over and over: each list
    either works or says the schema is not ready (exit 1); never a traceback."""
    lister = (
        "import subprocess, sys, time\n"
        "codes = []\n"
        "end = time.monotonic() + 60\n"
        "while time.monotonic() < end:\n"
        f"    cmd = [sys.executable, '-m', 'todo_cli', '--database-url', {empty_url!r}, 'list']\n"
        "    p = subprocess.run(cmd, capture_output=True, text=True)\n"
        "    codes.append(p.returncode)\n"
        "    if p.returncode not in (0, 1) or 'Traceback' in p.stderr:\n"
        "        print('BAD', p.returncode, p.stderr); sys.exit(1)\n"
        "    if p.returncode == 1 and 'migrat' not in p.stderr:\n"
        "        print('BAD', p.stderr); sys.exit(1)\n"
        "    if p.returncode == 0 and len(codes) > 2:\n"
        "        break\n"
        "print(codes)\n"
    )
    watcher = subprocess.Popen(
        [sys.executable, "-c", lister], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    migrate = subprocess.run(
        [sys.executable, "-m", "todo_cli", "--database-url", empty_url, "db", "migrate"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    out, err = watcher.communicate(timeout=300)
    assert migrate.returncode == 0, migrate.stderr
    assert watcher.returncode == 0, out + err
    assert "Traceback" not in migrate.stderr
