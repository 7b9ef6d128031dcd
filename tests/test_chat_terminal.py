"""`todo chat` on a real terminal (a pseudo-terminal): Markdown rendering, the pager for a long
conversation, the hint at a `-` prompt, the import's progress bar; and the stored text on a
pipe or with --raw."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import js, ok, proc
from tests.terminal import on_tty

MARKDOWN = "# Packing list\n\n- **light** jacket\n- shoes\n\n```python\nprint('hi')\n```\n"
CHATGPT = Path(__file__).parent / "fixtures" / "chat" / "chatgpt_conversations.json"


@pytest.fixture
def conv(sqlite_url: str) -> int:
    from tests.dbutil import migrate_db

    migrate_db(sqlite_url)
    conv_id: int = js(sqlite_url, "chat", "new", "trip")["id"]
    ok(
        sqlite_url,
        "chat",
        "say",
        str(conv_id),
        MARKDOWN,
        "--role",
        "assistant",
        "--model",
        "gpt-4o",
    )
    return conv_id


def test_show_renders_markdown_on_a_terminal(sqlite_url: str, conv: int) -> None:
    r = on_tty("--database-url", sqlite_url, "chat", "show", str(conv), env={"PAGER": "cat"})
    assert r.exit_code == 0, r.output
    text = re.sub(r"\x1b\[[0-9;]*m", "", r.output)  # colours off, text only
    assert "Packing list" in text and "# Packing list" not in text  # a heading, not its mark
    assert "• " in text and "**light**" not in text  # a list, bold made bold
    assert "print" in text and "```" not in text  # a code block, highlighted
    assert "assistant (gpt-4o)" in text


def test_raw_and_a_pipe_print_the_text_as_stored(sqlite_url: str, conv: int) -> None:
    r = on_tty("--database-url", sqlite_url, "chat", "show", str(conv), "--raw")
    assert r.exit_code == 0 and "# Packing list" in r.output and "- **light** jacket" in r.output
    piped = proc("--database-url", sqlite_url, "chat", "show", str(conv))
    assert piped.exit_code == 0 and MARKDOWN in piped.stdout


def test_a_long_conversation_goes_through_the_pager(sqlite_url: str, conv: int) -> None:
    for n in range(30):
        ok(sqlite_url, "chat", "say", str(conv), f"line {n}")
    pager = {"PAGER": "sh -c 'echo PAGER-RAN; cat'"}
    r = on_tty("--database-url", sqlite_url, "chat", "show", str(conv), rows=20, env=pager)
    assert r.exit_code == 0 and "PAGER-RAN" in r.output and "line 29" in r.output
    short = on_tty("--database-url", sqlite_url, "chat", "show", str(conv), "--page-size", "1")
    assert short.exit_code == 0 and "PAGER-RAN" not in short.output


def test_say_dash_at_a_terminal_says_how_to_end(sqlite_url: str, conv: int) -> None:
    r = on_tty("--database-url", sqlite_url, "chat", "say", "last", "-", typed="typed in\n\x04")
    assert r.exit_code == 0, r.output
    assert "end it with Ctrl-D" in r.output
    shown = js(sqlite_url, "chat", "show", str(conv))
    assert shown["messages"][-1]["content"] == "typed in\n"
    r = on_tty("--database-url", sqlite_url, "chat", "say", "last")
    assert r.exit_code == 2 and "give the message as TEXT" in r.output


def test_say_reads_a_pipe_without_dash(sqlite_url: str, conv: int) -> None:
    r = proc("--database-url", sqlite_url, "chat", "say", "last", "--role", "assistant",
             "--model", "llama", "--json", input="from a pipe\n")  # fmt: skip
    assert r.exit_code == 0, r
    msg = json.loads(r.stdout)
    assert (msg["conversation_id"], msg["content"], msg["model"]) == (
        conv,
        "from a pipe\n",
        "llama",
    )


def test_import_shows_progress_on_a_terminal(sqlite_url: str, tmp_path: Path) -> None:
    from tests.dbutil import migrate_db

    migrate_db(sqlite_url)
    r = on_tty("--database-url", sqlite_url, "chat", "import", str(CHATGPT))
    assert r.exit_code == 0, r.output
    assert "importing" in r.output and "3 conversations imported" in r.output
    piped = proc("--database-url", sqlite_url, "chat", "import", str(CHATGPT))
    assert (piped.exit_code, piped.stderr) == (0, "")
    assert piped.stdout == "nothing new (3 conversations already up to date)\n"
