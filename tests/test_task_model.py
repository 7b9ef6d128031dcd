"""The task model: projects, annotations, wait/scheduled/until/start, dependencies, urgency,
and changes of many tasks at once, on both backends, through the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.dbutil import query, set_time
from tests.helpers import add, ids, js, local_tz, ok, todo


@pytest.fixture(autouse=True)
def _utc() -> object:
    with local_tz("UTC"):
        yield


def test_projects_nest_with_dots(db_url: str) -> None:
    home = add(db_url, "mow", "project:Home.Garden")["id"]
    top = add(db_url, "sweep", "--project", "Home")["id"]
    add(db_url, "essay", "project:Homework")
    add(db_url, "no project")
    assert ids(js(db_url, "list", "--project", "Home")) == [top, home]
    assert ids(js(db_url, "list", "--project", "Home.Garden")) == [home]
    assert js(db_url, "show", str(home))["project"] == "Home.Garden"
    ok(db_url, "edit", str(home), "--no-project")
    assert js(db_url, "show", str(home))["project"] is None
    # A project name with LIKE's wildcards means itself.
    pct = add(db_url, "odd", "project:50%_off")["id"]
    assert ids(js(db_url, "list", "--project", "50%_off")) == [pct]
    assert ids(js(db_url, "list", "--project", "50")) == []


def test_annotations_are_notes_with_times(db_url: str) -> None:
    task = add(db_url, "call the bank")["id"]
    assert ok(db_url, "annotate", str(task), "line one\nline two").stdout == (
        f"annotated task {task}: call the bank\n"
    )
    ok(db_url, "annotate", str(task), "second note")
    shown = js(db_url, "show", str(task))
    assert [a["description"] for a in shown["annotations"]] == ["line one\nline two", "second note"]
    assert all(a["entry"].endswith("+00:00") for a in shown["annotations"])
    assert shown["description"] is None  # not folded into it
    text = ok(db_url, "show", str(task)).stdout
    assert "line one\n" in text and "line two\n" in text  # line breaks shown as such
    assert "call the bank [2]" in ok(db_url, "list").stdout
    ok(db_url, "denotate", str(task), "second")
    assert [a["description"] for a in js(db_url, "show", str(task))["annotations"]] == [
        "line one\nline two"
    ]
    r = todo(db_url, "denotate", str(task), "nothing like it")
    assert (r.exit_code, r.stderr) == (
        1,
        f"error: task {task} has no annotation 'nothing like it'\n",
    )


def test_waiting_tasks_are_hidden_until_their_day(db_url: str) -> None:
    later = add(db_url, "renew passport", "wait:+3d")
    now = add(db_url, "pack")
    assert later["status"] == "waiting"
    assert ids(js(db_url, "list")) == [now["id"]]
    assert ids(js(db_url, "list", "--status", "waiting")) == [later["id"]]
    set_time(
        db_url, "tasks", "wait", later["id"], (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    )
    assert set(ids(js(db_url, "list"))) == {later["id"], now["id"]}


def test_until_expires_a_task(db_url: str) -> None:
    gone = add(db_url, "sale ends", "until:+1d")["id"]
    set_time(db_url, "tasks", "until", gone, (datetime.now(UTC) - timedelta(minutes=1)).isoformat())
    assert ids(js(db_url, "list")) == []
    assert js(db_url, "show", str(gone))["status"] == "deleted"


def test_start_and_stop_mark_active_tasks(db_url: str) -> None:
    task = add(db_url, "write report")["id"]
    assert ok(db_url, "start", str(task)).stdout == f"started task {task}: write report\n"
    assert ok(db_url, "start", str(task)).stdout == (
        f"task {task} was already started: write report\n"
    )
    assert "pending, active" in ok(db_url, "list").stdout
    assert js(db_url, "show", str(task))["start"] is not None
    ok(db_url, "stop", str(task))
    assert js(db_url, "show", str(task))["start"] is None


def test_dependencies_block_until_done(db_url: str) -> None:
    first = add(db_url, "buy paint")
    second = add(db_url, "paint the fence", "--depends", str(first["id"]))
    assert second["depends"] == [first["uuid"]]
    assert ids(js(db_url, "list", "--blocked")) == [second["id"]]
    assert ids(js(db_url, "list", "--unblocked")) == [first["id"]]
    assert "blocked" in ok(db_url, "list").stdout
    # Blocking counts for the blocker's urgency, blocked against the other's.
    assert js(db_url, "show", str(first["id"]))["urgency"] == pytest.approx(8.0, abs=0.01)
    assert js(db_url, "show", str(second["id"]))["urgency"] == pytest.approx(-5.0, abs=0.01)
    ok(db_url, "complete", str(first["id"]))
    assert ids(js(db_url, "list", "--blocked")) == []
    assert js(db_url, "show", str(second["id"]))["urgency"] == pytest.approx(0.0, abs=0.01)


def test_a_dependency_cycle_is_refused(db_url: str) -> None:
    a = add(db_url, "a")["id"]
    b = add(db_url, "b", "--depends", str(a))["id"]
    c = add(db_url, "c", "--depends", str(b))["id"]
    r = todo(db_url, "edit", str(a), "--depends", str(c))
    assert r.exit_code == 2
    assert r.stderr == f"error: task {a} cannot depend on that task: it depends on task {a}\n"
    assert todo(db_url, "edit", str(a), "--depends", str(a)).exit_code == 2
    assert js(db_url, "show", str(a))["depends"] == []
    r = todo(db_url, "add", "d", "--depends", "999")
    assert (r.exit_code, r.stderr) == (1, "error: no task with id 999; nothing was changed\n")


def test_urgency_sort_is_the_order_of_the_scores(db_url: str) -> None:
    now = datetime.now(UTC)
    specs = [
        ("plain", []),
        ("high", ["pri:H"]),
        ("next", ["+next"]),
        ("overdue", ["--due", (now - timedelta(days=10)).isoformat()]),
        ("soon", ["--due", (now + timedelta(days=2)).isoformat()]),
        ("far", ["--due", (now + timedelta(days=90)).isoformat(), "pri:L"]),
        ("tagged", ["+a", "+b", "+c", "project:X"]),
    ]
    made = {title: add(db_url, title, *args)["id"] for title, args in specs}
    # Ages from a day to two years.
    for i, task_id in enumerate(made.values()):
        set_time(
            db_url, "tasks", "created_at", task_id, (now - timedelta(days=1 + 120 * i)).isoformat()
        )
    scores = {t["id"]: t["urgency"] for t in js(db_url, "list", "--page-size", "100")["items"]}
    ranked = js(db_url, "list", "--sort", "urgency", "--page-size", "100")
    assert ids(ranked) == sorted(scores, key=lambda i: (scores[i], i), reverse=True)
    assert ids(js(db_url, "list", "--sort", "urgency", "--asc")) == list(reversed(ids(ranked)))
    page2 = js(db_url, "list", "--sort", "urgency", "--page-size", "3", "--page", "2")
    assert ids(page2) == ids(ranked)[3:6] and page2["total"] == len(specs)


def test_filters_choose_tasks_and_ask_when_more_than_one(db_url: str) -> None:
    eggs = add(db_url, "eggs", "+shop")["id"]
    milk = add(db_url, "milk", "+shop")["id"]
    add(db_url, "taxes")
    r = todo(db_url, "complete", "--tag", "shop")  # two match, no terminal: asks, refuses
    assert r.exit_code == 2
    assert r.stderr.startswith(f"error: Complete 2 tasks ({eggs} eggs, {milk} milk): refusing")
    assert ids(js(db_url, "list", "--tag", "shop")) == [milk, eggs]
    done = ok(db_url, "done", "--tag", "shop", "--yes").stdout
    assert done == f"completed task {eggs}: eggs\ncompleted task {milk}: milk\n"
    one = ok(db_url, "rm", "--search", "tax").stdout  # one match: no question
    assert one.startswith("deleted task 3: taxes")
    assert (
        ok(db_url, "complete", "--tag", "nothing").stdout == "no tasks match; nothing was changed\n"
    )
    r = todo(db_url, "complete", "1", "--tag", "shop")
    assert (r.exit_code, r.stderr) == (2, "error: give task ids or filter options, not both\n")


def test_edit_several_tasks_at_once(db_url: str) -> None:
    a, b = add(db_url, "a", "+home")["id"], add(db_url, "b", "+home")["id"]
    out = ok(db_url, "modify", str(a), str(b), "+urgent", "--untag", "home", "due:tomorrow").stdout
    assert out == f"updated task {a}: a\nupdated task {b}: b\n"
    for task_id in (a, b):
        shown = js(db_url, "show", str(task_id))
        assert shown["tags"] == ["urgent"] and shown["due"] is not None
    assert js(db_url, "edit", str(a), "new", "title")["title"] == "new title"


def test_inline_attributes_and_literal_words(db_url: str) -> None:
    task = add(db_url, "buy", "eggs", "due:tomorrow", "+shop", "pri:H", "project:Home")
    assert (task["title"], task["tags"], task["priority"], task["project"]) == (
        "buy eggs", ["shop"], "high", "Home"
    )  # fmt: skip
    words = ["read", "http://x.org/a:b", "ratio", "a:b", "--", "due:never", "+1"]
    odd = json.loads(ok(db_url, "add", "--json", *words).stdout)  # --json before the --
    assert odd["title"] == "read http://x.org/a:b ratio a:b due:never +1"
    assert (odd["due"], odd["tags"]) == (None, [])
    r = todo(db_url, "add", "x", "due:tomorrow", "--due", "today")
    assert (r.exit_code, r.stderr) == (
        2,
        "error: give the due once: as due: or as --due, not both\n",
    )


def test_priority_none_clears_it(db_url: str) -> None:
    task = add(db_url, "x", "-p", "high")["id"]
    assert js(db_url, "edit", str(task), "-p", "none")["priority"] is None
    ok(db_url, "edit", str(task), "pri:M")
    assert js(db_url, "edit", str(task), "--no-priority")["priority"] is None


def test_the_json_shape_has_every_field(db_url: str) -> None:
    task = add(db_url, "x", "project:P", "+t", "--wait", "+1d", "--scheduled", "+2d")
    assert list(task) == [
        "id", "uuid", "title", "description", "completed", "status", "priority", "due", "tags",
        "project", "annotations", "wait", "scheduled", "until", "recur", "depends", "start",
        "urgency", "created_at", "updated_at", "completed_at", "deleted_at", "extra",
    ]  # fmt: skip
    assert (task["status"], task["extra"], task["annotations"]) == ("waiting", {}, [])
    assert query(db_url, "SELECT uuid FROM tasks") == [(task["uuid"],)]


def test_new_uuids_are_version_4_in_canonical_form() -> None:
    """`new_uuid` writes the uuid out itself (for speed): each one must be what `uuid` makes."""
    import uuid

    from todo_cli.table_parts import new_uuid

    made = [new_uuid() for _ in range(5000)]
    assert len(set(made)) == len(made)
    for text in made:
        u = uuid.UUID(text)
        assert (u.version, u.variant, str(u)) == (4, uuid.RFC_4122, text)
    assert {t[19] for t in made} == set("89ab")  # every variant digit occurs
