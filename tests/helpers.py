"""Running `todo` in tests: in-process through CliRunner, or as a real subprocess, plus the
small builders and checks the command tests share. This module holds no tests (it is not
collected); SQL straight to the database is in `dbutil.py`.

Naming: `todo(url, ...)` runs a command and returns its `Run`; `ok(url, ...)` runs one that
must succeed silently on stderr; `js(url, ...)` runs one with `--json` and returns the parsed
output. `ok_run(run)` and `json_of(run)` check a `Run` made some other way.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from typer.testing import CliRunner

from tests import servers
from todo_cli.cli.app import app
from todo_cli.services.work import local_identity

TS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00:00")
WHEN = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")  # render.when: local minutes
# The task shape, in order.
TASK_KEYS = [
    "id", "uuid", "title", "description", "completed", "status", "priority", "due", "tags",
    "project", "annotations", "wait", "scheduled", "until", "recur", "depends", "start",
    "urgency", "created_at", "updated_at", "completed_at", "deleted_at", "extra",
]  # fmt: skip
# What `plain` keeps: the fields the tests of the first task commands compare.
PLAIN_KEYS = [
    "id", "title", "description", "completed", "priority", "due", "tags", "created_at",
    "updated_at", "deleted_at",
]  # fmt: skip
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
CONV_KEYS = ["id", "title", "message_count", "source", "created_at", "updated_at"]
MSG_KEYS = ["id", "conversation_id", "role", "content", "model", "created_at"]
LOCAL_ID, LOCAL_EMAIL = local_identity()


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


def cli(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Run:
    """Run `todo ARGS` in-process through Typer's CliRunner."""
    result = CliRunner().invoke(app, list(args), input=input, env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def proc(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Run:
    """Run `python -m todo_cli ARGS` as a real subprocess, with the test's environment
    (through the command server in the server pass: tests/servers.py)."""
    full_env = {**os.environ, **(env or {})}
    servers.ensure(full_env)
    p = subprocess.run(
        [sys.executable, "-m", "todo_cli", *args],
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )
    return Run(p.returncode, p.stdout, p.stderr)


def todo(
    db_url: str,
    *args: str,
    user: str | None = None,
    input: str | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """`todo --database-url URL [--user U] ARGS`, in process."""
    pre = ["--database-url", db_url] + (["--user", user] if user else [])
    return cli(*pre, *args, input=input, env=env)


def ok_run(run: Run) -> Run:
    assert (run.exit_code, run.stderr) == (0, ""), run
    return run


def json_of(run: Run) -> Any:
    return json.loads(ok_run(run).stdout)


def ok(db_url: str, *args: str, user: str | None = None, input: str | None = None) -> Run:
    """Run a command that must succeed with nothing on stderr."""
    return ok_run(todo(db_url, *args, user=user, input=input))


def js(db_url: str, *args: str, user: str | None = None, input: str | None = None) -> Any:
    """Run a command with --json and parse stdout."""
    return json_of(todo(db_url, *args, "--json", user=user, input=input))


def add(db_url: str, title: str, *args: str, user: str | None = None) -> dict[str, Any]:
    task: dict[str, Any] = js(db_url, "add", title, *args, user=user)
    return task


def ids(page: dict[str, Any]) -> list[int]:
    return [t["id"] for t in page["items"]]


def add_user(db_url: str, email: str, uid: str, name: str | None = None) -> None:
    extra = ["--name", name] if name else []
    ok(db_url, "user", "add", email, "--id", uid, *extra)


def new_conv(db_url: str, title: str | None = None, user: str | None = None) -> int:
    args = [title] if title is not None else []
    conv_id: int = js(db_url, "chat", "new", *args, user=user)["id"]
    return conv_id


def say(
    db_url: str, conv_id: int, text: str, role: str = "user", user: str | None = None
) -> dict[str, Any]:
    msg: dict[str, Any] = js(db_url, "chat", "say", str(conv_id), text, "--role", role, user=user)
    return msg


def stamp(value: str) -> datetime:
    assert TS.fullmatch(value), value
    return datetime.fromisoformat(value)


def is_ts(value: Any) -> bool:
    return isinstance(value, str) and TS.fullmatch(value) is not None


def norm(text: str) -> str:
    """Timestamps made comparable: ISO ones to <TS>, local table ones to a same-width mask."""
    return WHEN.sub("YYYY-MM-DD HH:MM", TS.sub("<TS>", text))


def plain(task: dict[str, Any]) -> dict[str, Any]:
    """A task's JSON checked against the whole shape (keys in order, a uuid, a numeric
    urgency, UTC timestamps), then cut to `PLAIN_KEYS` with the timestamps as placeholders."""
    assert list(task) == TASK_KEYS, list(task)
    assert UUID.fullmatch(task["uuid"]), task["uuid"]
    assert isinstance(task["urgency"], int | float)
    out = {k: task[k] for k in PLAIN_KEYS}
    for key in ("created_at", "updated_at", "deleted_at"):
        if out[key] is not None:
            stamp(out[key])
            out[key] = "<ts>"
    return out


def backend(db_url: str) -> str:
    return "postgresql" if db_url.startswith("postgres") else "sqlite"


@contextmanager
def local_tz(name: str) -> Iterator[None]:
    """Run with the process's local time zone set to `name`, then put the old one back."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()
