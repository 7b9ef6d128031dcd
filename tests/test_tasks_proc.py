"""Every task command once as a real process (`python -m todo_cli`), stdin a pipe, TZ=UTC;
and the confirmation prompt of `delete --hard` and `purge` on a real terminal (a pty)."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.dbutil import rows
from tests.helpers import Run, add, local_tz, ok, plain, proc, stamp


@pytest.fixture(autouse=True)
def _utc() -> Iterator[None]:
    with local_tz("UTC"):
        yield


def run(db_url: str, *args: str) -> Run:
    return proc("--database-url", db_url, *args, input="", env={"TZ": "UTC"})


def run_json(db_url: str, *args: str) -> Any:
    r = run(db_url, *args, "--json")
    assert (r.exit_code, r.stderr) == (0, ""), r.stderr
    return json.loads(r.stdout)


def test_add(db_url: str) -> None:
    r = run(db_url, "add", "buy milk", "--due", "2026-12-01", "-p", "high", "-t", "home")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "added task 1: buy milk\n", "")
    task = run_json(db_url, "add", "call mum", "-d", "Sunday")
    assert plain(task) == {
        "id": 2,
        "title": "call mum",
        "description": "Sunday",
        "completed": False,
        "priority": None,
        "due": None,
        "tags": [],
        "created_at": "<ts>",
        "updated_at": "<ts>",
        "deleted_at": None,
    }
    assert [(t["title"], t["priority"], t["tags"]) for t in rows(db_url)] == [
        ("buy milk", 3, ["home"]),
        ("call mum", None, []),
    ]


def test_list(db_url: str) -> None:
    add(db_url, "buy milk", "--due", "2026-12-01", "-p", "high", "-t", "home")
    add(db_url, "call mum")
    r = run(db_url, "list")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == (
        "ID  Title     Pri   Due         Tags  Status \n"
        " 2  call mum                          pending\n"
        " 1  buy milk  high  2026-12-01  home  pending\n"
        "page 1 of 1 · 2 tasks\n"
    )
    page = run_json(db_url, "list", "--sort", "title")
    assert [t["title"] for t in page["items"]] == ["buy milk", "call mum"]
    assert (page["total"], page["page"], page["page_size"]) == (2, 1, 20)


def test_show(db_url: str) -> None:
    task = add(db_url, "buy milk", "-t", "home", "-t", "shop")
    r = run(db_url, "show", "1")
    hm = stamp(task["created_at"]).strftime("%Y-%m-%d %H:%M")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout.splitlines() == [
        "          id  1",
        f"        uuid  {task['uuid']}",
        "       title  buy milk",
        "      status  pending",
        "        tags  home shop",
        f"     urgency  {task['urgency']:g}",
        f"     created  {hm}",
        f"     updated  {hm}",
    ]
    assert run_json(db_url, "show", "1") == {
        **task,
        "urgency": run_json(db_url, "show", "1")["urgency"],
    }
    missing = run(db_url, "show", "2")
    assert (missing.exit_code, missing.stdout, missing.stderr) == (
        1,
        "",
        "error: no task with id 2\n",
    )


def test_edit(db_url: str) -> None:
    old = add(db_url, "buy milk", "--due", "2026-12-01", "-t", "home")
    r = run(
        db_url, "edit", "1", "--title", "buy oat milk", "--no-due", "--untag", "home", "-t", "x"
    )
    assert (r.exit_code, r.stdout, r.stderr) == (0, "updated task 1: buy oat milk\n", "")
    [row] = rows(db_url)
    assert (row["title"], row["due"], row["tags"]) == ("buy oat milk", None, ["x"])
    assert row["updated_at"] > stamp(old["updated_at"])
    assert row["created_at"] == stamp(old["created_at"])


def test_complete_and_reopen(db_url: str) -> None:
    for title in ("a", "b", "c"):
        add(db_url, title)
    r = run(db_url, "complete", "1", "3")
    assert (r.exit_code, r.stdout) == (0, "completed task 1: a\ncompleted task 3: c\n")
    page = run_json(db_url, "reopen", "3")
    assert [(t["id"], t["completed"]) for t in page["items"]] == [(3, False)]
    r = run(db_url, "reopen", "1", "2", "9")
    assert (r.exit_code, r.stderr) == (1, "error: no task with id 9; nothing was changed\n")
    assert [t["completed"] for t in rows(db_url)] == [True, False, False]


def test_delete_restore_and_trash(db_url: str) -> None:
    add(db_url, "a")
    add(db_url, "b")
    r = run(db_url, "delete", "1", "2")
    assert (r.exit_code, r.stdout) == (
        0,
        "deleted task 1: a (todo restore 1)\ndeleted task 2: b (todo restore 2)\n",
    )
    trash = run_json(db_url, "trash")
    assert ([t["id"] for t in trash["items"]], trash["total"]) == ([2, 1], 2)
    assert run(db_url, "trash").stdout.splitlines()[-1] == "page 1 of 1 · 2 tasks"
    r = run(db_url, "restore", "2")
    assert (r.exit_code, r.stdout) == (0, "restored task 2: b\n")
    assert [t["deleted_at"] is None for t in rows(db_url)] == [False, True]


def test_delete_hard(db_url: str) -> None:
    add(db_url, "a")
    add(db_url, "b")
    refused = run(db_url, "delete", "1", "--hard")
    assert (refused.exit_code, refused.stdout) == (2, "")
    assert refused.stderr == (
        "error: Permanently delete 1 task (1 a): refusing without a terminal; pass --yes\n"
    )
    assert len(rows(db_url)) == 2
    r = run(db_url, "delete", "1", "--hard", "--yes")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "permanently deleted 1 task\n", "")
    assert [t["id"] for t in rows(db_url)] == [2]


def test_purge(db_url: str) -> None:
    add(db_url, "a")
    add(db_url, "b")
    ok(db_url, "delete", "1")
    refused = run(db_url, "purge")
    assert (refused.exit_code, refused.stdout) == (2, "")
    assert refused.stderr.endswith("refusing without a terminal; pass --yes\n")
    r = run(db_url, "purge", "--older-than", "0", "--yes")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "purged 1 task\n", "")
    assert [t["id"] for t in rows(db_url)] == [2]


def _on_a_terminal(db_url: str, args: list[str], answer: str) -> tuple[int, str]:
    """Run with stdin and stderr on a pty, type `answer`, return (exit code, terminal text)."""
    master, slave = os.openpty()
    env = {**os.environ, "TZ": "UTC"}
    cmd = [sys.executable, "-m", "todo_cli", "--database-url", db_url, *args]
    p = subprocess.Popen(cmd, stdin=slave, stderr=slave, stdout=subprocess.PIPE, env=env)
    os.close(slave)
    seen, deadline = b"", time.monotonic() + 60
    try:
        while b"[y/N]:" not in seen and p.poll() is None and time.monotonic() < deadline:
            if select.select([master], [], [], 0.5)[0]:
                seen += os.read(master, 1024)
        os.write(master, answer.encode())
        p.wait(timeout=60)
        while select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 1024)
            except OSError:  # EIO: the child has closed its end
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
        assert p.stdout is not None
        seen += p.stdout.read()
        p.stdout.close()
    return p.returncode, seen.decode().replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("args", "prompt", "done"),
    [
        (
            ["delete", "1", "2", "--hard"],
            "Permanently delete 2 tasks (1 a, 2 b)? [y/N]:",
            "deleted 2 tasks",
        ),
        (
            ["purge"],
            "Permanently delete 2 tasks from the trash (1 a, 2 b)? [y/N]:",
            "purged 2 tasks",
        ),
    ],
)
def test_a_terminal_is_asked_first(db_url: str, args: list[str], prompt: str, done: str) -> None:
    add(db_url, "a")
    add(db_url, "b")
    ok(db_url, "delete", "1", "2")
    before = rows(db_url)
    code, text = _on_a_terminal(db_url, args, "n\n")
    assert (code, prompt in text, "nothing was changed" in text) == (1, True, True), text
    assert rows(db_url) == before
    code, text = _on_a_terminal(db_url, args, "y\n")
    assert (code, prompt in text, done in text) == (0, True, True), text
    assert rows(db_url) == []
