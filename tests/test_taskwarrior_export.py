"""FORMAT.md's claims about `task export` and recurrence, checked against the real binary.

FORMAT.md (tests/fixtures/taskwarrior/) is what the Taskwarrior import/export code is written
against; each of its sections names the test that shows it, here or in
test_taskwarrior_import.py. If Debian's Taskwarrior changes, these fail first.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.taskwarrior import FIXTURE_NOW, Taskwarrior, load_fixture

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
U = "11111111-1111-4111-8111-{:012d}".format


def tw_at(root: Path, now: datetime = T0, **kw: Any) -> Taskwarrior:
    return Taskwarrior(root, now=now, **kw)


def imp(tw: Taskwarrior, *records: dict[str, Any], now: datetime | None = None) -> str:
    return tw.import_json(list(records), now=now).stdout


# --- export -----------------------------------------------------------------------------


def test_export_layout_one_record_per_line_and_key_order(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    a = tw.add("a", "+t", "project:P", "estimate:1", "due:2026-12-01")
    tw.do(a, "annotate", "--", "note")
    tw.add("b", f"depends:{a}")
    out = tw.run("export").stdout
    lines = out.split("\n")
    assert lines[0] == "[" and lines[-2:] == ["]", ""]
    assert all(line.startswith('{"id":') for line in lines[1:-2])
    assert lines[1].endswith("},") and lines[2].endswith("}")
    keys = list(json.loads(lines[1].rstrip(","))) + list(json.loads(lines[2]))
    assert keys[:2] == ["id", "description"] and keys[-1] == "urgency"
    first = list(json.loads(lines[1].rstrip(",")))
    assert first == [
        "id",
        "description",
        "due",
        "entry",
        "estimate",
        "modified",
        "project",
        "status",
        "uuid",
        "annotations",
        "tags",
        "urgency",
    ]
    off = tw.run("rc.json.array=off", "export").stdout.splitlines()
    assert len(off) == 2 and all(line.startswith("{") and line.endswith("}") for line in off)


def test_dates_are_utc_basic_iso_whatever_the_tz_and_dateformat(tmp_path: Path) -> None:
    tw = tw_at(tmp_path, tz="Europe/Paris")
    u = tw.add("paris", "due:2026-12-01")
    record = json.loads(tw.run("rc.dateformat=D/M/Y", u, "export").stdout)[0]
    assert record["due"] == "20261130T230000Z"  # local midnight, written in UTC
    assert record["entry"] == "20261101T090000Z"


def test_ids_are_working_set_numbers_and_zero_once_done_or_deleted(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    one_, two, three = (tw.add(d) for d in ("one", "two", "three"))
    tw.do(one_, "done")
    tw.do(three, "delete")
    # Storage order: pending.data, then completed.data in the order gc moved tasks there.
    ids = [(r["description"], r["id"]) for r in tw.export()]
    assert ids == [("two", 1), ("one", 0), ("three", 0)]
    assert tw.get(two)["id"] == 1


def test_urgency_is_a_number_on_every_record(tmp_path: Path) -> None:
    for r in load_fixture():
        assert isinstance(r["urgency"], int | float)
    assert any(r["urgency"] != 0 for r in load_fixture() if r["status"] == "completed")


def test_depends_and_tags_are_sorted_arrays(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    lo, hi = sorted(tw.add(d) for d in ("x", "y"))
    u = tw.add("deps", f"depends:{hi},{lo}", "+zz", "+aa")
    r = tw.get(u)
    assert r["depends"] == [lo, hi] and r["tags"] == ["aa", "zz"]
    assert "depends" not in tw.get(lo) and "tags" not in tw.get(lo)


def test_annotations_are_entry_description_pairs_in_time_order(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    u = tw.add("notes")
    tw.do(u, "annotate", "--", "line 1\nline 2 🌱", now=T0 + timedelta(hours=2))
    tw.do(u, "annotate", "--", "earlier? no, later", now=T0 + timedelta(hours=3))
    assert tw.get(u)["annotations"] == [
        {"entry": "20261101T110000Z", "description": "line 1\nline 2 🌱"},
        {"entry": "20261101T120000Z", "description": "earlier? no, later"},
    ]


def test_uda_values_by_type(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    u = tw.add(
        "udas",
        "estimate:3",
        "points:2.5",
        "url:https://example.com/a/b?c=1",
        "reviewed:2026-10-01T10:30:00",
        "spent:2w",
    )
    tw.run("rc.uda.legacy.type=string", u, "modify", "legacy:old")
    raw = tw.run(u, "export").stdout
    assert '"estimate":3,' in raw and '"points":2.5,' in raw
    assert '"url":"https:\\/\\/example.com\\/a\\/b?c=1"' in raw
    r = tw.get(u)
    assert (r["reviewed"], r["spent"], r["legacy"]) == ("20261001T103000Z", "P14D", "old")
    assert "H,M,L," in tw.run("show", "uda.priority.values").stdout  # priority is a UDA


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("2h", "PT2H"), ("90min", "PT1H30M"), ("3d", "P3D"), ("2w", "P14D"), ("1mo", "P30D")],
)
def test_the_command_line_normalizes_durations(tmp_path: Path, typed: str, stored: str) -> None:
    tw = tw_at(tmp_path)
    assert tw.get(tw.add("d", f"spent:{typed}"))["spent"] == stored


def test_string_escapes_and_raw_control_characters(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    text = 'q" bs\\ sl/ \b\f\n\r\t ctl\x01\x1b del\x7f é 😀'
    imp(tw, {"uuid": U(1), "description": text, "status": "pending"})
    raw = tw.run(U(1), "export").stdout
    assert '"description":"q\\" bs\\\\ sl\\/ \\b\\f\\n\\r\\t ctl\x01\x1b del\x7f é 😀"' in raw
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)  # strict JSON refuses the raw U+0001
    assert json.loads(raw, strict=False)[0]["description"] == text


def test_status_waiting_is_never_stored_or_exported(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    cli = tw.add("cli wait", "wait:2026-11-05")
    imp(
        tw,
        {"uuid": U(1), "description": "w future", "status": "waiting", "wait": "20261105T000000Z"},
        {"uuid": U(2), "description": "w past", "status": "waiting", "wait": "20261015T000000Z"},
        {"uuid": U(3), "description": "p future", "status": "pending", "wait": "20261105T000000Z"},
        {"uuid": U(4), "description": "w none", "status": "waiting"},
    )
    assert {r["status"] for r in tw.export()} == {"pending"}
    assert "waiting" not in (tw.data / "pending.data").read_text()
    assert sorted(tw.uuids("status:waiting")) == sorted([cli, U(1), U(3)])
    assert sorted(tw.uuids("+WAITING")) == sorted([cli, U(1), U(3)])
    later = T0 + timedelta(days=10)
    assert tw.run("status:waiting", "_uuids", now=later).stdout.split() == []
    assert tw.get(cli, now=later)["wait"] == "20261105T000000Z"  # kept after it passes


def test_start_stop_done_end_and_log(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    u = tw.add("active")
    tw.do(u, "start", now=T0 + timedelta(hours=1))
    assert tw.get(u)["start"] == "20261101T100000Z"
    tw.do(u, "stop", now=T0 + timedelta(hours=2))
    assert "start" not in tw.get(u)
    tw.do(u, "start", now=T0 + timedelta(hours=3))
    tw.do(u, "done", now=T0 + timedelta(hours=4))
    r = tw.get(u)
    assert "start" not in r and r["end"] == r["modified"] == "20261101T130000Z"
    tw.run("log", "--", "logged", now=T0 + timedelta(hours=5))
    [logged] = [r for r in tw.export() if r["description"] == "logged"]
    assert logged["status"] == "completed" and logged["entry"] == logged["end"]


# --- recurrence -------------------------------------------------------------------------


def test_template_and_instances_fields(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    t = tw.add(
        "r", "recur:daily", "due:2026-10-30T08:00:00", "until:2026-12-01", "+x", "priority:H"
    )
    records = tw.export()
    template = tw.get(t)
    assert template["status"] == "recurring" and template["rtype"] == "periodic"
    assert template["mask"] == "----" and "parent" not in template and "imask" not in template
    kids = sorted((r for r in records if r.get("parent") == t), key=lambda r: r["imask"])
    assert [k["imask"] for k in kids] == [0, 1, 2, 3]
    assert [k["due"][:8] for k in kids] == ["20261030", "20261031", "20261101", "20261102"]
    for k in kids:
        assert (k["recur"], k["rtype"], k["until"]) == ("daily", "periodic", "20261201T000000Z")
        assert (k["tags"], k["priority"], k["status"]) == (["x"], "H", "pending")


def test_mask_tracks_instances_and_template_modified_follows(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    t = tw.add("r", "recur:daily", "due:2026-10-31T08:00:00")
    kids = sorted((r for r in tw.export() if r.get("parent") == t), key=lambda r: r["imask"])
    assert tw.get(t)["mask"] == "---"
    tw.do(kids[0]["uuid"], "done", now=T0 + timedelta(hours=1))
    tw.do(kids[1]["uuid"], "delete", now=T0 + timedelta(hours=2))
    template = tw.get(t, now=T0 + timedelta(hours=3))
    assert (template["mask"], template["modified"]) == ("+X-", "20261101T110000Z")
    # A template with a wait marks every instance W, waiting or not, and they stay pending.
    w = tw.add("w", "recur:daily", "due:2026-11-03T08:00:00", "wait:due-1d")
    records = tw.export(now=T0 + timedelta(days=3))
    assert tw.get(w)["mask"] == "WWW" and tw.get(w)["wait"] == "20261102T080000Z"
    kids = sorted((r for r in records if r.get("parent") == w), key=lambda r: r["imask"])
    assert [(k["status"], k["wait"][:8]) for k in kids] == [
        ("pending", "20261102"),
        ("pending", "20261103"),
        ("pending", "20261104"),
    ]


def test_instances_are_generated_by_export_not_by_add(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    tw.add("r", "recur:daily", "due:2026-10-30T08:00:00")
    assert "mask" not in (tw.data / "pending.data").read_text()
    assert len(tw.export()) == 5  # template + 3 past + recurrence.limit=1 future
    later = tw.export(now=T0 + timedelta(days=2))
    kids = [r for r in later if "parent" in r]
    assert len(kids) == 6
    # A late instance: entry is when it was made, modified is the template's at that time.
    late = max(kids, key=lambda r: r["imask"])
    assert late["entry"] == "20261103T090000Z" and late["modified"] == "20261101T090000Z"


# Which commands generate instances and expire `until` (the same ones do both): the reports
# and helpers that read a filtered task list, not the commands that change or show one task.
COMMANDS = {
    "export": (["export"], True),
    "list": (["list"], True),
    "next": (["next"], True),
    "count": (["count"], True),
    "_uuids": (["_uuids"], True),
    "add": (["add", "x"], False),
    "annotate": (["2", "annotate", "n"], False),
    "modify": (["2", "modify", "+t"], False),
    "done": (["2", "done"], False),
    "delete": (["2", "delete"], False),
    "start": (["2", "start"], False),
    "log": (["log", "y"], False),
    "info": (["2", "info"], False),
    "_get": (["_get", "2.description"], False),
    "import": (["import", "-"], False),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_which_commands_generate_instances_and_expire_until(tmp_path: Path, name: str) -> None:
    args, does = COMMANDS[name]
    tw = tw_at(tmp_path)
    tw.import_json(
        [
            {"uuid": U(1), "description": "r", "status": "recurring", "recur": "daily",
             "due": "20261030T080000Z", "entry": "20261029T000000Z"},
            {"uuid": U(2), "description": "plain", "entry": "20261029T000000Z"},
            {"uuid": U(3), "description": "expired", "until": "20261015T000000Z"},
        ]
    )  # fmt: skip
    tw.run(*args, input="[]" if name == "import" else None)
    stored = (tw.data / "pending.data").read_text() + (tw.data / "completed.data").read_text()
    [expired] = [line for line in stored.splitlines() if U(3) in line]
    assert ("parent:" in stored, 'status:"deleted"' in expired) == (does, does)


def test_recurrence_off_generates_nothing(tmp_path: Path) -> None:
    tw = tw_at(tmp_path, recurrence=False)
    tw.add("r", "recur:daily", "due:2026-10-30T08:00:00")
    assert [r["status"] for r in tw.export(now=T0 + timedelta(days=5))] == ["recurring"]


def test_monthly_on_the_31st_drifts_after_a_short_month(tmp_path: Path) -> None:
    tw = tw_at(tmp_path, now=datetime(2026, 6, 1, tzinfo=UTC))
    t = tw.add("rent", "recur:monthly", "due:2026-01-31T09:00:00")
    dues = sorted(r["due"][:8] for r in tw.export() if r.get("parent") == t)
    assert dues == ["20260131", "20260228", "20260328", "20260428", "20260528", "20260628"]
    fixture = [r["due"][:8] for r in load_fixture() if r["description"] == "Pay rent"]
    assert sorted(set(fixture)) == ["20260831", "20260930", "20261030", "20261130"]


def test_recur_periods_are_kept_as_typed(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    for period in ("weekly", "2w", "P3D", "biweekly", "quarterly", "3days", "1mo"):
        t = tw.add(period, f"recur:{period}", "due:2026-11-03")
        assert tw.get(t)["recur"] == period


def test_until_deletes_expired_pending_tasks_even_with_recurrence_off(
    tmp_path: Path,
) -> None:
    for recurrence in (True, False):
        tw = tw_at(tmp_path / str(recurrence), recurrence=recurrence)
        imp(
            tw, {"uuid": U(1), "description": "x", "status": "pending", "until": "20261015T000000Z"}
        )
        r = tw.get(U(1))
        assert (r["status"], r["end"], r["modified"]) == ("deleted", "20261101T090000Z", r["end"])


def test_importing_templates_and_instances(tmp_path: Path) -> None:
    source = tw_at(tmp_path / "src")
    t = source.add("r", "recur:daily", "due:2026-10-30T08:00:00")
    records = source.export()
    template = next(r for r in records if r["uuid"] == t)
    # Everything at the same "now": nothing new.
    same = tw_at(tmp_path / "same")
    imp(same, *records)
    assert len(same.export()) == len(records)
    # Everything, two days later: the instances for the gap, nothing twice.
    later = tw_at(tmp_path / "later", now=T0 + timedelta(days=2))
    imp(later, *records)
    kids = [r for r in later.export() if r.get("parent") == t]
    assert sorted(k["imask"] for k in kids) == [0, 1, 2, 3, 4, 5]
    # The template alone, with its mask: only instances past the mask.
    alone = tw_at(tmp_path / "alone")
    imp(alone, template)
    assert len(alone.export()) == 1
    # Instances with a template that lost its mask: generated again, duplicates.
    unmasked = tw_at(tmp_path / "unmasked")
    imp(unmasked, {k: v for k, v in template.items() if k != "mask"}, *records[1:])
    dues = [r["due"] for r in unmasked.export() if r.get("parent") == t]
    assert len(dues) == 8 and len(set(dues)) == 4


def test_command_line_backslashes_and_new_uuid(tmp_path: Path) -> None:
    tw = tw_at(tmp_path)
    cases = {
        "a \\ b": "a  b",
        "a \\\\ b": "a \\ b",
        "C:\\Users\\x": "C:\\Users\\x",
        "end \\": "end ",
    }
    for typed, stored in cases.items():
        assert tw.get(tw.add(typed))["description"] == stored
    out = tw.run("rc.verbose=new-uuid", "add", "recur:daily", "due:tomorrow", "r").stdout
    assert out.startswith("Created task ") and out.endswith(" (recurrence template).\n")


def test_the_fixture_was_exported_at_fixture_now() -> None:
    fixture = load_fixture()
    assert max(r["modified"] for r in fixture) == FIXTURE_NOW.strftime("%Y%m%dT%H%M%SZ")
