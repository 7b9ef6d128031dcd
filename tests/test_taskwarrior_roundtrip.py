"""Taskwarrior -> todo -> Taskwarrior, against the real `task` binary, on both backends.

The data is what a real Taskwarrior made: the committed fixture (tests/fixtures/taskwarrior,
made by make_fixture.py with the binary) and tasks made here through the harness. After
`todo import` and `todo export --format taskwarrior`, a fresh Taskwarrior at the same "now"
must give back the same tasks field for field (`tests/taskwarrior.py`'s oracle: only `id` and
`urgency` may differ).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.helpers import cli, proc
from tests.taskwarrior import (
    FIXTURE_DIR,
    FIXTURE_NOW,
    SURROGATE_ESCAPE,
    Taskwarrior,
    load_fixture,
    same_tasks,
)

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def todo(db_url: str, *args: str, input: str | None = None) -> str:
    r = cli("--database-url", db_url, *args, input=input)
    assert (r.exit_code, r.stderr) == (0, ""), (args, r.exit_code, r.stderr)
    return r.stdout


def tw_export(db_url: str) -> list[dict[str, Any]]:
    out = todo(db_url, "export", "--format", "taskwarrior")
    assert not SURROGATE_ESCAPE.search(out)  # raw UTF-8, which task import reads right
    records: list[dict[str, Any]] = json.loads(out)
    return records


def back_through_taskwarrior(root: Path, records: list[dict[str, Any]], now: datetime) -> Any:
    """Records imported into a fresh Taskwarrior at `now`, exported again."""
    tw = Taskwarrior(root, now=now)
    tw.import_json(records)
    return tw.export()


def test_the_fixture_comes_back_field_for_field(db_url: str, tmp_path: Path) -> None:
    fixture = load_fixture()
    out = todo(db_url, "import", str(FIXTURE_DIR / "export.json"))
    assert out == f"imported {len(fixture)} tasks\n"
    ours = tw_export(db_url)
    same_tasks(fixture, ours)
    same_tasks(fixture, back_through_taskwarrior(tmp_path / "tw", ours, FIXTURE_NOW))
    # Importing it again changes nothing, and the export is still the same.
    assert todo(db_url, "import", str(FIXTURE_DIR / "export.json")) == (
        f"imported 0 tasks, {len(fixture):,} unchanged\n"
    )
    same_tasks(fixture, tw_export(db_url))


def test_the_fixture_in_todo(db_url: str) -> None:
    """What a Taskwarrior user sees after the move: the fields are todo's own, not text."""
    fixture = load_fixture()
    todo(db_url, "import", "-", input=(FIXTURE_DIR / "export.json").read_text(encoding="utf-8"))
    tasks = {t["uuid"]: t for t in json.loads(todo(db_url, "export"))}
    for r in fixture:
        if r["status"] == "deleted":
            assert r["uuid"] not in tasks  # in the trash
            continue
        t = tasks[r["uuid"]]
        assert t["title"] == r["description"]
        assert t["project"] == r.get("project")
        assert sorted(t["tags"]) == sorted(r.get("tags", []))
        assert sorted(t["depends"]) == sorted(r.get("depends", []))
        assert [a["description"] for a in t["annotations"]] == [
            a["description"] for a in r.get("annotations", [])
        ]
        want = {"pending": "pending", "completed": "completed", "recurring": "recurring"}
        if r["status"] == "pending" and r.get("wait", "") > "20261125T103000Z":
            assert t["wait"] is not None  # waiting (the status depends on today's date)
        else:
            assert t["status"] in (want[r["status"]], "waiting", "deleted")
        udas = {k: v for k, v in r.items() if k in ("estimate", "points", "url", "legacy")}
        assert {k: t["extra"][k] for k in udas} == udas
    templates = [t for t in tasks.values() if t["status"] == "recurring"]
    assert templates and all(t["recur"] for t in templates)


