"""`todo chat new|list|show|say|rename|delete`: outputs, JSON shapes, paging and the counters."""

from __future__ import annotations

import json
import shlex

import pytest

from tests.dbutil import conv_row, counts, query, set_time
from tests.helpers import (
    CONV_KEYS,
    LOCAL_ID,
    MSG_KEYS,
    cli,
    is_ts,
    json_of,
    new_conv,
    norm,
    ok_run,
    proc,
    say,
    todo,
)
from todo_cli.when import HELP


def test_new_text_and_json(db_url: str) -> None:
    assert ok_run(todo(db_url, "chat", "new", "trip")).stdout == "started conversation 1: trip\n"
    assert ok_run(todo(db_url, "chat", "new")).stdout == "started conversation 2: (untitled)\n"
    data = json_of(todo(db_url, "chat", "new", 'Ünïcode "q" 🎉', "--json"))
    assert list(data) == CONV_KEYS
    assert (data["id"], data["title"], data["message_count"]) == (3, 'Ünïcode "q" 🎉', 0)
    assert is_ts(data["created_at"]) and is_ts(data["updated_at"])
    assert query(db_url, "SELECT id, user_id, title FROM conversations ORDER BY id") == [
        (1, LOCAL_ID, "trip"),
        (2, LOCAL_ID, None),
        (3, LOCAL_ID, 'Ünïcode "q" 🎉'),
    ]


def test_say_adds_a_message_and_moves_the_conversation_in_step(db_url: str) -> None:
    conv = new_conv(db_url, "trip")
    first = say(db_url, conv, "hello world")
    assert list(first) == MSG_KEYS
    assert (first["conversation_id"], first["role"], first["content"]) == (
        conv,
        "user",
        "hello world",
    )
    second = say(db_url, conv, "hi, how can I help?", role="assistant")
    r = ok_run(todo(db_url, "chat", "say", str(conv), "be brief", "--role", "system"))
    assert r.stdout == f"added message {second['id'] + 1} to conversation {conv}\n"
    shown = json_of(todo(db_url, "chat", "show", str(conv), "--json"))
    assert shown["message_count"] == 3
    assert shown["updated_at"] == shown["messages"][-1]["created_at"]
    assert [m["role"] for m in shown["messages"]] == ["user", "assistant", "system"]
    row = conv_row(db_url, conv)
    assert row is not None and row[3] == 3
    last = query(db_url, "SELECT max(created_at) FROM messages WHERE conversation_id = :c", c=conv)
    assert str(row[5]) == str(last[0][0])


def test_say_dash_reads_stdin_exactly(db_url: str) -> None:
    conv = new_conv(db_url)
    r = todo(db_url, "chat", "say", str(conv), "-", "--role", "assistant", "--json",
             input="multi\nline ünï 🎉\n")  # fmt: skip
    assert json_of(r)["content"] == "multi\nline ünï 🎉\n"
    assert query(db_url, "SELECT role, content FROM messages") == [
        ("assistant", "multi\nline ünï 🎉\n")
    ]


@pytest.mark.parametrize(
    ("args", "stdin", "code", "error"),
    [
        (["hi", "--role", "robot"], None, 2,
         "Invalid value for '--role': Value error, 'robot' is not one of 'user', 'assistant', "
         "'system', 'developer', 'tool'. (see: todo chat say --help)"),
        ([""], None, 2, "message must not be empty"),
        (["  \t\n "], None, 2, "message must not be empty"),
        (["-"], "   \n", 2, "message must not be empty"),
        (["-"], "", 2, "message must not be empty"),
        (["-"], "a\x00b", 2, "message contains a NUL character, which cannot be stored"),
    ],
)  # fmt: skip
def test_say_bad_input_writes_nothing(
    db_url: str, args: list[str], stdin: str | None, code: int, error: str
) -> None:
    conv = new_conv(db_url, "c")
    before, row = counts(db_url), conv_row(db_url, conv)
    r = todo(db_url, "chat", "say", str(conv), *args, input=stdin)
    assert (r.exit_code, r.stdout, r.stderr) == (code, "", f"error: {error}\n")
    assert (counts(db_url), conv_row(db_url, conv)) == (before, row)


def test_say_to_a_missing_conversation_is_exit_1(db_url: str) -> None:
    new_conv(db_url, "c")
    before = counts(db_url)
    for args in (["say", "99", "hi"], ["say", "99", "-"]):
        r = todo(db_url, "chat", *args, input="from stdin")
        assert (r.exit_code, r.stdout, r.stderr) == (1, "", "error: no conversation with id 99\n")
    r = todo(db_url, "chat", "say", "abc", "hi")
    assert r.exit_code == 2 and r.stderr.startswith("error: conversation ID must be a number")
    assert counts(db_url) == before


