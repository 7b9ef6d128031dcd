"""Getting the server ready before it listens: imports, the Click command, a warm-up.

Importing is most of what a command costs, but not all: Typer builds the Click command tree
on every run, and SQLAlchemy, Rich and the ORM fill class-level caches on first use. The
server builds the command once and runs a few commands against a scratch SQLite file in a
temporary data dir, in its own process, so that every forked worker starts with all of that
done (measured: about half of a warm worker's `todo list`). Then `gc.freeze()` keeps the
collector of a worker from touching, and so copying, the server's objects.

A forked worker still shares the server's memory page by page, and the first command it runs
writes to (reference counts) and so copies about 3,000 of those pages: measured, 10 ms of a
20 ms `todo list`. So a spare worker rehearses, before it says it is ready: it runs a few
commands on a copy of the warm-up's scratch database, and the user's command then finds
those pages copied already (about 50 faults instead of 3,000; `bench/server.py`).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import pkgutil
import shutil
import sys
import tempfile
from typing import Any

# Imported by command code only inside functions; a worker must not pay for them.
_LAZY = (
    "todo_cli.cli.app",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql",
    "psycopg2",
    "rich.console",
    "rich.table",
    "rich.text",
    "rich.markup",
    "dotenv",
    "dateutil.relativedelta",
    "alembic.config",
    "alembic.script",
    "alembic.runtime.migration",
)
_WARM_UP: tuple[list[str], ...] = (
    ["add", "warm up", "-t", "x"],
    ["add", "two"],
    ["list"],
    ["list", "--json"],
    ["complete", "1"],
    ["delete", "2", "--yes"],
    ["--help"],
)
# A spare's rehearsal, on its own copy of the database the warm-up left (ids go on from 3).
_REHEARSAL: tuple[list[str], ...] = (["add", "warm up", "-t", "x"], ["list"], ["complete", "3"])


def preload(scratch: str) -> Any:
    """Import every todo_cli module and what they import lazily, warm up in `scratch` (a new
    directory, kept for the spares' rehearsals); the Click command."""
    import todo_cli

    for module in _LAZY:
        with contextlib.suppress(Exception):
            importlib.import_module(module)
    for info in pkgutil.walk_packages(todo_cli.__path__, "todo_cli."):
        if info.name.endswith("__main__") or info.name.startswith("todo_cli.server."):
            continue
        with contextlib.suppress(Exception):
            importlib.import_module(info.name)
    with contextlib.suppress(Exception):
        from sqlalchemy.orm import configure_mappers

        configure_mappers()
    from typer.main import get_command

    from todo_cli.cli.app import app

    command = get_command(app)
    with contextlib.suppress(Exception):
        shutil.rmtree(scratch, ignore_errors=True)  # a killed server's
        os.mkdir(scratch, 0o700)
        _run(command, scratch, _WARM_UP)
    gc.collect()
    gc.freeze()
    return command


def rehearse(command: Any, scratch: str) -> None:
    """In a spare worker: the rehearsal's commands, on a copy of the warm-up's database
    (in `scratch`, preload's)."""
    from todo_cli.config import EMBEDDED_FILE

    template = os.path.join(scratch, EMBEDDED_FILE)
    if not os.path.exists(template):  # the warm-up failed: nothing to rehearse on
        return
    mine = tempfile.mkdtemp(prefix="spare-", dir=scratch)
    try:
        shutil.copyfile(template, os.path.join(mine, EMBEDDED_FILE))
        _run(command, mine, _REHEARSAL)
    except Exception:  # a rehearsal only
        pass
    finally:
        shutil.rmtree(mine, ignore_errors=True)


def clean_up(scratch: str) -> None:
    """When the server exits: the warm-up's scratch data dir goes."""
    shutil.rmtree(scratch, ignore_errors=True)


def _run(command: Any, home: str, commands: tuple[list[str], ...]) -> None:
    """Run `commands` here with `home` as the data dir (the server's stdio is /dev/null)."""
    from todo_cli import render

    saved_env, saved_argv = dict(os.environ), sys.argv
    try:
        os.environ.clear()
        os.environ["TODO_HOME"] = home  # and nothing else: no database, no .env settings
        for args in commands:
            sys.argv = ["todo", *args]
            with contextlib.suppress(Exception, SystemExit):
                command()
    finally:
        for stream in (sys.stdout, sys.stderr):  # nothing of theirs left in a buffer, which
            with contextlib.suppress(Exception):  # a worker's fd 1 and 2 would get later
                stream.flush()
        os.environ.clear()
        os.environ.update(saved_env)
        sys.argv = saved_argv
        render.console.cache_clear()  # made for /dev/null: each command makes its own