def make_data(tw: Taskwarrior) -> None:
    """Tasks made with the real binary, one of each kind the round trip must keep."""
    home = tw.add(
        "Water the plants 🌱", "project:Home.Garden", "+home", "priority:H",
        "due:2026-11-20T18:00:00", "estimate:2", "url:https://example.com/a/b",
    )  # fmt: skip
    note = "use the rain barrel\nnot the tap"
    tw.do(home, "annotate", "--", note, now=T0 + timedelta(hours=1))
    tw.do(home, "annotate", "--", "Müller says twice a week", now=T0 + timedelta(hours=2))
    blocker = tw.add("Buy a hose", "scheduled:2026-11-03", "until:2027-01-01", "points:3")
    tw.do(home, "modify", f"depends:{blocker}")
    tw.add("Later", "wait:2026-12-24", "reviewed:2026-10-01T10:30:00", "spent:2h")
    started = tw.add("Started")
    tw.do(started, "start", now=T0 + timedelta(hours=3))
    done = tw.add("Done already", "+x")
    tw.do(done, "done", now=T0 + timedelta(hours=4))
    gone = tw.add("Cancelled")
    tw.do(gone, "delete", now=T0 + timedelta(hours=5))
    tw.add("Rent", "recur:monthly", "due:2026-08-31T09:00:00", "project:Home.Finance")
    tw.add("Standup", "recur:weekdays", "due:2026-11-02T09:30:00", "+work")
    tw.add("Review", "recur:2w", "due:2026-10-05T10:00:00", "wait:due-1d")
    tw.run("rc.uda.legacy.type=string", started, "modify", "legacy:kept")
    tw.export(now=T0 + timedelta(days=3))  # generates the instances that are due
    kids = [r for r in tw.export(now=T0 + timedelta(days=3)) if "parent" in r]
    tw.do(kids[0]["uuid"], "done", now=T0 + timedelta(days=3, hours=1))
    tw.do(kids[1]["uuid"], "delete", now=T0 + timedelta(days=3, hours=2))


def test_data_made_by_taskwarrior_comes_back(db_url: str, tmp_path: Path) -> None:
    now = T0 + timedelta(days=4)
    source = Taskwarrior(tmp_path / "source", now=T0)
    make_data(source)
    before = source.export(now=now)
    assert {r["status"] for r in before} == {"pending", "completed", "deleted", "recurring"}
    path = tmp_path / "export.json"
    path.write_text(source.run("export", now=now).stdout, encoding="utf-8")
    r = proc("--database-url", db_url, "import", str(path))
    assert (r.exit_code, r.stderr) == (0, ""), r.stderr
    ours = tw_export(db_url)
    same_tasks(before, ours)
    after = back_through_taskwarrior(tmp_path / "dest", ours, now)
    same_tasks(before, after)
    # The instances are linked to their templates: nothing new is generated, and a later
    # "now" generates the same next instances on both sides.
    later = now + timedelta(days=10)

    def series(records: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
        return sorted((r["parent"], int(r["imask"]), r["due"]) for r in records if "parent" in r)

    dest = Taskwarrior(tmp_path / "dest").export(now=later)
    assert series(dest) == series(source.export(now=later))
    assert len(series(dest)) > len(series(after))


def test_reimport_updates_what_changed_in_taskwarrior(db_url: str, tmp_path: Path) -> None:
    tw = Taskwarrior(tmp_path / "tw", now=T0)
    a = tw.add("one", "project:P")
    tw.add("two", "+t")
    todo(db_url, "import", "-", input=tw.run("export").stdout)
    tw.do(a, "modify", "project:Q", "estimate:5", now=T0 + timedelta(hours=1))
    tw.do(a, "annotate", "--", "later note", now=T0 + timedelta(hours=2))
    out = todo(db_url, "import", "-", "--json", input=tw.run("export").stdout)
    assert json.loads(out) == {"imported": 0, "updated": 1, "unchanged": 1}
    task = json.loads(todo(db_url, "show", "1", "--json"))
    assert (task["project"], task["extra"], len(task["annotations"])) == ("Q", {"estimate": 5}, 1)
    same_tasks(tw.export(), tw_export(db_url))
    # The update is one change: undo gives the task back as the first import made it.
    assert todo(db_url, "undo", "--yes").startswith("undid")
    assert json.loads(todo(db_url, "show", "1", "--json"))["project"] == "P"


def test_todo_tasks_go_to_taskwarrior(db_url: str, tmp_path: Path) -> None:
    """Tasks made in todo: Taskwarrior takes them, with their notes and recurrence."""
    todo(db_url, "add", "pay rent", "--due", "2026-11-30T09:00:00+00:00", "--recur", "monthly")
    todo(db_url, "add", "call 😀", "-d", "about the lease", "-t", "phone", "--project", "Home")
    todo(db_url, "annotate", "3", "ask for a receipt")
    ours = tw_export(db_url)
    tw = Taskwarrior(tmp_path / "tw", now=datetime(2026, 11, 15, tzinfo=UTC))
    tw.import_json(ours)
    records = tw.export()
    got = {r["description"]: r for r in records if "parent" not in r}
    assert got["pay rent"]["status"] == "recurring" and got["pay rent"]["mask"] == "-"
    assert got["pay rent"]["recur"] == "monthly"
    assert got["call 😀"]["project"] == "Home" and got["call 😀"]["tags"] == ["phone"]
    notes = [a["description"] for a in got["call 😀"]["annotations"]]
    assert notes == ["about the lease", "ask for a receipt"]
    instances = [r for r in tw.export() if r.get("parent") == got["pay rent"]["uuid"]]
    assert [(r["imask"], r["due"]) for r in instances] == [(0, "20261130T090000Z")]
