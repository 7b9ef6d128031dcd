"""Recurrence: a template and its instances, the next one on completion, the calendar rules,
the database's guarantee that an instance is made once, and `todo undo`."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.dbutil import query, set_time
from tests.helpers import add, ids, js, local_tz, ok, todo


@pytest.fixture(autouse=True)
def _utc() -> object:
    with local_tz("UTC"):
        yield


def _instances(db_url: str, template: int) -> list[tuple[int, str, bool]]:
    return [
        (int(i), str(due)[:10], bool(done))
        for i, due, done in query(
            db_url,
            "SELECT recur_index, due, completed FROM tasks WHERE parent_id = :t ORDER BY 1",
            t=template,
        )
    ]


def test_a_recurrence_is_a_template_and_its_instances(db_url: str) -> None:
    r = ok(db_url, "add", "water plants", "--due", "2026-12-05T09:00", "--recur", "weekly")
    assert r.stdout == "added task 2: water plants\n  recurs weekly (its template is task 1)\n"
    assert ids(js(db_url, "list")) == [2]  # the template is not listed
    assert ids(js(db_url, "list", "--status", "recurring")) == [1]
    assert js(db_url, "show", "1")["status"] == "recurring"
    done = ok(db_url, "complete", "2").stdout
    assert (
        done == "completed task 2: water plants\nnext: task 3: water plants, due 2026-12-12 09:00\n"
    )
    ok(db_url, "delete", "3")  # deleting an instance brings the next one too
    assert _instances(db_url, 1) == [
        (0, "2026-12-05", True),
        (1, "2026-12-12", False),
        (2, "2026-12-19", False),
    ]
    assert ids(js(db_url, "list")) == [4]


def test_monthly_on_the_31st_lands_on_each_months_last_day(db_url: str) -> None:
    ok(db_url, "add", "rent", "--due", "2027-01-31T12:00", "recur:monthly")
    for task_id in range(2, 6):
        ok(db_url, "complete", str(task_id))
    assert [d for _, d, _ in _instances(db_url, 1)] == [
        "2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"
    ]  # fmt: skip


def test_until_ends_a_recurrence(db_url: str) -> None:
    ok(db_url, "add", "standup", "--due", "2026-12-07T09:00", "--recur", "weekdays",
       "--until", "2026-12-09T23:00")  # fmt: skip
    for _ in range(4):
        pending = ids(js(db_url, "list"))
        if not pending:
            break
        ok(db_url, "complete", str(pending[0]))
    assert [d for _, d, _ in _instances(db_url, 1)] == ["2026-12-07", "2026-12-08", "2026-12-09"]


def test_a_recurrence_needs_a_due_date_and_a_known_period(db_url: str) -> None:
    r = todo(db_url, "add", "x", "--recur", "weekly")
    assert (r.exit_code, r.stderr) == (
        2,
        "error: a recurring task needs a due date: give --due (or due:WHEN)\n",
    )
    r = todo(db_url, "add", "x", "--due", "tomorrow", "--recur", "fortnightly")
    assert r.exit_code == 2 and "bad period 'fortnightly'" in r.stderr


def test_ending_and_changing_a_recurrence(db_url: str) -> None:
    ok(db_url, "add", "gym", "--due", "2026-12-01T18:00", "--recur", "2d")
    ok(db_url, "edit", "2", "--recur", "3d")  # on an instance: its template changes
    assert js(db_url, "show", "1")["recur"] == "3d"
    ok(db_url, "complete", "2")
    assert _instances(db_url, 1)[-1][1] == "2026-12-04"
    ok(db_url, "edit", "3", "--no-recur")
    assert js(db_url, "show", "1")["status"] == "deleted"
    ok(db_url, "complete", "3")
    assert len(_instances(db_url, 1)) == 2  # no next one: the series has ended


@pytest.mark.parametrize("processes", [6])
def test_racing_completions_make_the_next_instance_once(db_url: str, processes: int) -> None:
    """Taskwarrior's best-known sync bug (#1290, #1962) is two copies of one instance."""
    ok(db_url, "add", "pills", "--due", "2026-12-01T08:00", "--recur", "daily")
    cmd = [sys.executable, "-m", "todo_cli", "--database-url", db_url, "complete", "2"]
    runs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(processes)]  # fmt: skip
    outs = [p.communicate(timeout=120) for p in runs]
    assert all(p.returncode == 0 for p in runs), outs
    assert _instances(db_url, 1) == [(0, "2026-12-01", True), (1, "2026-12-02", False)]
    # The unique (parent_id, recur_index) refuses a second copy whoever writes it.
    from tests.dbutil import execute

    with pytest.raises(Exception, match=r"(?i)unique"):
        execute(
            db_url,
            "INSERT INTO tasks (user_id, uuid, title, completed, created_at, updated_at, tags,"
            " parent_id, recur_index) SELECT user_id, 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',"
            " title, completed, created_at, updated_at, tags, parent_id, recur_index"
            " FROM tasks WHERE recur_index = 1",
        )


