"""FORMAT.md's claims about `task import`, checked against the real binary.

See test_taskwarrior_export.py for export and recurrence; FORMAT.md names the test behind each
statement.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.taskwarrior import Taskwarrior

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
U = "11111111-1111-4111-8111-{:012d}".format


def tw_at(root: Path, now: datetime = T0, **kw: Any) -> Taskwarrior:
    return Taskwarrior(root, now=now, **kw)


def imp(tw: Taskwarrior, *records: dict[str, Any], now: datetime | None = None) -> str:
    return tw.import_json(list(records), now=now).stdout


# --- import -----------------------------------------------------------------------------


def test_import_output_and_accepted_layouts(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    a = {"uuid": U(1), "description": "a", "status": "pending"}
    b = {"uuid": U(2), "description": "b", "status": "pending"}
    out = tw.run("import", "-", input=json.dumps(a)).stdout
    assert out == f"Importing 'STDIN'\n add  {U(1)} a\n"
    out = tw.run("import", "-", input=json.dumps(a) + "\n" + json.dumps(b) + "\n").stdout
    assert out == f"Importing 'STDIN'\n skip {U(1)} a\n add  {U(2)} b\n"
    assert imp(tw, dict(a, description="a2")).endswith(f" mod  {U(1)} a2\n")
    loud = tw.run("rc.verbose=footnote", "import", "-", input=json.dumps(b))
    assert loud.stdout == f"Importing 'STDIN'\n skip {U(2)} b\n"
    assert loud.stderr == "Imported 1 tasks.\n"


def test_import_is_all_or_nothing_and_can_crash(tmp_path: Path) -> None:
    good = {"uuid": U(1), "description": "good", "status": "pending"}
    bad = {"uuid": U(2), "description": "bad", "status": "open"}
    tw = tw_at(tmp_path / "lines")
    r = tw.run("import", "-", input=f"{json.dumps(good)}\n{json.dumps(bad)}\n", check=False)
    assert (r.returncode, r.stderr) == (2, "The status 'open' is not valid.\n")
    assert tw.export() == []
    # An array in the export's layout: the error is reported as a JSON syntax error.
    r = tw.run("import", "-", input=f"[\n{json.dumps(good)},\n{json.dumps(bad)}\n]\n", check=False)
    assert (r.returncode, r.stderr) == (2, "Error: missing ']' at position 1\n")
    # The same array on one line: the fallback line parser crashes.
    r = tw.run("import", "-", input=json.dumps([good, bad]), check=False)
    assert r.returncode < 0 and tw.export() == []


def test_import_new_keeps_given_fields_and_fills_missing_ones(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    imp(
        tw,
        {
            "id": 42,
            "urgency": 99.5,
            "uuid": U(1),
            "description": "kept",
            "status": "pending",
            "entry": "20261001T000000Z",
            "modified": "20261015T000000Z",
        },
        {"description": "bare"},
        {"uuid": U(3), "description": "done", "status": "completed"},
        {
            "uuid": U(4),
            "description": "end on pending",
            "status": "pending",
            "end": "20261002T000000Z",
        },
    )
    kept = tw.get(U(1))
    assert (kept["id"], kept["entry"], kept["modified"]) == (
        1,
        "20261001T000000Z",
        "20261015T000000Z",
    )
    assert "urgency" not in (tw.data / "pending.data").read_text()
    [bare] = [r for r in tw.export() if r["description"] == "bare"]
    assert (bare["status"], bare["entry"], bare["modified"]) == (
        "pending",
        *["20261101T090000Z"] * 2,
    )
    assert tw.get(U(3))["end"] == "20261101T090000Z"
    assert "end" not in tw.get(U(4))
    for record, error in [
        ({"uuid": U(5), "status": "pending"}, "A task must have a description."),
        ({"uuid": "nope", "description": "x"}, "Not a valid UUID 'nope'."),
        ({"uuid": U(6), "description": "x", "due": None}, "'null' is not a valid date"),
        ({"uuid": U(8), "description": "x", "reviewed": "garbage"}, "'garbage' is not a valid"),
        (
            {"uuid": U(7), "description": "x", "status": "recurring", "recur": "weekly"},
            "A recurring task must also have a 'due' date.",
        ),
    ]:
        r = tw.run("import", "-", input=json.dumps(record), check=False)
        assert r.returncode == 2 and r.stderr.startswith(error)


def test_import_of_a_known_uuid_replaces_the_task_and_ignores_modified(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    base = {
        "uuid": U(1),
        "description": "orig",
        "status": "pending",
        "project": "P",
        "entry": "20261001T000000Z",
        "modified": "20261020T000000Z",
        "due": "20261201T000000Z",
    }
    imp(tw, base)
    assert " skip " in imp(tw, base, now=T0 + timedelta(hours=1))
    older = {k: v for k, v in base.items() if k not in ("project", "due")}
    older.update(description="older", modified="20200101T000000Z")
    assert " mod  " in imp(tw, older, now=T0 + timedelta(hours=2))
    r = tw.get(U(1))
    assert r["description"] == "older" and "project" not in r and "due" not in r
    assert r["modified"] == "20261101T110000Z"  # the import's time, not either record's
    assert " skip " in imp(tw, dict(older, modified="20990101T000000Z"))
    no_entry = {k: v for k, v in older.items() if k != "entry"}
    imp(tw, dict(no_entry, description="no entry"))
    assert tw.get(U(1))["entry"] == "20261001T000000Z"


def test_import_drops_empty_values(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    empties = {"project": "", "priority": "", "url": "", "estimate": "", "tags": [],
               "annotations": [], "depends": []}  # fmt: skip
    imp(tw, {"uuid": U(1), "description": "empties", **empties})
    assert not set(empties) & set(tw.get(U(1)))
    # An empty date is refused, like null.
    empty_due = json.dumps({"uuid": U(2), "description": "x", "due": ""})
    r = tw.run("import", "-", input=empty_due, check=False)
    assert (r.returncode, r.stderr) == (2, "'' is not a valid date in the '' format.\n")


def test_import_depends_forms(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    imp(
        tw,
        {"uuid": U(1), "description": "a", "depends": U(2)},
        {"uuid": U(2), "description": "b", "depends": f"{U(3)},{U(1)}"},
        {"uuid": U(3), "description": "self and dangling", "depends": [U(3), U(99)]},
    )
    assert tw.get(U(1))["depends"] == [U(2)]
    assert tw.get(U(2))["depends"] == [U(1), U(3)]
    assert tw.get(U(3))["depends"] == [U(99), U(3)] or tw.get(U(3))["depends"] == [U(3), U(99)]


def test_import_values_by_kind(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    imp(
        tw,
        {"uuid": U(1), "description": "nums", "estimate": 2, "points": 0.1234567, "imask": 3},
        {"uuid": U(2), "description": "strs", "estimate": "4", "points": "0.1234567"},
        {"uuid": U(3), "description": "bad", "estimate": "abc", "priority": "X", "spent": "3d"},
        {
            "uuid": U(4),
            "description": "unknown",
            "foo": "bar",
            "num": 3.25,
            "flag": True,
            "arr": [1, 2],
            "obj": {"a": 1},
        },
        {
            "uuid": U(5),
            "description": "dates",
            "entry": "1790000000",
            "due": "2026-12-24T18:00:00Z",
            "scheduled": "tomorrow",
            "reviewed": "20261001T103000Z",
        },
        {"uuid": U(6), "description": "tags", "tags": ["has space", "a,b"]},
        {"uuid": "ABCDEF12-1111-4111-8111-000000000007", "description": "upper"},
    )
    # Not json.loads: the "abc" record makes the export invalid JSON.
    lines = tw.run("export").stdout.splitlines()[1:-1]
    raw = {line.split('"uuid":"')[1][:36]: line for line in lines}
    assert '"estimate":2.000000,' in raw[U(1)] and '"points":0.123457,' in raw[U(1)]
    assert '"imask":3.000000,' in raw[U(1)]
    assert '"estimate":4,' in raw[U(2)] and '"points":0.1234567,' in raw[U(2)]
    assert '"estimate":abc,' in raw[U(3)] and '"priority":"X"' in raw[U(3)]  # invalid JSON
    assert '"spent":"3d"' in raw[U(3)]
    unknown = tw.get(U(4))
    assert (unknown["foo"], unknown["num"], unknown["flag"]) == ("bar", "3.250000", "true")
    assert (unknown["arr"], unknown["obj"]) == ("[1.000000,2.000000]", '{"a":1.000000}')
    dates = tw.get(U(5))
    assert (dates["entry"], dates["due"]) == ("20260921T141320Z", "20261224T180000Z")
    assert (dates["scheduled"], dates["reviewed"]) == ("20261102T000000Z", "20261001T103000Z")
    assert tw.get(U(6))["tags"] == ["a", "a,b", "b", "has space"]
    assert tw.uuids("upper") == ["ABCDEF12-1111-4111-8111-000000000007"]


def test_import_annotations(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    same_second = [{"entry": "20261002T000000Z", "description": d} for d in ("one", "two")]
    imp(
        tw,
        {"uuid": U(1), "description": "a", "annotations": same_second},
        {"uuid": U(2), "description": "b", "annotations": [{"description": "no entry"}]},
    )
    assert [a["entry"] for a in tw.get(U(1))["annotations"]] == [
        "20261002T000000Z",
        "20261002T000001Z",  # moved one second on, to keep its own key
    ]
    assert tw.get(U(2))["annotations"] == [{"entry": "20261101T090000Z", "description": "no entry"}]
