"""What a real terminal shows (a pseudo-terminal of a given size): `list` keeps a task to one
line at 60 and 100 columns, `show` keeps line breaks and indents what wraps, and a question
names the tasks it is about."""

from __future__ import annotations

import re

import pytest

from tests.helpers import add, ok
from tests.terminal import on_tty

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
LONG = "renew the passport " + "and the visa " * 12 + "before the trip in spring"  # 200


def screen(text: str) -> list[str]:
    """The lines as they appear: colours and cursor codes removed."""
    return [ANSI.sub("", line).rstrip() for line in text.replace("\r\n", "\n").split("\n")]


@pytest.mark.parametrize("columns", [60, 100])
def test_list_keeps_each_task_to_one_line(db_url: str, columns: int) -> None:
    assert len(LONG) == 200
    add(db_url, LONG, "-t", "admin", "-t", "travel", "--project", "Home", "-p", "high")
    add(db_url, "short one", "--due", "2026-12-20")
    r = on_tty("--database-url", db_url, "list", columns=columns)
    assert r.exit_code == 0, r.output
    lines = [x for x in screen(r.output) if x]
    assert all(len(x) <= columns for x in lines), lines
    [long_row] = [x for x in lines if "renew the passport" in x]
    assert "…" in long_row and "high" in long_row  # cut, not wrapped; the rest still there
    [short_row] = [x for x in lines if "short one" in x]
    assert "2026-12-20" in short_row
    if columns >= 80:
        assert lines[0].split() == ["ID", "Title", "Project", "Pri", "Due", "Tags", "Status"]
        assert "admin travel" in long_row
    else:  # no room for columns of their own: project and tags follow the title, dimmed
        assert "Tags" not in lines[0]
    assert lines[-1] == "page 1 of 1 · 2 tasks"


def test_show_keeps_line_breaks_and_indents_what_wraps(db_url: str) -> None:
    add(db_url, "trip", "-d", "line one\nline two\twith a tab\x1b[31m red " + "word " * 30)
    r = on_tty("--database-url", db_url, "show", "1", columns=60)
    lines = screen(r.output)
    start = next(i for i, x in enumerate(lines) if x.strip().startswith("description"))
    assert lines[start].endswith("description  line one")
    indent = lines[start].index("line one")
    second = lines[start + 1]
    assert second.startswith(" " * indent + "line two ") and "with a tab\\x1b[31m red" in second
    follow = lines[start + 2]
    assert follow.startswith(" " * indent + "word") and len(follow) <= 60  # wrapped, indented
    assert "\x1b[31m" not in r.output  # the stored escape is shown, never sent to the terminal


def test_a_question_names_its_tasks_and_no_changes_nothing(db_url: str) -> None:
    for title in ("milk", "eggs", "bread", "jam"):
        add(db_url, title, "-t", "shop")
    r = on_tty("--database-url", db_url, "delete", "--tag", "shop", typed="n\n")
    text = "\n".join(screen(r.output))
    for i, title in enumerate(("milk", "eggs", "bread", "jam"), 1):
        assert f"{i}  {title}" in text or f"{i} {title}" in text or f"task {i}: {title}" in text
    assert "Delete 4 tasks?" in text or "4 tasks" in text
    assert "nothing was changed" in text
    assert r.exit_code == 1
    assert len(ok(db_url, "list", "--json").stdout) > 0
