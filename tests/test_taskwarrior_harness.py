"""The Taskwarrior harness and its round-trip oracle, against the real `task` binary.

The oracle (`taskwarrior.differences` / `same_tasks`) is what the Taskwarrior -> todo ->
Taskwarrior test will rely on, so it is tested both ways here: Taskwarrior's own round trip of
the committed fixture passes it, and a round trip that loses any one field fails it, naming
the task and the field.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.taskwarrior import (
    FIXTURE_DIR,
    FIXTURE_NOW,
    Taskwarrior,
    TaskwarriorError,
    TaskwarriorMissing,
    differences,
    dumps_raw,
    load_fixture,
    parse_tw_date,
    same_tasks,
    tw_date,
)


def round_trip(root: Path, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Import records into a fresh Taskwarrior at the fixture's "now" and export them again."""
    tw = Taskwarrior(root, now=FIXTURE_NOW, recurrence=False)
    tw.import_json(records)
    return tw.export()


@pytest.fixture(scope="module")
def fixture() -> list[dict[str, Any]]:
    return load_fixture()


def first(records: list[dict[str, Any]], field: str, **match: Any) -> dict[str, Any]:
    """The first record that has `field` and the given field values."""
    for r in records:
        if field in r and all(r.get(k) == v for k, v in match.items()):
            return r
    raise AssertionError(f"the fixture has no record with {field} and {match}")


def test_fixture_covers_what_the_round_trip_must_keep(fixture: list[dict[str, Any]]) -> None:
    statuses = {r["status"] for r in fixture}
    assert statuses == {"pending", "completed", "deleted", "recurring"}
    now = tw_date(FIXTURE_NOW)
    waiting = [r for r in fixture if r["status"] == "pending" and r.get("wait", "") > now]
    assert waiting, "no task is waiting at FIXTURE_NOW"
    assert any(r.get("wait", now) < now for r in fixture), "no task whose wait has passed"
    for field in ("due", "scheduled", "until", "start", "end", "wait", "parent", "mask"):
        first(fixture, field)
    assert any("." in r.get("project", "") for r in fixture)
    assert {r.get("priority") for r in fixture} >= {"H", "M", "L"}
    periods = {r["recur"] for r in fixture if r["status"] == "recurring"}
    assert periods >= {"daily", "weekly", "monthly"}
    assert first(fixture, "until", status="recurring")
    assert isinstance(first(fixture, "imask")["imask"], int)
    assert any(len(r["depends"]) > 1 for r in fixture if "depends" in r)
    notes = [a["description"] for r in fixture for a in r.get("annotations", [])]
    assert any("\n" in n for n in notes) and any(ord(ch) > 0xFFFF for n in notes for ch in n)
    text = [r["description"] for r in fixture]
    assert any(ord(ch) > 0xFFFF for d in text for ch in d)
    assert any('"' in d for d in text) and any("\\" in d for d in text)
    assert any("," in d for d in text)
    # One UDA of each type, and one the rc does not declare (an orphan, kept as a string).
    assert any(isinstance(r.get("estimate"), float) for r in fixture)
    assert isinstance(first(fixture, "points")["points"], int)
    assert first(fixture, "url")["url"].startswith("https://")
    parse_tw_date(first(fixture, "reviewed")["reviewed"])
    assert first(fixture, "spent")["spent"].startswith("P")
    assert isinstance(first(fixture, "legacy")["legacy"], str)


def test_taskwarriors_own_round_trip_passes_the_oracle(
    tmp_path: Path, fixture: list[dict[str, Any]]
) -> None:
    back = round_trip(tmp_path, fixture)
    assert differences(fixture, back) == []
    same_tasks(fixture, back)
    # ...and again through the exported text, as another tool would read and write it.
    again = round_trip(tmp_path / "again", json.loads(dumps_raw(back)))
    assert differences(fixture, again) == []


def test_recurrence_on_at_the_same_now_generates_nothing_new(
    tmp_path: Path, fixture: list[dict[str, Any]]
) -> None:
    tw = Taskwarrior(tmp_path, now=FIXTURE_NOW, recurrence=True)
    tw.import_json(fixture)
    assert differences(fixture, tw.export()) == []


def test_the_oracle_ignores_only_id_and_urgency(
    tmp_path: Path, fixture: list[dict[str, Any]]
) -> None:
    changed = copy.deepcopy(fixture)
    for r in changed:
        r["id"], r["urgency"] = 999, -1.5
    assert differences(fixture, changed) == []
    changed[0]["modified"] = "20000101T000000Z"
    assert differences(fixture, changed) == [
        f"{fixture[0]['uuid']} modified: {fixture[0]['modified']!r} != '20000101T000000Z'"
    ]


# One field of one real record dropped before the second import: the oracle must name it.
DROPPED = [
    ("annotations", {}),
    ("depends", {}),
    ("tags", {}),
    ("project", {}),
    ("priority", {}),
    ("due", {"status": "pending"}),
    ("wait", {}),
    ("scheduled", {}),
    ("until", {"status": "recurring"}),
    ("start", {}),
    ("end", {"status": "completed"}),
    ("mask", {}),
    ("imask", {}),
    ("parent", {}),
    ("estimate", {}),
    ("points", {}),
    ("url", {}),
    ("reviewed", {}),
    ("spent", {}),
    ("legacy", {}),
]


