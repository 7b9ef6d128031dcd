"""Terminal safety on both backends: control characters and escape sequences in stored text
(ESC sequences that clear the screen or set the window title, carriage return, backspace, the C1
CSI, Rich markup) are shown escaped in human output, so stored text cannot rewrite the user's
terminal; `--json` keeps the exact text.

Human output is read from a real process as bytes (no newline translation hides a `\\r`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tests.helpers import Run, cli

EVIL = ["\x1b[2J", "\x1b]0;pwned\x07", "a\rb", "c\x08d", "\x9b31m", "[bold red]x[/]", "[/]"]
TITLE = "T " + " ".join(EVIL)
TAG = "tag\x9b31m[bold]x[/]"  # tags refuse C0 controls, not C1 or markup
MESSAGE = "needle " + " ".join(EVIL) + "\nline two\r\n"
NAME = "N " + " ".join(EVIL)
RAW = {"\x1b", "\r", "\x08", "\x07", *map(chr, range(0x80, 0xA0))}


def human(db_url: str, *args: str) -> str:
    """`todo ARGS` in a real process, stdout a pipe, 400 columns; stdout as exact text."""
    env = {**os.environ, "COLUMNS": "400"}
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        env.pop(var, None)
    cmd = [sys.executable, "-m", "todo_cli", "--database-url", db_url, *args]
    p = subprocess.run(cmd, capture_output=True, env=env, timeout=120)
    assert p.returncode == 0 and p.stderr == b"", p
    return p.stdout.decode("utf-8")


def squash(text: str) -> str:
    """Rich may wrap a long cell; compare without whitespace."""
    return "".join(text.split())


def escaped(text: str, *, newlines: bool) -> str:
    """The escaped form: C0 controls (but tab, and newline in multi-line text), DEL and C1
    as `\\xHH`."""
    keep = "\t\n" if newlines else "\t"
    bad = [c for c in text if (c < " " and c not in keep) or "\x7f" <= c < "\xa0"]
    return "".join(f"\\x{ord(c):02x}" if c in bad else c for c in text)


def assert_inert(out: str, *stored: str) -> None:
    raw = sorted({c for c in out if c in RAW})
    assert not raw, f"raw control characters {raw} in {out!r}"
    for text in stored:
        forms = {squash(escaped(text, newlines=n)) for n in (True, False)}
        assert any(form in squash(out) for form in forms), (forms, out)


def js(db_url: str, *args: str) -> Any:
    """`todo ARGS --json` (before a `--`, if any), parsed."""
    at = args.index("--") if "--" in args else len(args)
    r = cli("--database-url", db_url, *args[:at], "--json", *args[at:])
    assert r.exit_code == 0, r
    return json.loads(r.stdout)


@pytest.fixture
def stored(db_url: str) -> dict[str, Any]:
    """A task, a task in the trash, conversations and a user, all holding hostile text."""
    task = js(db_url, "add", TITLE, "-d", MESSAGE, "-t", TAG)
    gone = js(db_url, "add", "gone " + TITLE)
    assert cli("--database-url", db_url, "delete", str(gone["id"])).exit_code == 0
    convs = [js(db_url, "chat", "new", "--", title) for title in EVIL]
    conv = convs[0]
    js(db_url, "chat", "say", str(conv["id"]), "--", MESSAGE)
    user = js(db_url, "user", "add", "evil@example.com", "--id", "u1", "--name", NAME)
    return {"task": task, "gone": gone, "convs": convs, "conv": conv, "user": user}


def test_json_keeps_the_exact_text(db_url: str, stored: dict[str, Any]) -> None:
    task, conv = stored["task"], stored["conv"]
    assert (task["title"], task["description"], task["tags"]) == (TITLE, MESSAGE, [TAG])
    [listed] = js(db_url, "list")["items"]
    shown = js(db_url, "show", str(task["id"]))
    for t in (listed, shown):
        assert (t["title"], t["description"], t["tags"]) == (TITLE, MESSAGE, [TAG])
    assert [t["title"] for t in js(db_url, "trash")["items"]] == ["gone " + TITLE]
    assert sorted(c["title"] for c in js(db_url, "chat", "list")["items"]) == sorted(EVIL)
    full = js(db_url, "chat", "show", str(conv["id"]))
    assert full["title"] == conv["title"] and full["messages"][0]["content"] == MESSAGE
    [hit] = js(db_url, "chat", "search", "needle")["items"]
    assert (hit["content"], hit["conversation_title"]) == (MESSAGE, conv["title"])
    people = {u["id"]: u for u in js(db_url, "user", "list")["items"]}
    assert people["u1"]["name"] == NAME
    assert people["u1"]["email"] == "evil@example.com"


def test_tables_show_stored_text_escaped(db_url: str, stored: dict[str, Any]) -> None:
    task, conv = stored["task"], stored["conv"]
    assert_inert(human(db_url, "list"), TITLE, TAG)
    assert_inert(human(db_url, "show", str(task["id"])), TITLE, TAG, MESSAGE)
    assert_inert(human(db_url, "trash"), "gone " + TITLE)
    assert_inert(human(db_url, "chat", "list"), *EVIL)
    assert_inert(human(db_url, "chat", "show", str(conv["id"])), conv["title"], MESSAGE)
    assert_inert(human(db_url, "chat", "search", "needle"), conv["title"], "needle")
    assert_inert(human(db_url, "user", "list"), NAME)


def test_confirmations_show_stored_text_escaped(db_url: str, stored: dict[str, Any]) -> None:
    """The one-line messages after a change repeat the title: escaped too (plain writes, not
    Rich, so in-process is faithful)."""
    db, conv = ("--database-url", db_url), str(stored["conv"]["id"])
    for args in (
        ["add", TITLE],
        ["complete", str(stored["task"]["id"])],
        ["restore", str(stored["gone"]["id"])],
        ["chat", "new", TITLE],
        ["chat", "rename", conv, TITLE],
    ):
        r = cli(*db, *args)
        assert r.exit_code == 0 and r.stderr == "", r
        assert_inert(r.stdout, TITLE)


def raw_controls(r: Run) -> list[str]:
    return sorted({c for c in r.stdout + r.stderr if c in RAW})


def test_user_messages_show_stored_text_escaped(db_url: str) -> None:
    email, uid = "evil\x1b[2J\x9b31m@example.com", "u\x9b2"
    runs = [
        cli("--database-url", db_url, "user", "add", email, "--id", uid),
        cli("--database-url", db_url, "user", "use", uid),
        cli("--database-url", db_url, "--user", uid, "user", "whoami"),
    ]
    assert all(r.exit_code in (0, 1, 2) for r in runs), runs  # refused, or not found
    assert [raw_controls(r) for r in runs] == [[], [], []]


def test_next_page_hint_shows_search_text_escaped(db_url: str) -> None:
    for _ in range(2):
        js(db_url, "add", "x \x1b[2J y")
        conv = js(db_url, "chat", "new")
        js(db_url, "chat", "say", str(conv["id"]), "--", "needle \x1b[2J")
    runs = [
        cli("--database-url", db_url, "list", "--search", "\x1b[2J", "--page-size", "1"),
        cli("--database-url", db_url, "chat", "search", "needle\x1b[2J", "--page-size", "1"),
    ]
    assert all("next: " in r.stdout for r in runs), runs
    assert [raw_controls(r) for r in runs] == [[], []]