def test_undo_reverts_each_kind_of_change(db_url: str) -> None:
    a = add(db_url, "a", "+x", "--due", "2026-12-10")
    ok(db_url, "edit", str(a["id"]), "--title", "A", "--untag", "x")
    ok(db_url, "annotate", str(a["id"]), "note")
    ok(db_url, "complete", str(a["id"]))
    ok(db_url, "delete", str(a["id"]))
    before_purge = js(db_url, "show", str(a["id"]))
    ok(db_url, "purge", "--yes")
    assert todo(db_url, "show", str(a["id"])).exit_code == 1
    steps = [
        line.split("  ")[1].strip() for line in ok(db_url, "undo", "--list").stdout.splitlines()[1:]
    ]
    assert steps == ["purge", f"delete {a['id']}", f"complete {a['id']}", f"annotate {a['id']}",
                     f"edit {a['id']}", "add a"]  # fmt: skip
    assert ok(db_url, "undo").stdout == "undid 'purge' (1 task)\n"
    back = js(db_url, "show", str(a["id"]))
    assert back == before_purge  # id, notes and all
    ok(db_url, "undo")  # the delete
    assert js(db_url, "show", str(a["id"]))["deleted_at"] is None
    ok(db_url, "undo")  # the completion
    assert js(db_url, "show", str(a["id"]))["completed"] is False
    ok(db_url, "undo")  # the note
    assert js(db_url, "show", str(a["id"]))["annotations"] == []
    ok(db_url, "undo")  # the edit
    assert (js(db_url, "show", str(a["id"]))["title"], js(db_url, "show", "1")["tags"]) == (
        "a",
        ["x"],
    )
    ok(db_url, "undo")  # the add
    assert todo(db_url, "show", str(a["id"])).exit_code == 1
    r = todo(db_url, "undo")
    assert (r.exit_code, r.stderr) == (1, "error: nothing to undo\n")


def test_undo_of_a_completion_removes_the_instance_it_brought(db_url: str) -> None:
    ok(db_url, "add", "water", "--due", "2026-12-05T09:00", "--recur", "weekly")
    ok(db_url, "complete", "2")
    assert len(_instances(db_url, 1)) == 2
    assert ok(db_url, "undo").stdout == "undid 'complete 2' (2 tasks)\n"
    assert _instances(db_url, 1) == [(0, "2026-12-05", False)]


def test_undo_asks_when_something_else_changed_the_task_since(db_url: str) -> None:
    task = add(db_url, "shared")["id"]
    ok(db_url, "edit", str(task), "--title", "edited")
    # A web app on the same database changes it without the journal knowing.
    from tests.dbutil import execute

    execute(db_url, "UPDATE tasks SET title = 'changed elsewhere' WHERE id = :i", i=task)
    r = todo(db_url, "undo")
    assert r.exit_code == 2
    assert "1 of its tasks changed since" in r.stderr and "pass --yes" in r.stderr
    assert js(db_url, "show", str(task))["title"] == "changed elsewhere"
    ok(db_url, "undo", "--yes")
    assert js(db_url, "show", str(task))["title"] == "shared"


def test_the_journal_names_tasks_by_uuid_with_old_and_new_values(db_url: str) -> None:
    task = add(db_url, "x", "-p", "low")
    ok(db_url, "edit", str(task["id"]), "-p", "high")
    rows = query(
        db_url,
        "SELECT task_uuid, action, before, after, at FROM journal ORDER BY id",
    )
    assert [(r[0], r[1]) for r in rows] == [(task["uuid"], "add"), (task["uuid"], "modify")]
    before, after = (json.loads(v) if isinstance(v, str) else v for v in rows[1][2:4])
    assert (before["priority"], after["priority"]) == (1, 3)
    assert rows[0][2] is None and rows[1][4] is not None
    set_time(db_url, "journal", "at", 1, (datetime.now(UTC) - timedelta(days=1)).isoformat())