@pytest.mark.parametrize(("field", "match"), DROPPED, ids=[f for f, _ in DROPPED])
def test_the_oracle_fails_when_a_field_is_dropped(
    tmp_path: Path, fixture: list[dict[str, Any]], field: str, match: dict[str, Any]
) -> None:
    lossy = copy.deepcopy(fixture)
    victim = first(lossy, field, **match)
    original = victim.pop(field)
    back = round_trip(tmp_path, lossy)
    # Absent afterwards, or (`end`) made up by `task import` as the import time.
    named = f"{victim['uuid']} {field}: {original!r} != "
    assert [d for d in differences(fixture, back) if d.startswith(named)], field
    with pytest.raises(AssertionError, match=f"{victim['uuid']} {field}"):
        same_tasks(fixture, back)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", "Water the tomatoes ? and the ?-shaped fern"),  # non-BMP lost
        ("status", "pending"),  # a deleted task came back
        ("entry", "20261125T103000Z"),  # entry reset to the import time
        ("tags", ["bills"]),  # one tag of two lost
    ],
)
def test_the_oracle_fails_when_a_value_changes(
    tmp_path: Path, fixture: list[dict[str, Any]], field: str, value: Any
) -> None:
    lossy = copy.deepcopy(fixture)
    victim = {
        "description": lambda: first(lossy, "description", project="Home.Garden", status="pending"),
        "status": lambda: first(lossy, "status", status="deleted"),
        "entry": lambda: first(lossy, "entry"),
        "tags": lambda: next(r for r in lossy if len(r.get("tags", [])) > 1),
    }[field]()
    victim[field] = value
    diffs = differences(fixture, round_trip(tmp_path, lossy))
    assert any(d.startswith(f"{victim['uuid']} {field}: ") for d in diffs), diffs


def test_the_oracle_fails_when_a_task_is_lost_or_added(
    tmp_path: Path, fixture: list[dict[str, Any]]
) -> None:
    lossy = copy.deepcopy(fixture)
    gone = lossy.pop(5)
    extra = {
        "uuid": "0badc0de-0000-4000-8000-000000000000",
        "description": "x",
        "status": "pending",
    }
    diffs = differences(fixture, round_trip(tmp_path, [*lossy, extra]))
    assert diffs == [
        f"{gone['uuid']}: missing after the round trip",
        f"{extra['uuid']}: not in the original export",
    ]


def test_tags_and_depends_compare_as_sets_annotations_in_order(
    fixture: list[dict[str, Any]],
) -> None:
    shuffled = copy.deepcopy(fixture)
    dep = next(r for r in shuffled if len(r.get("depends", [])) > 1)
    dep["depends"].reverse()
    tagged = next(r for r in shuffled if len(r.get("tags", [])) > 1)
    tagged["tags"].reverse()
    assert differences(fixture, shuffled) == []
    noted = next(r for r in shuffled if len(r.get("annotations", [])) > 1)
    noted["annotations"].reverse()
    assert [d.split()[1] for d in differences(fixture, shuffled)] == ["annotations:"]


def test_a_frozen_now_sets_entry_and_a_later_one_modified(tmp_path: Path) -> None:
    when = datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC)
    tw = Taskwarrior(tmp_path, now=when)
    uuid = tw.add("frozen", "project:A.B", "+t", "estimate:1.5")
    tw.do(uuid, "annotate", "--", "later 😀", now=when + timedelta(hours=1))
    [task] = tw.export()
    assert (task["entry"], task["modified"]) == ("20310203T040506Z", "20310203T050506Z")
    assert task["annotations"] == [{"entry": "20310203T050506Z", "description": "later 😀"}]
    assert (task["project"], task["tags"], task["estimate"]) == ("A.B", ["t"], 1.5)


def test_surrogate_escapes_are_refused_and_what_taskwarrior_does_with_them(
    tmp_path: Path,
) -> None:
    tw = Taskwarrior(tmp_path, now=FIXTURE_NOW)
    escaped = json.dumps(
        [
            {
                "uuid": "0badc0de-0000-4000-8000-000000000001",
                "description": "emoji 😀",
                "status": "pending",
            }
        ]
    )
    assert "\\ud83d\\ude00" in escaped
    with pytest.raises(ValueError, match="surrogate"):
        tw.import_json(escaped)
    # What the guard prevents: 2.6.2 writes each surrogate as its own 3-byte sequence.
    tw.run("import", "-", input=escaped)
    raw = tw.run("export").stdout.encode("utf-8", "surrogateescape")
    assert b"\xed\xa0\xbd\xed\xb8\x80" in raw and "😀".encode() not in raw
    with pytest.raises(TaskwarriorError, match="invalid UTF-8"):
        tw.export()
    # Raw UTF-8 comes back whole.
    tw2 = Taskwarrior(tmp_path / "raw", now=FIXTURE_NOW)
    tw2.import_json(json.loads(escaped))
    assert tw2.export()[0]["description"] == "emoji 😀"


def test_a_missing_binary_fails_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TaskwarriorMissing, match="apt-get install taskwarrior"):
        Taskwarrior(tmp_path / "tw")


def test_the_committed_taskrc_is_what_the_harness_writes(tmp_path: Path) -> None:
    tw = Taskwarrior(tmp_path, recurrence=True)
    assert (FIXTURE_DIR / "taskrc").read_text(encoding="utf-8") == tw.rc.read_text("utf-8")


def test_every_test_format_md_cites_exists() -> None:
    text = (FIXTURE_DIR / "FORMAT.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"`(test_\w+?)\*?`", text))
    here = Path(__file__).resolve().parent
    defined = "\n".join(p.read_text("utf-8") for p in here.glob("test_taskwarrior_*.py"))
    missing = [name for name in sorted(cited) if f"def {name}" not in defined]
    assert len(cited) > 20 and missing == []
