"""`todo import` and `todo export`, on SQLite and PostgreSQL.

The database is read back with plain SQLAlchemy, never through the service under test.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.helpers import Run, cli, proc
from todo_cli.config import parse_url
from todo_cli.models import Task
from todo_cli.services.tasks.import_rows import ImportRecord, RowBuilder
from todo_cli.services.tasks.importing import BATCH

TS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00:00")


def todo(db_url: str, *args: str, input: str | None = None) -> Run:
    return cli("--database-url", db_url, *args, input=input)


def ok(db_url: str, *args: str, input: str | None = None) -> str:
    r = todo(db_url, *args, input=input)
    assert (r.exit_code, r.stderr) == (0, ""), (args, r.exit_code, r.stderr)
    return r.stdout


def rows(db_url: str) -> list[dict[str, Any]]:
    """Every row of `tasks`, all columns, by id."""
    table = Task.__table__  # type: ignore[attr-defined]
    engine = sa.create_engine(parse_url(db_url))
    try:
        with engine.connect() as c:
            return [dict(r._mapping) for r in c.execute(sa.select(table).order_by(table.c.id))]
    finally:
        engine.dispose()


def exported(db_url: str, *args: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(ok(db_url, "export", *args))
    return data


def without_ids(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in t.items() if k != "id"} for t in tasks]


def timeless(tasks: list[dict[str, Any]], *also: str) -> list[dict[str, Any]]:
    """The tasks without `urgency` (and the keys in `also`).

    Urgency is computed at read time and grows with a task's age and nearing due date, so two
    exports a second apart may differ in its fourth decimal (CI saw 15.6687 then 15.6688).
    """
    return [{k: v for k, v in t.items() if k != "urgency" and k not in also} for t in tasks]


def make_tasks(db_url: str) -> None:
    ok(db_url, "add", "buy milk", "-t", "home", "-t", "shop", "-p", "high", "--due", "2026-12-01")
    ok(db_url, "add", "call mum", "-d", 'about "Sunday",\nand the rest')
    ok(db_url, "add", "ünïcode ✓", "-p", "low")
    ok(db_url, "add", "gone")
    ok(db_url, "complete", "2")
    ok(db_url, "delete", "4")


def test_export_then_import_round_trips(db_url: str) -> None:
    make_tasks(db_url)
    before = exported(db_url)
    assert [t["id"] for t in before] == [1, 2, 3]  # by id; the trashed task is left out
    # Every uuid is known and no newer: importing our own export again changes nothing.
    assert ok(db_url, "import", "-", input=json.dumps(before)) == "imported 0 tasks, 3 unchanged\n"
    assert timeless(exported(db_url)) == timeless(before)
    fresh = [{k: v for k, v in t.items() if k != "uuid"} for t in before]
    assert ok(db_url, "import", "-", input=json.dumps(fresh)) == "imported 3 tasks\n"
    after = exported(db_url)
    assert [t["id"] for t in after] == [1, 2, 3, 5, 6, 7]  # new ids, in the file's order
    assert timeless(after[3:], "id", "uuid") == timeless(before, "id", "uuid")
    assert len({t["uuid"] for t in after}) == 6


def test_reimport_by_uuid_updates_when_newer(db_url: str) -> None:
    make_tasks(db_url)
    [first, *_] = exported(db_url)
    older = dict(first, title="older", updated_at="2000-01-01T00:00:00+00:00")
    r = ok(db_url, "import", "-", "--json", input=json.dumps([older]))
    assert json.loads(r) == {"imported": 0, "updated": 0, "unchanged": 1}
    newer = dict(first, title="newer", tags=["x"], updated_at="2099-01-01T00:00:00+00:00")
    newer["annotations"] = [{"entry": "2026-01-01T00:00:00+00:00", "description": "a note"}]
    assert ok(db_url, "import", "-", input=json.dumps([newer])) == "imported 0 tasks, updated 1\n"
    [again, *_] = exported(db_url)
    assert (again["id"], again["uuid"], again["title"], again["tags"]) == (
        1,
        first["uuid"],
        "newer",
        ["x"],
    )
    assert [a["description"] for a in again["annotations"]] == ["a note"]
    assert len(exported(db_url)) == 3
    # The import is one change: undo puts the task back as it was.
    assert ok(db_url, "undo", "--yes").startswith("undid")
    assert timeless(exported(db_url))[0] == timeless([first])[0]


def test_export_json_shape_and_status_filter(db_url: str) -> None:
    make_tasks(db_url)
    out = ok(db_url, "export", "--status", "pending")
    assert out.startswith("[\n{") and out.endswith("}\n]\n")
    tasks = json.loads(out)
    assert [t["id"] for t in tasks] == [1, 3]
    shown = json.loads(ok(db_url, "show", "1", "--json"))
    assert timeless([tasks[0]]) == timeless([shown])  # exactly the shape of `show --json`
    assert tasks[0].keys() == shown.keys()
    assert tasks[0]["due"] == "2026-12-01"  # an all-day date
    assert [t["id"] for t in exported(db_url, "--status", "completed")] == [2]
    assert timeless(json.loads(ok(db_url, "export", "--json"))) == timeless(exported(db_url))
    r = todo(db_url, "export", "--json", "--format", "csv")
    assert (r.exit_code, r.stderr) == (2, "error: give --json or --format csv, not both\n")


CSV_HEADER = (
    "id,uuid,title,description,completed,status,priority,due,tags,project,annotations,wait,"
    "scheduled,until,recur,depends,start,urgency,created_at,updated_at,completed_at,deleted_at,"
    "extra\n"
)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NUM = re.compile(r",\d+\.\d+,")


def test_export_with_no_tasks_is_an_empty_array(db_url: str) -> None:
    assert ok(db_url, "export") == "[]\n"
    assert ok(db_url, "export", "--format", "csv") == CSV_HEADER


def test_export_csv_content(db_url: str) -> None:
    make_tasks(db_url)
    out = NUM.sub(
        ",<u>,", UUID.sub("<uuid>", TS.sub("<ts>", ok(db_url, "export", "--format", "csv")))
    )
    assert out == (
        CSV_HEADER
        + "1,<uuid>,buy milk,,false,pending,high,2026-12-01,home shop,,,,,,,,,<u>,<ts>,<ts>,,,\n"
        '2,<uuid>,call mum,"about ""Sunday"",\nand the rest",true,completed,'
        ",,,,,,,,,,,<u>,<ts>,<ts>,<ts>,,\n"
        "3,<uuid>,ünïcode ✓,,false,pending,low,,,,,,,,,,,<u>,<ts>,<ts>,,,\n"
    )


def test_csv_export_imports_back(db_url: str, tmp_path: Path) -> None:
    make_tasks(db_url)
    ok(db_url, "edit", "1", "--project", "Home.Garden", "--wait", "2099-01-01")
    ok(db_url, "annotate", "1", 'ring first, "twice"')
    before = exported(db_url)
    path = tmp_path / "tasks.csv"
    path.write_text(ok(db_url, "export", "--format", "csv"), encoding="utf-8")
    assert ok(db_url, "import", "--format", "csv", str(path)) == "imported 0 tasks, 3 unchanged\n"
    assert timeless(exported(db_url)) == timeless(before)
    other = tmp_path / "other.db"
    url = f"sqlite:///{other}"
    from tests.dbutil import migrate_db

    migrate_db(url)
    assert ok(url, "import", "--format", "csv", str(path)) == "imported 3 tasks\n"
    assert timeless(exported(url)) == timeless(before)
    r = todo(url, "import", "--format", "csv", "-", input=CSV_HEADER + "1,,,\n")
    assert (r.exit_code, r.stderr) == (2, "error: line 2: 4 cells, the header has 23\n")


def test_import_keeps_given_fields_and_fills_the_rest(db_url: str) -> None:
    records = [
        {
            "id": 99,
            "title": "full",
            "description": "notes",
            "completed": True,
            "priority": "medium",
            "due": "2026-12-01T09:30:00+02:00",
            "tags": ["a", "b", "a"],
            "created_at": "2026-01-02T03:04:05.123456Z",
            "updated_at": "2026-01-03T00:00:00+00:00",
            "completed_at": "2026-01-02T12:00:00+00:00",
        },
        {"title": "bare"},
        {"title": "odd values", "completed": 1, "due": 1767225600, "priority": None},
    ]
    start = datetime.now(UTC)
    assert ok(db_url, "import", "-", input=json.dumps(records)) == "imported 3 tasks\n"
    full, bare, odd = rows(db_url)
    assert full["id"] == 1 and full["title"] == "full" and full["description"] == "notes"
    assert (full["completed"], full["priority"], full["tags"]) == (True, 2, ["a", "b"])
    assert full["due"] == datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    assert full["created_at"] == datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert full["updated_at"] == datetime(2026, 1, 3, tzinfo=UTC)
    assert full["completed_at"] == datetime(2026, 1, 2, 12, tzinfo=UTC)
    assert (bare["completed"], bare["priority"], bare["tags"], bare["due"]) == (
        False,
        None,
        [],
        None,
    )
    assert bare["created_at"] == bare["updated_at"] >= start.replace(microsecond=0)
    assert bare["completed_at"] is None and bare["deleted_at"] is None
    assert (odd["completed"], odd["due"]) == (True, datetime(2026, 1, 1, tzinfo=UTC))


def test_import_accepts_the_list_json_shape(db_url: str) -> None:
    ok(db_url, "add", "one")
    page = ok(db_url, "list", "--json")
    out = json.loads(ok(db_url, "import", "-", "--json", input=page))
    assert out == {"imported": 0, "updated": 0, "unchanged": 1}  # its uuid is known
    assert [r["title"] for r in rows(db_url)] == ["one"]
    fresh = {
        "items": [{k: v for k, v in t.items() if k != "uuid"} for t in json.loads(page)["items"]]
    }
    assert json.loads(ok(db_url, "import", "-", "--json", input=json.dumps(fresh)))["imported"] == 1
    assert [r["title"] for r in rows(db_url)] == ["one", "one"]


TASKWARRIOR = [
    {
        "id": 1,
        "description": "Pay rent",
        "entry": "20261101T090000Z",
        "modified": "20261102T100000Z",
        "due": "20261201T000000Z",
        "priority": "H",
        "project": "home",
        "status": "pending",
        "uuid": "0b3c4a7e-6f5e-4d3a-9d4e-2f1b8c9a0d11",
        "tags": ["money", "home"],
        "annotations": [
            {"entry": "20261101T091500Z", "description": "ask about parking"},
            {"entry": "20261102T100000Z", "description": "by bank transfer"},
        ],
        "urgency": 9.1,
    },
    {
        "id": 0,
        "description": "Old report",
        "end": "20261020T170000Z",
        "entry": "20261001T080000Z",
        "modified": "20261020T170001Z",
        "priority": "M",
        "status": "completed",
        "uuid": "1b3c4a7e-6f5e-4d3a-9d4e-2f1b8c9a0d12",
        "urgency": 0,
    },
    {
        "id": 0,
        "description": "Cancelled trip",
        "end": "20261015T120000Z",
        "entry": "20261010T080000Z",
        "modified": "20261015T120001Z",
        "status": "deleted",
        "tags": ["travel"],
        "uuid": "2b3c4a7e-6f5e-4d3a-9d4e-2f1b8c9a0d13",
    },
    {
        "id": 2,
        "description": "Water plants",
        "entry": "20261105T070000Z",
        "modified": "20261105T070000Z",
        "priority": "L",
        "status": "waiting",
        "wait": "20261210T000000Z",
        "uuid": "3b3c4a7e-6f5e-4d3a-9d4e-2f1b8c9a0d14",
    },
]


@pytest.mark.parametrize("flag", [[], ["--format", "taskwarrior"]])
def test_taskwarrior_import_maps_every_field(db_url: str, flag: list[str]) -> None:
    out = ok(db_url, "import", "-", *flag, input=json.dumps(TASKWARRIOR))
    assert out == "imported 4 tasks\n"
    utc = UTC
    got = [
        {k: r[k] for k in ("title", "description", "completed", "priority", "due", "tags")}
        | {k: r[k] for k in ("created_at", "updated_at", "completed_at", "deleted_at")}
        for r in rows(db_url)
    ]
    assert got == [
        {
            "title": "Pay rent",
            "description": None,
            "completed": False,
            "priority": 3,
            "due": datetime(2026, 12, 1, tzinfo=utc),
            "tags": ["money", "home"],
            "created_at": datetime(2026, 11, 1, 9, tzinfo=utc),
            "updated_at": datetime(2026, 11, 2, 10, tzinfo=utc),
            "completed_at": None,
            "deleted_at": None,
        },
        {
            "title": "Old report",
            "description": None,
            "completed": True,
            "priority": 2,
            "due": None,
            "tags": [],
            "created_at": datetime(2026, 10, 1, 8, tzinfo=utc),
            "updated_at": datetime(2026, 10, 20, 17, 0, 1, tzinfo=utc),
            "completed_at": datetime(2026, 10, 20, 17, tzinfo=utc),
            "deleted_at": None,
        },
        {
            "title": "Cancelled trip",
            "description": None,
            "completed": False,
            "priority": None,
            "due": None,
            "tags": ["travel"],
            "created_at": datetime(2026, 10, 10, 8, tzinfo=utc),
            "updated_at": datetime(2026, 10, 15, 12, 0, 1, tzinfo=utc),
            "completed_at": None,
            "deleted_at": datetime(2026, 10, 15, 12, tzinfo=utc),  # in the trash
        },
        {
            "title": "Water plants",
            "description": None,
            "completed": False,
            "priority": 1,
            "due": None,
            "tags": [],
            "created_at": datetime(2026, 11, 5, 7, tzinfo=utc),
            "updated_at": datetime(2026, 11, 5, 7, tzinfo=utc),
            "completed_at": None,
            "deleted_at": None,
        },
    ]
    first = json.loads(ok(db_url, "show", "1", "--json"))
    assert (first["uuid"], first["project"], first["extra"]) == (TASKWARRIOR[0]["uuid"], "home", {})
    assert first["annotations"] == [
        {"entry": "2026-11-01T09:15:00+00:00", "description": "ask about parking"},
        {"entry": "2026-11-02T10:00:00+00:00", "description": "by bank transfer"},
    ]
    water = json.loads(ok(db_url, "show", "4", "--json"))
    assert (water["wait"], water["completed"]) == ("2026-12-10T00:00:00+00:00", False)
    assert [t["title"] for t in exported(db_url)] == ["Pay rent", "Old report", "Water plants"]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"title": "  "}, "title must not be empty"),
        ({"description": "no title"}, "title: Field required"),
        ({"title": "x" * 201}, "title must be at most 200 characters (got 201)"),
        ({"title": "b", "priority": "top"}, "priority: Input should be 'low', 'medium' or 'high'"),
        ({"title": "b", "tags": ["x y"]}, "tag 'x y' must be 1-64 characters without spaces"),
        ({"title": "b", "due": "2026-12-01T09:00"}, "due must be a date (2026-12-01) or a time"
         " with a UTC offset (2026-12-01T09:00:00+00:00), got '2026-12-01T09:00'"),
        ({"title": "b", "uuid": "nope"}, "'nope' is not a uuid (8-4-4-4-12 hex digits)"),
        ({"title": "b", "status": "open"}, "status: Input should be 'pending', 'completed',"
         " 'waiting', 'recurring' or 'deleted'"),
        ({"title": "b", "recur": "weekly"}, "a recurrence needs a due date"),
        ({"title": "b", "completed": "maybe"}, "completed: Input should be a valid boolean, "
         "unable to interpret input"),
        ("b", "expected an object, got a string"),
        ([], "expected an object, got an array"),
    ],
)  # fmt: skip
def test_a_bad_record_rejects_the_whole_file(db_url: str, bad: Any, reason: str) -> None:
    ok(db_url, "add", "already here")
    before = rows(db_url)
    records = [{"title": "a"}, {"title": "b"}, bad, {"title": ""}]
    r = todo(db_url, "import", "-", input=json.dumps(records))
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", f"error: record 3: {reason}\n")
    assert rows(db_url) == before


def test_a_bad_record_after_the_first_batch_writes_nothing(db_url: str) -> None:
    records: list[dict[str, Any]] = [{"title": f"t{i}"} for i in range(BATCH + 10)]
    records[BATCH + 5]["title"] = ""
    r = todo(db_url, "import", "-", input=json.dumps(records))
    assert (r.exit_code, r.stderr) == (2, f"error: record {BATCH + 6}: title must not be empty\n")
    assert rows(db_url) == []


def test_many_tasks_in_several_batches(db_url: str) -> None:
    records = [{"title": f"t{i}", "tags": [f"g{i % 7}"]} for i in range(2 * BATCH + 3)]
    out = ok(db_url, "import", "-", input=json.dumps(records))
    assert out == f"imported {2 * BATCH + 3:,} tasks\n"
    got = exported(db_url)
    assert [t["title"] for t in got] == [r["title"] for r in records]
    assert [t["tags"] for t in got] == [r["tags"] for r in records]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"title": "a"},\n {"title": }]', "malformed JSON at line 2, column 12: Expecting value"),
        ('[{"title": "a"}', "malformed JSON at line 1, column 16: Expecting ',' delimiter"),
        ("", "the input is empty: expected a JSON array of tasks"),
        ('{"title": "a"}', 'expected a JSON array of tasks (or an object with an "items" array)'),
    ],
)
def test_input_that_is_not_a_json_array(db_url: str, text: str, message: str) -> None:
    r = todo(db_url, "import", "-", input=text)
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", f"error: {message}\n")
    assert rows(db_url) == []


def test_an_empty_array_imports_nothing(db_url: str) -> None:
    assert ok(db_url, "import", "-", input="[]") == "imported 0 tasks\n"
    assert json.loads(ok(db_url, "import", "-", "--json", input="[]")) == {
        "imported": 0,
        "updated": 0,
        "unchanged": 0,
    }


def test_import_from_a_file_and_a_missing_file(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "tasks.json"
    path.write_bytes(b'\xef\xbb\xbf[{"title": "from a file"}]')  # a BOM is fine
    assert ok(db_url, "import", str(path)) == "imported 1 task\n"
    r = todo(db_url, "import", str(tmp_path / "nope.json"))
    assert (r.exit_code, r.stderr) == (2, f"error: no such file: {tmp_path / 'nope.json'}\n")


def test_text_that_needs_escaping_survives_both_directions(db_url: str) -> None:
    tricky = {
        "title": 'tab\tquote" back\\slash',
        "description": "a\n\\.\nb\r\n,c\\N",
        "tags": ['q"x', "b\\s", "é"],
    }
    ok(db_url, "import", "-", input=json.dumps([tricky, {"title": "x", "description": ""}]))
    first, second = exported(db_url)
    assert {k: first[k] for k in tricky} == tricky
    assert second["description"] == ""  # not NULL


def test_real_processes_import_and_export(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "tw.json"
    path.write_text(json.dumps(TASKWARRIOR), encoding="utf-8")
    r = proc("--database-url", db_url, "import", str(path))
    assert (r.exit_code, r.stdout, r.stderr) == (0, "imported 4 tasks\n", "")
    r = proc("--database-url", db_url, "export", "--format", "csv", "--status", "completed")
    assert (r.exit_code, r.stderr) == (0, "")
    assert NUM.sub(",<u>,", r.stdout).splitlines()[1:] == [
        "2,1b3c4a7e-6f5e-4d3a-9d4e-2f1b8c9a0d12,Old report,,true,completed,medium,,,,,,,,,,"
        ",<u>,2026-10-01T08:00:00+00:00,2026-10-20T17:00:01+00:00,2026-10-20T17:00:00+00:00,,"
    ]
    r = proc("--database-url", db_url, "export")
    again = proc("--database-url", db_url, "import", "-", input=r.stdout)
    assert (again.exit_code, again.stdout) == (0, "imported 0 tasks, 3 unchanged\n")
    bad = proc("--database-url", db_url, "import", "-", input='[{"title": "ok"}, {"title": ""}]')
    assert (bad.exit_code, bad.stdout, bad.stderr) == (
        2,
        "",
        "error: record 2: title must not be empty\n",
    )


def test_a_cached_user_deleted_elsewhere_is_resolved_again(db_url: str, tmp_path: Path) -> None:
    me = json.loads(ok(db_url, "user", "whoami", "--json"))["id"]  # cached in this data dir
    other = {"TODO_HOME": str(tmp_path / "other-machine")}
    r = cli("--database-url", db_url, "user", "delete", me, "--yes", env=other)
    assert r.exit_code == 0, r.stderr
    assert ok(db_url, "import", "-", input='[{"title": "a"}]') == "imported 1 task\n"
    assert [r["user_id"] for r in rows(db_url)] == [me]  # the local user, made again
    ok(db_url, "user", "add", "bob@x.io", "--id", "bob")
    ok(db_url, "--user", "bob", "export")  # caches bob
    assert cli("--database-url", db_url, "user", "delete", "bob", "--yes", env=other).exit_code == 0
    r = cli("--database-url", db_url, "--user", "bob", "import", "-", input='[{"title": "b"}]')
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == "error: no user 'bob'; create it with: todo user add EMAIL\n"
    assert len(rows(db_url)) == 1


# The fast path must agree with the model: whatever it accepts, the model accepts and stores
# the same way; whatever the model rejects, it rejects.
_UTC_TIMES = st.datetimes(timezones=st.just(UTC))
_ODD_TIMES = [
    *("2026-12-01", "20261201T090000Z", "2026-12-01 09:00:00+00:00", "", "x"),
    *("2026-12-01T09:00:00,123456+00:00", "2026-12-01t09:00:00.5Z", "2026-12-01T09:00:00z"),
]
_TIMES = st.one_of(
    _UTC_TIMES.map(lambda d: d.isoformat()),  # as we export them
    _UTC_TIMES.map(lambda d: d.isoformat().replace("+00:00", "Z")),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.none(),
    st.datetimes().map(lambda d: d.isoformat()),  # naive: rejected
    st.sampled_from(_ODD_TIMES),
    st.integers(-10, 2_000_000_000),
)
_TITLES = st.one_of(
    st.text(min_size=1, max_size=8),
    st.text(min_size=195, max_size=205),
    st.sampled_from([" ", "\t\n", "", "a\x00b", None, 5, ["x"]]),
)
_TAGS = st.one_of(st.text(min_size=1, max_size=4), st.sampled_from(["a", "b", "é", "a b", "", 3]))
_RECORDS = st.fixed_dictionaries(
    {"title": _TITLES},
    optional={
        "description": st.one_of(_TITLES, st.text(min_size=995, max_size=1005)),
        "completed": st.one_of(st.booleans(), st.sampled_from([0, 1, "yes", "no", None, 2])),
        "priority": st.sampled_from(["low", "medium", "high", None, "High", 1, "", ["low"]]),
        "tags": st.one_of(st.lists(_TAGS, max_size=4), st.none(), st.just("a")),
        "due": _TIMES,
        "created_at": _TIMES,
        "updated_at": _TIMES,
        "completed_at": _TIMES,
        "deleted_at": _TIMES,
    },
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(record=_RECORDS, suffix=st.sampled_from(["", "+00:00"]))
def test_fast_path_agrees_with_the_model(record: dict[str, Any], suffix: str) -> None:
    build = RowBuilder(suffix)
    try:
        model: Any = build.fast(ImportRecord.model_validate(record).model_dump())
    except (ValidationError, OverflowError):
        model = "rejected"
    try:
        fast: Any = build.fast(record)
    except Exception:
        return  # declined: the model decides, and it is what runs
    assert fast == model