def _three(db_url: str) -> list[int]:
    """Three conversations; the oldest gets the latest message, so activity order is 1, 3, 2."""
    ids = [new_conv(db_url, t) for t in ("first", "second", "third")]
    say(db_url, ids[0], "x" * 100)
    return ids


def test_list_by_last_activity_with_preview_and_paging(db_url: str) -> None:
    a, b, c = _three(db_url)
    data = json_of(todo(db_url, "chat", "list", "--json"))
    assert list(data) == ["items", "total", "page", "page_size"]
    assert [list(i) for i in data["items"]] == [[*CONV_KEYS, "preview"]] * 3
    assert [(i["id"], i["message_count"], i["preview"]) for i in data["items"]] == [
        (a, 1, "x" * 80),
        (c, 0, ""),
        (b, 0, ""),
    ]
    assert (data["total"], data["page"], data["page_size"]) == (3, 1, 20)
    page2 = json_of(todo(db_url, "chat", "list", "--page", "2", "--page-size", "2", "--json"))
    assert ([i["id"] for i in page2["items"]], page2["total"], page2["page"]) == ([b], 3, 2)
    past = json_of(todo(db_url, "chat", "list", "--page", "3", "--page-size", "2", "--json"))
    assert (past["items"], past["total"]) == ([], 3)
    assert (
        ok_run(todo(db_url, "chat", "list", "--page", "3")).stdout == "no conversations on page 3\n"
    )


def test_list_text(db_url: str) -> None:
    assert ok_run(todo(db_url, "chat", "list")).stdout == "no conversations\n"
    a, b, c = _three(db_url)
    say(db_url, b, "  spaced\n  out  ")
    assert norm(ok_run(todo(db_url, "chat", "list")).stdout) == (
        "ID  Title   Msgs  Last activity     Last message                    \n"
        f" {b}  second     1  YYYY-MM-DD HH:MM  spaced out                      \n"
        f" {a}  first      1  YYYY-MM-DD HH:MM  xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…\n"
        f" {c}  third      0  YYYY-MM-DD HH:MM                                  \n"
        "page 1 of 1 · 3 conversations\n"
    )


def test_next_page_hints_lead_to_the_next_page(db_url: str) -> None:
    conv = _three(db_url)[0]
    for text in ("x one", "x two", "x three"):
        say(db_url, conv, text)
    for args in (["list"], ["show", str(conv)], ["search", "x"]):
        out = ok_run(todo(db_url, "chat", *args, "--page-size", "2")).stdout
        footer = out.splitlines()[-1]
        assert footer.startswith("page 1 of 2 · "), out
        assert f" · next: todo --database-url {db_url} chat " in footer, out
        hint = shlex.split(footer.split(" · next: ", 1)[1])
        following = ok_run(cli(*hint[1:])).stdout.splitlines()[-1]
        assert following.startswith("page 2 of 2 · "), (hint, following)


def test_list_since_filters_by_last_activity(db_url: str) -> None:
    a, b, c = _three(db_url)
    for conv, day in ((a, "2020-01-01"), (b, "2020-01-02"), (c, "2020-01-03")):
        set_time(db_url, "conversations", "updated_at", conv, f"{day}T12:00:00+00:00")
    r = json_of(todo(db_url, "chat", "list", "--since", "2020-01-02T12:00:00+00:00", "--json"))
    assert ([i["id"] for i in r["items"]], r["total"]) == ([c, b], 2)
    assert json_of(todo(db_url, "chat", "list", "--since", "-1d", "--json"))["total"] == 0
    r = todo(db_url, "chat", "list", "--since", "someday")
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == f"error: bad date 'someday': expected {HELP}\n"


def test_show_oldest_first_with_paging_and_since(db_url: str) -> None:
    conv = new_conv(db_url, "talk")
    msgs = [say(db_url, conv, f"message {n}") for n in range(5)]
    data = json_of(todo(db_url, "chat", "show", str(conv), "--json"))
    assert list(data) == [*CONV_KEYS, "messages", "total", "page", "page_size"]
    assert data["messages"] == msgs
    assert (data["message_count"], data["total"], data["page"], data["page_size"]) == (5, 5, 1, 50)
    page = json_of(
        todo(db_url, "chat", "show", str(conv), "--page", "2", "--page-size", "2", "--json")
    )
    assert [m["content"] for m in page["messages"]] == ["message 2", "message 3"]
    for n in range(5):
        set_time(
            db_url, "messages", "created_at", msgs[n]["id"], f"2020-01-0{n + 1}T00:00:00+00:00"
        )
    since = json_of(todo(db_url, "chat", "show", str(conv), "--since", "2020-01-04T00:00:00+00:00",
                    "--json"))  # fmt: skip
    assert ([m["content"] for m in since["messages"]], since["total"]) == (
        ["message 3", "message 4"],
        2,
    )


