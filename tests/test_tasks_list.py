"""`todo list` and `todo trash`: filters, sorting, paging, empty results, terminal safety."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from tests.dbutil import seed, users
from tests.helpers import add, ids, js, local_tz, ok, todo


@pytest.fixture(autouse=True)
def _utc() -> Iterator[None]:
    with local_tz("UTC"):
        yield


@pytest.fixture
def varied(db_url: str) -> str:
    """Ten tasks whose titles, descriptions, tags and dates exercise every filter."""
    add(db_url, "Buy milk", "-d", "2% fat", "-t", "home")  # 1
    add(db_url, "Pay 50% deposit", "-t", "work")  # 2
    add(db_url, "50 cents")  # 3
    add(db_url, "file_name fix", "-d", "rename", "-t", "work", "-t", "urgent")  # 4
    add(db_url, "fileXname fix")  # 5
    add(db_url, "old report", "--due", "2020-01-01", "-t", "work")  # 6: overdue
    add(db_url, "done thing", "--due", "2020-01-01")  # 7: completed, so not overdue
    add(db_url, "future", "--due", "2999-01-01")  # 8
    add(db_url, "Trashed milk", "-t", "home")  # 9: in the trash
    add(db_url, "C:\\temp dir")  # 10
    ok(db_url, "complete", "7")
    ok(db_url, "delete", "9")
    return db_url


FILTERS: dict[tuple[str, ...], list[int]] = {
    (): [10, 8, 6, 5, 4, 3, 2, 1],
    ("--status", "pending"): [10, 8, 6, 5, 4, 3, 2, 1],
    ("--status", "completed"): [7],
    ("--status", "all"): [10, 8, 7, 6, 5, 4, 3, 2, 1],
    ("-s", "MILK"): [1],  # case-insensitive; the trashed one never shows
    ("--status", "all", "--search", "milk"): [1],
    ("-s", "rename"): [4],  # the description is searched too
    ("-s", "2%"): [1],
    ("-s", "50%"): [2],  # % is a literal, not a wildcard
    ("-s", "%"): [2, 1],
    ("-s", "file_name"): [4],  # _ is a literal, not a wildcard
    ("-s", "_"): [4],
    ("-s", "C:\\t"): [10],
    ("-t", "work"): [6, 4, 2],
    ("--tag", "home"): [1],
    ("-t", "work", "-s", "fix"): [4],
    ("-t", "wor"): [],
    ("--overdue",): [6],
    ("--overdue", "-t", "home"): [],
}


def test_filters(varied: str) -> None:
    got = {}
    for args, expected in FILTERS.items():
        page = js(varied, "list", *args)
        assert (page["total"], page["page"], page["page_size"]) == (len(expected), 1, 20), args
        got[args] = ids(page)
    assert got == FILTERS


def test_filtered_table_and_no_match_message(varied: str) -> None:
    assert ok(varied, "list", "--overdue").stdout == (
        "ID  Title       Pri  Due         Tags  Status \n"
        " 6  old report       2020-01-01  work  pending\n"
        "page 1 of 1 · 1 task\n"
    )
    assert ok(varied, "list", "-s", "nothing like it").stdout == "no tasks match\n"
    assert ok(varied, "list", "-t", "nope", "--status", "all").stdout == "no tasks match\n"


def test_search_ignores_case_beyond_ascii(db_url: str) -> None:
    add(db_url, "Äpfel kaufen")
    add(db_url, "Birnen", "-d", "ÉCOLE")
    assert ids(js(db_url, "list", "-s", "äpfel")) == [1]
    assert ids(js(db_url, "list", "-s", "école")) == [2]


def test_sorting(db_url: str) -> None:
    add(db_url, "banana", "-p", "low", "--due", "2026-12-03")  # 1
    add(db_url, "apple", "-p", "high")  # 2: no due date
    add(db_url, "cherry", "--due", "2026-12-01")  # 3: no priority
    add(db_url, "date", "-p", "medium", "--due", "2026-12-02")  # 4
    ok(db_url, "edit", "1", "-d", "touched")  # 1 is now the most recently updated
    cases = {
        (): [4, 3, 2, 1],
        ("--desc",): [4, 3, 2, 1],
        ("--asc",): [1, 2, 3, 4],
        ("--sort", "created", "--asc"): [1, 2, 3, 4],
        ("--sort", "updated"): [1, 4, 3, 2],
        ("--sort", "updated", "--asc"): [2, 3, 4, 1],
        ("--sort", "due"): [3, 4, 1, 2],  # soonest first, no due date last
        ("--sort", "due", "--asc"): [3, 4, 1, 2],
        ("--sort", "due", "--desc"): [1, 4, 3, 2],  # still last without a date
        ("--sort", "priority"): [2, 4, 1, 3],  # highest first, none last
        ("--sort", "priority", "--asc"): [1, 4, 2, 3],
        ("--sort", "title"): [2, 1, 3, 4],
        ("--sort", "title", "--desc"): [4, 3, 1, 2],
    }
    got = {args: ids(js(db_url, "list", *args)) for args in cases}
    assert got == cases


def test_ties_are_broken_by_id(db_url: str) -> None:
    for _ in range(3):
        add(db_url, "same", "-p", "low")
    assert ids(js(db_url, "list", "--sort", "priority")) == [3, 2, 1]
    assert ids(js(db_url, "list", "--sort", "title", "--asc")) == [1, 2, 3]


def _table(task_ids: list[int], footer: str) -> str:
    """The plain-text table of seeded tasks `task N` (no priority, due date or tags)."""
    width = max(len("Title"), *(len(f"task {i}") for i in task_ids))
    lines = [f"ID  {'Title':<{width}}  Pri  Due  Tags  Status "]
    lines += [f"{i:>2}  {f'task {i}':<{width}}  {'':3}  {'':3}  {'':4}  pending" for i in task_ids]
    return "\n".join([*lines, footer, ""])


@pytest.fixture
def fortyfive(db_url: str) -> str:
    ok(db_url, "list")  # creates the local user on first use
    [me] = users(db_url)
    seed(db_url, me["id"], [f"task {i}" for i in range(1, 46)])
    return db_url


def _bare(text: str, url: str) -> str:
    """A next-page hint without the `--database-url URL` that every hint here carries (a test
    of its own checks that it does)."""
    return text.replace(f"todo --database-url {url} ", "todo ")


def test_paging_text(fortyfive: str) -> None:
    assert _bare(ok(fortyfive, "list").stdout, fortyfive) == _table(
        list(range(45, 25, -1)), "page 1 of 3 · 45 tasks · next: todo list --page 2"
    )
    assert _bare(ok(fortyfive, "list", "--page", "2").stdout, fortyfive) == _table(
        list(range(25, 5, -1)), "page 2 of 3 · 45 tasks · next: todo list --page 3"
    )
    assert ok(fortyfive, "list", "--page", "3").stdout == _table(
        [5, 4, 3, 2, 1], "page 3 of 3 · 45 tasks"
    )
    assert ok(fortyfive, "list", "--page", "4").stdout == "no pending tasks on page 4 of 3\n"


def test_paging_json(fortyfive: str) -> None:
    page = js(fortyfive, "list", "--page", "2")
    assert (ids(page), page["total"], page["page"], page["page_size"]) == (
        list(range(25, 5, -1)),
        45,
        2,
        20,
    )
    assert js(fortyfive, "list", "--page", "9") == {
        "items": [],
        "total": 45,
        "page": 9,
        "page_size": 20,
    }
    everything = js(fortyfive, "list", "--page-size", "500")
    assert (len(everything["items"]), everything["page_size"]) == (45, 500)
    assert ids(js(fortyfive, "list", "--page-size", "7", "--page", "7")) == [3, 2, 1]


@pytest.mark.parametrize(
    ("args", "footer"),
    [
        (
            ["--page-size", "10", "--page", "2"],
            "page 2 of 5 · 45 tasks · next: todo list --page-size 10 --page 3",
        ),
        (
            ["-s", "t", "--sort", "due", "--asc"],
            "page 1 of 3 · 45 tasks · next: todo list --search t --sort due --asc --page 2",
        ),
        (
            ["--status", "all", "--desc"],
            "page 1 of 3 · 45 tasks · next: todo list --status all --desc --page 2",
        ),
        (["--page-size", "44", "--page", "2"], "page 2 of 2 · 45 tasks"),
    ],
)
def test_next_page_hint_repeats_the_flags(fortyfive: str, args: list[str], footer: str) -> None:
    assert _bare(ok(fortyfive, "list", *args).stdout, fortyfive).splitlines()[-1] == footer


def test_a_long_next_page_hint_stays_on_one_line(fortyfive: str) -> None:
    out = ok(fortyfive, "list", "-s", "task", "--sort", "title", "--asc", "--page-size", "10")
    assert _bare(out.stdout, fortyfive).splitlines()[-1] == (
        "page 1 of 5 · 45 tasks · next: todo list --search task --sort title --asc "
        "--page-size 10 --page 2"
    )


def test_thousands_in_the_footer(db_url: str) -> None:
    ok(db_url, "list")
    seed(db_url, users(db_url)[0]["id"], [f"t{i}" for i in range(1000)])
    assert _bare(ok(db_url, "list").stdout, db_url).splitlines()[-1] == (
        "page 1 of 50 · 1,000 tasks · next: todo list --page 2"
    )


def test_trash_paging(db_url: str) -> None:
    for title in ("a", "b", "c"):
        add(db_url, title)
    ok(db_url, "delete", "1", "3")
    first = _bare(ok(db_url, "trash", "--page-size", "1").stdout, db_url).splitlines()
    assert first[-1] == "page 1 of 2 · 2 tasks · next: todo trash --page-size 1 --page 2"
    page = js(db_url, "trash", "--page-size", "1", "--page", "2")
    assert (ids(page), page["total"], page["page"], page["page_size"]) == ([1], 2, 2, 1)
    assert ok(db_url, "trash", "--page", "3").stdout == "the trash is empty on page 3 of 1\n"


def test_empty_results(db_url: str) -> None:
    assert ok(db_url, "list").stdout == "no pending tasks\n"
    assert ok(db_url, "list", "--status", "completed").stdout == "no completed tasks\n"
    assert ok(db_url, "list", "--status", "all").stdout == "no tasks\n"
    assert ok(db_url, "list", "--overdue").stdout == "no tasks match\n"
    assert ok(db_url, "trash").stdout == "the trash is empty\n"
    empty = {"items": [], "total": 0, "page": 1, "page_size": 20}
    assert js(db_url, "list") == empty
    assert js(db_url, "trash") == empty
    assert js(db_url, "list", "--page", "2", "--page-size", "5") == {
        **empty,
        "page": 2,
        "page_size": 5,
    }


def test_an_escape_sequence_in_a_title_is_shown_escaped(db_url: str) -> None:
    title = "\x1b[31mred\x1b[0m alert"
    assert ok(db_url, "add", title).stdout == "added task 1: \\x1b[31mred\\x1b[0m alert\n"
    table = ok(db_url, "list").stdout
    assert "\x1b" not in table
    assert table.splitlines()[1].startswith(" 1  \\x1b[31mred\\x1b[0m alert  ")
    assert "\x1b" not in ok(db_url, "show", "1").stdout
    assert (
        ok(db_url, "show", "1").stdout.splitlines()[2] == "       title  \\x1b[31mred\\x1b[0m alert"
    )
    assert js(db_url, "show", "1")["title"] == title
    assert js(db_url, "list")["items"][0]["title"] == title


def _shell_words(command: str) -> list[str]:
    """The words bash would pass to `command`, as a user pasting it would get them."""
    out = subprocess.run(
        ["bash", "-c", f"printf '%s\\n' {command}"], capture_output=True, text=True, check=False
    )
    return out.stdout.splitlines()


def test_next_hint_with_brackets_in_the_search(db_url: str) -> None:
    add(db_url, "[/] one")
    add(db_url, "[/] two")
    r = todo(db_url, "list", "-s", "[/]", "--page-size", "1")
    assert (r.exit_code, r.stderr) == (0, "")
    footer = r.stdout.splitlines()[-1]
    assert footer.startswith("page 1 of 2 · 2 tasks · next: ")
    hint = footer.removeprefix("page 1 of 2 · 2 tasks · next: ")
    assert _shell_words(hint) == [
        "todo",
        "--database-url",
        db_url,
        "list",
        "--search",
        "[/]",
        "--page-size",
        "1",
        "--page",
        "2",
    ]


def test_next_hint_can_be_pasted_into_a_shell(db_url: str) -> None:
    add(db_url, "a;b one")
    add(db_url, "a;b two")
    footer = ok(db_url, "list", "-s", "a;b", "--page-size", "1").stdout.splitlines()[-1]
    hint = footer.removeprefix("page 1 of 2 · 2 tasks · next: ")
    assert _shell_words(hint) == [
        "todo",
        "--database-url",
        db_url,
        "list",
        "--search",
        "a;b",
        "--page-size",
        "1",
        "--page",
        "2",
    ]


def test_next_page_hints_keep_the_database_and_the_user(db_url: str) -> None:
    """`todo --user root list --page-size 2` must not suggest a page of someone else's list."""
    from tests.helpers import add_user

    add_user(db_url, "root@x.io", "root")
    for title in ("a", "b", "c"):
        ok(db_url, "add", title, user="root")
    out = ok(db_url, "list", "--page-size", "2", user="root").stdout.splitlines()[-1]
    assert out.endswith(
        f"next: todo --database-url {db_url} --user root list --page-size 2 --page 2"
    )
    masked = proc_hint("postgresql://u:s3cret@127.0.0.1:1/x")
    assert "s3cret" not in masked and "--database-url 'postgresql://u:***@127.0.0.1:1/x'" in masked


def proc_hint(url: str) -> str:
    """The hint a command given a URL with a password would print (made without a database:
    the options are the same)."""
    import typer
    from typer.main import get_command

    from todo_cli.cli.app import app
    from todo_cli.cli.options import next_page

    command = get_command(app)
    ctx = command.make_context("todo", ["--database-url", url, "list"], obj=None)
    del typer
    return next_page(ctx, ["list"], {}, 1)
