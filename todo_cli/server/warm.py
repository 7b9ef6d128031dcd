"""Getting the server ready before it listens: imports, the Click command, a warm-up.

Importing is most of what a command costs, but not all: Typer builds the Click command tree
on every run, and SQLAlchemy, Rich and the ORM fill class-level caches on first use. The
server builds the command once and runs a few commands against a scratch SQLite file in a
temporary data dir, in its own process, so that every forked worker starts with all of that
done (measured: about half of a warm worker's `todo list`). Then `gc.freeze()` keeps the
collector of a worker from touching, and so copying, the server's objects.
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
    ["list"],
    ["list", "--json"],
    ["complete", "1"],
    ["delete", "1", "--yes"],
    ["--help"],
)


def preload() -> Any:
    """Import every todo_cli module and what they import lazily, warm up; the Click command."""
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
        warm_up(command)
    gc.collect()
    gc.freeze()
    return command


def warm_up(command: Any) -> None:
    """Run a few commands here on a scratch database (the server's stdio is /dev/null)."""
    from todo_cli import render

    saved_env, saved_argv = dict(os.environ), sys.argv
    scratch = tempfile.mkdtemp(prefix="todo-warm-")
    try:
        os.environ.clear()
        os.environ["TODO_HOME"] = scratch  # and nothing else: no database, no .env settings
        for args in _WARM_UP:
            sys.argv = ["todo", *args]
            with contextlib.suppress(Exception, SystemExit):
                command()
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.argv = saved_argv
        render.console.cache_clear()  # made for /dev/null: each command makes its own
        shutil.rmtree(scratch, ignore_errors=True)
