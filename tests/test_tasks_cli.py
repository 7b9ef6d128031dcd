"""Task commands, happy paths: exact text and --json output and the rows they leave behind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.dbutil import rows, set_deleted_at
from tests.helpers import add, ids, js, local_tz, ok, plain, stamp, todo


@pytest.fixture(autouse=True)
def _utc() -> Iterator[None]:
    with local_tz("UTC"):
        yield


def _hm(ts: str) -> str:
    """How `show` prints a timestamp under TZ=UTC."""
    return stamp(ts).strftime("%Y-%m-%d %H:%M")


def test_add_prints_the_new_id_and_stores_the_task(db_url: str) -> None:
    r = todo(db_url, "add", "buy milk")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "added task 1: buy milk\n", "")
    [row] = rows(db_url)
    assert (row["id"], row["title"], row["description"], row["priority"]) == (
        1,
        "buy milk",
        None,
        None,
    )
    assert (row["completed"], row["due"], row["tags"], row["deleted_at"]) == (False, None, [], None)


def test_add_json_has_every_field(db_url: str) -> None:
    before = datetime.now(UTC)
    task = add(
        db_url,
        "  call mum  ",
        *("-d", "about Sunday", "--due", "2026-12-01", "-p", "high"),
        *("-t", "home", "-t", "phone", "-t", "home"),
    )
    after = datetime.now(UTC)
    assert plain(task) == {
        "id": 1,
        "title": "  call mum  ",  # stored exactly as given, never trimmed
        "description": "about Sunday",
        "completed": False,
        "priority": "high",
        "due": "2026-12-01",  # a calendar day
        "tags": ["home", "phone"],
        "created_at": "<ts>",
        "updated_at": "<ts>",
        "deleted_at": None,
    }
    assert before <= stamp(task["created_at"]) <= after
    [row] = rows(db_url)
    assert row["priority"] == 3 and row["tags"] == ["home", "phone"]
    assert row["due"] == datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC)
    assert row["created_at"] == stamp(task["created_at"])


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2026-12-01T09:30", "2026-12-01T09:30:00+00:00"),
        ("2026-12-01T09:30+02:00", "2026-12-01T07:30:00+00:00"),
    ],
)
def test_add_due_times_are_stored_in_utc(db_url: str, when: str, expected: str) -> None:
    assert add(db_url, "x", "--due", when)["due"] == expected


def test_add_due_words_are_relative_to_today(db_url: str) -> None:
    start = datetime.now(UTC).date()
    tomorrow, two_weeks = add(db_url, "x", "--due", "tomorrow"), add(db_url, "y", "--due", "+2w")
    days = {start, datetime.now(UTC).date()}  # in case the test runs across midnight
    assert tomorrow["due"] in {f"{d + timedelta(days=1)}" for d in days}  # calendar days
    assert two_weeks["due"] in {f"{d + timedelta(days=14)}" for d in days}


def test_show_text_and_json(db_url: str) -> None:
    created = add(db_url, "buy milk", "-d", "2 litres", "--due", "2026-12-01", "-p", "low")
    bare = add(db_url, "bare")
    r = ok(db_url, "show", "1")
    assert r.stdout == (
        "          id  1\n"
        f"        uuid  {created['uuid']}\n"
        "       title  buy milk\n"
        " description  2 litres\n"
        "      status  pending\n"
        "    priority  low\n"
        "         due  2026-12-01\n"
        f"     urgency  {created['urgency']:g}\n"
        f"     created  {_hm(created['created_at'])}\n"
        f"     updated  {_hm(created['updated_at'])}\n"
    )
    assert js(db_url, "show", "1") == {**created, "urgency": js(db_url, "show", "1")["urgency"]}
    assert js(db_url, "show", "2") == {**bare, "urgency": js(db_url, "show", "2")["urgency"]}
    # Empty fields are left out.
    assert [ln.split()[0] for ln in ok(db_url, "show", "2").stdout.splitlines()] == [
        "id", "uuid", "title", "status", "urgency", "created", "updated"
    ]  # fmt: skip


def test_show_missing_id_is_exit_1(db_url: str) -> None:
    r = todo(db_url, "show", "7")
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", "error: no task with id 7\n")


def test_edit_changes_only_what_is_given(db_url: str) -> None:
    old = add(db_url, "buy milk", "-d", "2 litres", "--due", "2026-12-01", "-p", "low", "-t", "a")
    r = ok(db_url, "edit", "1", "--title", "buy oat milk")
    assert r.stdout == "updated task 1: buy oat milk\n"
    new = js(db_url, "show", "1")
    assert {**old, "title": "buy oat milk", "updated_at": new["updated_at"]} == new
    assert stamp(new["updated_at"]) > stamp(old["updated_at"])

    prev = new
    new = js(db_url, "edit", "1", "-p", "high", "-d", "3 litres")
    changed = {"priority": "high", "description": "3 litres", "updated_at": new["updated_at"]}
    changed["urgency"] = new["urgency"]
    assert new["urgency"] == pytest.approx(prev["urgency"] + 6.0 - 1.8, abs=0.01)  # high, not low
    assert new == {**prev, **changed}
    assert stamp(new["updated_at"]) > stamp(prev["updated_at"])
    assert js(db_url, "show", "1") == new
    assert rows(db_url)[0]["priority"] == 3


def test_edit_due_and_no_due(db_url: str) -> None:
    add(db_url, "x", "--due", "2026-12-01")
    assert (
        js(db_url, "edit", "1", "--due", "2027-01-02T08:00")["due"] == "2027-01-02T08:00:00+00:00"
    )
    cleared = js(db_url, "edit", "1", "--no-due")
    assert cleared["due"] is None
    assert rows(db_url)[0]["due"] is None
    assert cleared["title"] == "x"


def test_edit_tags_add_and_untag(db_url: str) -> None:
    add(db_url, "x", "-t", "home", "-t", "work")
    assert js(db_url, "edit", "1", "-t", "urgent", "--untag", "home")["tags"] == ["work", "urgent"]
    # Adding a tag the task has, or removing one it lacks, changes nothing else.
    assert js(db_url, "edit", "1", "-t", "work", "--untag", "nope")["tags"] == ["work", "urgent"]
    assert js(db_url, "edit", "1", "--untag", "work", "--untag", "urgent")["tags"] == []
    assert rows(db_url)[0]["tags"] == []


def test_edit_a_trashed_task_says_restore_first(db_url: str) -> None:
    add(db_url, "x")
    ok(db_url, "delete", "1")
    r = todo(db_url, "edit", "1", "--title", "y")
    assert (r.exit_code, r.stderr) == (1, "error: task 1 is in the trash (todo restore 1)\n")
    assert rows(db_url)[0]["title"] == "x"


def test_complete_and_reopen_several_ids(db_url: str) -> None:
    for title in ("a", "b", "c"):
        add(db_url, title)
    r = ok(db_url, "complete", "3", "1")
    assert r.stdout == "completed task 1: a\ncompleted task 3: c\n"
    assert [(t["id"], t["completed"]) for t in rows(db_url)] == [(1, True), (2, False), (3, True)]
    first_done = rows(db_url)[0]["completed_at"]
    assert first_done is not None

    page = js(db_url, "complete", "1", "2")  # completing again keeps the first completion time
    assert (page["total"], page["page"], page["page_size"], ids(page)) == (2, 1, 2, [1, 2])
    assert all(plain(t)["completed"] for t in page["items"])
    assert rows(db_url)[0]["completed_at"] == first_done

    assert ok(db_url, "reopen", "1", "3").stdout == "reopened task 1: a\nreopened task 3: c\n"
    page = js(db_url, "reopen", "2")
    assert (ids(page), page["items"][0]["completed"]) == ([2], False)
    assert [(t["completed"], t["completed_at"]) for t in rows(db_url)] == [(False, None)] * 3


@pytest.mark.parametrize("command", ["complete", "reopen", "delete", "restore"])
def test_one_missing_id_changes_nothing(db_url: str, command: str) -> None:
    add(db_url, "a")
    add(db_url, "b")
    if command == "reopen":
        ok(db_url, "complete", "1", "2")
    if command == "restore":
        ok(db_url, "delete", "1", "2")
    before = rows(db_url)
    r = todo(db_url, command, "1", "99", "2")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == "error: no task with id 99; nothing was changed\n"
    assert rows(db_url) == before


def test_delete_trash_restore_cycle(db_url: str) -> None:
    for title in ("a", "b", "c"):
        add(db_url, title)
    r = ok(db_url, "delete", "3", "1")
    assert r.stdout == "deleted task 1: a (todo restore 1)\ndeleted task 3: c (todo restore 3)\n"
    assert ids(js(db_url, "list", "--status", "all")) == [2]
    trash = js(db_url, "trash")
    assert (ids(trash), trash["total"], trash["page"], trash["page_size"]) == ([3, 1], 2, 1, 20)
    deleted = trash["items"][1]["deleted_at"]
    assert all(plain(t)["deleted_at"] == "<ts>" for t in trash["items"])
    assert ok(db_url, "trash").stdout == (
        "ID  Title  Pri  Due  Tags  Status \n"
        " 3  c                      deleted\n"
        " 1  a                      deleted\n"
        "page 1 of 1 · 2 tasks\n"
    )
    assert js(db_url, "show", "1")["deleted_at"] == trash["items"][1]["deleted_at"]
    assert ok(db_url, "show", "1").stdout.splitlines()[3:4] == ["      status  deleted"]
    assert ok(db_url, "show", "1").stdout.splitlines()[-1] == f"     deleted  {_hm(deleted)}"

    again = todo(db_url, "delete", "1")
    assert (again.exit_code, again.stderr) == (
        1,
        "error: task 1 is in the trash (todo restore 1); nothing was changed\n",
    )
    assert ok(db_url, "restore", "1", "3").stdout == "restored task 1: a\nrestored task 3: c\n"
    assert ids(js(db_url, "list")) == [3, 2, 1]
    assert [t["deleted_at"] for t in rows(db_url)] == [None] * 3
    assert ok(db_url, "trash").stdout == "the trash is empty\n"


def test_delete_moves_updated_at(db_url: str) -> None:
    old = add(db_url, "a")
    ok(db_url, "delete", "1")
    row = rows(db_url)[0]
    assert row["deleted_at"] == row["updated_at"] > stamp(old["updated_at"])


def test_delete_hard_with_yes(db_url: str) -> None:
    for title in ("a", "b", "c"):
        add(db_url, title)
    ok(db_url, "delete", "2")  # one in the trash, one live: both go
    r = ok(db_url, "delete", "1", "2", "--hard", "--yes")
    assert r.stdout == "permanently deleted 2 tasks\n"
    assert [t["id"] for t in rows(db_url)] == [3]
    assert ok(db_url, "delete", "3", "--hard", "-y").stdout == "permanently deleted 1 task\n"
    assert rows(db_url) == []


def test_delete_hard_without_yes_and_no_terminal_refuses(db_url: str) -> None:
    add(db_url, "a")
    add(db_url, "b")
    before = rows(db_url)
    r = todo(db_url, "delete", "1", "2", "--hard")
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == (
        "error: Permanently delete 2 tasks (1 a, 2 b): refusing without a terminal; pass --yes\n"
    )
    assert rows(db_url) == before


def test_delete_hard_with_a_missing_id_deletes_nothing(db_url: str) -> None:
    add(db_url, "a")
    ok(db_url, "delete", "1")
    add(db_url, "b")
    before = rows(db_url)
    r = todo(db_url, "delete", "1", "99", "2", "--hard", "--yes")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == "error: no task with id 99; nothing was changed\n"
    assert rows(db_url) == before


def test_purge_older_than(db_url: str) -> None:
    for title in ("old", "recent", "today", "live"):
        add(db_url, title)
    ok(db_url, "delete", "1", "2", "3")
    set_deleted_at(db_url, 1, days_ago=40)
    set_deleted_at(db_url, 2, days_ago=10)
    assert ok(db_url, "purge", "--older-than", "30", "--yes").stdout == "purged 1 task\n"
    assert [t["id"] for t in rows(db_url)] == [2, 3, 4]
    assert ok(db_url, "purge", "--older-than", "30").stdout == "nothing to purge\n"
    assert ok(db_url, "purge", "--older-than", "5", "--yes").stdout == "purged 1 task\n"
    assert ok(db_url, "purge", "--yes").stdout == "purged 1 task\n"
    assert [(t["id"], t["deleted_at"]) for t in rows(db_url)] == [(4, None)]
    assert ok(db_url, "purge", "--yes").stdout == "purged 0 tasks\n"
    assert ok(db_url, "purge").stdout == "nothing to purge\n"


def test_purge_without_yes_and_no_terminal_refuses(db_url: str) -> None:
    for title in ("a", "b", "c"):
        add(db_url, title)
    ok(db_url, "delete", "1", "2")
    before = rows(db_url)
    r = todo(db_url, "purge")
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == (
        "error: Permanently delete 2 tasks from the trash (1 a, 2 b): refusing without a "
        "terminal; pass --yes\n"
    )
    assert rows(db_url) == before