def test_show_text(db_url: str) -> None:
    conv = new_conv(db_url, "talk")
    say(db_url, conv, "hello")
    say(db_url, conv, "line one\nline two\x1b[31m", role="assistant")
    say(db_url, conv, "third", role="system")
    assert norm(ok_run(todo(db_url, "chat", "show", str(conv))).stdout) == (
        f"talk #{conv}\n\nuser  YYYY-MM-DD HH:MM\nhello\n\n"
        "assistant  YYYY-MM-DD HH:MM\nline one\nline two\\x1b[31m\n\n"
        "system  YYYY-MM-DD HH:MM\nthird\n\n"
        "page 1 of 1 · 3 messages\n"
    )
    assert ok_run(todo(db_url, "chat", "show", str(conv), "--page", "9")).stdout == (
        f"talk #{conv}\nno messages\n"
    )


@pytest.mark.parametrize("cmd", ["show", "rename", "delete", "export"])
def test_missing_conversation_is_exit_1(db_url: str, cmd: str) -> None:
    conv = new_conv(db_url, "kept")
    extra = {"rename": ["new"], "delete": ["--yes"]}.get(cmd, [])
    r = todo(db_url, "chat", cmd, str(conv + 1), *extra)
    assert (r.exit_code, r.stdout, r.stderr) == (
        1,
        "",
        f"error: no conversation with id {conv + 1}\n",
    )
    assert query(db_url, "SELECT id, title FROM conversations") == [(conv, "kept")]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["list", "--page", "0"], "page must be 1 or more (got 0)"),
        (["list", "--page-size", "0"], "page size must be between 1 and 500 (got 0)"),
        (["show", "1", "--page-size", "501"], "page size must be between 1 and 500 (got 501)"),
        (["search", "hi", "--page", "-1"], "page must be 1 or more (got -1)"),
    ],
)
def test_bad_paging_is_exit_2(db_url: str, args: list[str], error: str) -> None:
    new_conv(db_url)
    r = todo(db_url, "chat", *args)
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", f"error: {error}\n")


def test_rename(db_url: str) -> None:
    conv = new_conv(db_url, "old")
    r = ok_run(todo(db_url, "chat", "rename", str(conv), "Lisbon trip"))
    assert r.stdout == f"renamed conversation {conv}: Lisbon trip\n"
    for bad, error in (("", "title must not be empty"), ("   ", "title must not be empty"),
                       ("t" * 201, "title must be at most 200 characters (got 201)")):  # fmt: skip
        r = todo(db_url, "chat", "rename", str(conv), bad)
        assert (r.exit_code, r.stdout, r.stderr) == (2, "", f"error: {error}\n")
    assert query(db_url, "SELECT title FROM conversations") == [("Lisbon trip",)]


def test_delete_asks_unless_yes_and_takes_the_messages(db_url: str) -> None:
    keep, gone = new_conv(db_url, "keep"), new_conv(db_url, "gone")
    say(db_url, keep, "stays")
    say(db_url, gone, "one")
    say(db_url, gone, "two")
    before = counts(db_url)
    r = todo(db_url, "chat", "delete", str(gone))
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == (
        f"error: Delete conversation {gone} (gone) and its 2 messages: "
        "refusing without a terminal; pass --yes\n"
    )
    assert counts(db_url) == before
    r = ok_run(todo(db_url, "chat", "delete", str(gone), "--yes"))
    assert r.stdout == f"deleted conversation {gone} and 2 messages\n"
    assert query(db_url, "SELECT conversation_id, content FROM messages") == [(keep, "stays")]
    assert query(db_url, "SELECT id FROM conversations") == [(keep,)]


def test_every_chat_command_as_a_real_process(db_url: str) -> None:
    def run(*args: str, input: str | None = None) -> str:
        r = proc("--database-url", db_url, "chat", *args, input=input)
        assert (r.exit_code, r.stderr) == (0, ""), r
        return r.stdout

    assert run("new", "real") == "started conversation 1: real\n"
    assert (
        json.loads(run("say", "1", "-", "--json", input="piped input"))["content"] == "piped input"
    )
    assert json.loads(run("list", "--json"))["items"][0]["preview"] == "piped input"
    assert json.loads(run("show", "1", "--json"))["messages"][0]["content"] == "piped input"
    found = json.loads(run("search", "piped", "--json"))["items"]
    assert [(m["content"], m["snippet"]) for m in found] == [("piped input", "**piped** input")]
    assert run("rename", "1", "renamed") == "renamed conversation 1: renamed\n"
    assert json.loads(run("export", "1"))["title"] == "renamed"
    imported = run("import", "-", input='[{"role": "user", "content": "again"}]')
    assert imported == "imported conversation 2 with 1 message\n"
    assert run("delete", "1", "--yes") == "deleted conversation 1 and 1 message\n"
    r = proc("--database-url", db_url, "chat", "say", "1", "hi")
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", "error: no conversation with id 1\n")
