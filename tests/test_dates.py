"""Dates as people write them, and a due date without a time as a calendar day: the same day
in every time zone, overdue once it has ended where it is viewed, kept through edits,
recurrence and undo, and made from the rows an older version stored (migration 0007)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.dbutil import execute, migrate_db, query, set_time
from tests.helpers import add, ids, js, local_tz, ok, todo

# 25 hours apart: at any moment the local dates there differ by a day or two.
WEST, EAST = "Pacific/Pago_Pago", "Pacific/Kiritimati"


def test_a_day_added_in_new_york_is_the_same_day_in_tokyo(db_url: str) -> None:
    with local_tz("America/New_York"):
        task = add(db_url, "pay rent", "--due", "2026-12-20")
    assert task["due"] == "2026-12-20"
    assert query(db_url, "SELECT due_all_day FROM tasks")[0][0] in (True, 1)
    for zone in ("UTC", "Asia/Tokyo", "America/Los_Angeles"):
        with local_tz(zone):
            assert js(db_url, "show", "1")["due"] == "2026-12-20"
            assert "due  2026-12-20\n" in ok(db_url, "show", "1").stdout
            [line] = [x for x in ok(db_url, "list").stdout.splitlines() if "pay rent" in x]
            assert "2026-12-20" in line and ":" not in line, (zone, line)


def test_a_time_stays_a_moment_shown_in_local_time(db_url: str) -> None:
    with local_tz("America/New_York"):
        task = add(db_url, "call", "--due", "2026-12-20T22:30")
    assert task["due"] == "2026-12-21T03:30:00+00:00"
    with local_tz("Asia/Tokyo"):
        assert "due  2026-12-21 12:30\n" in ok(db_url, "show", "1").stdout


def test_a_day_is_overdue_once_it_has_ended_where_it_is_viewed(db_url: str) -> None:
    west_today = datetime.now(ZoneInfo(WEST)).date()
    add(db_url, "due today in the west", "--due", west_today.isoformat())
    add(db_url, "a moment an hour ago", "--due", "-1h")
    add(db_url, "a moment in an hour", "--due", "+1h")
    with local_tz(WEST):
        assert ids(js(db_url, "list", "--overdue")) == [2]
        assert "[red]" not in ok(db_url, "list").stdout
    with local_tz(EAST):  # the west's today has ended here
        assert sorted(ids(js(db_url, "list", "--overdue"))) == [1, 2]


def test_words_and_offsets_are_calendar_days(db_url: str) -> None:
    with local_tz("UTC"):
        today = datetime.now(UTC).date()
        got = {
            w: add(db_url, f"due {w}", "--due", w)["due"]
            for w in ("eom", "+1m", "next friday", "now")
        }
    days = {today, datetime.now(UTC).date()}  # across midnight, either
    assert got["eom"] in {str(d.replace(day=calendar.monthrange(d.year, d.month)[1])) for d in days}
    assert date.fromisoformat(got["next friday"]).weekday() == 4
    assert date.fromisoformat(got["+1m"]) > today
    assert "T" in got["now"]  # `now` is a moment


def test_inline_attributes_take_the_same_words(db_url: str) -> None:
    with local_tz("UTC"):
        r = ok(db_url, "add", "buy", "eggs", "due:tomorrow", "+shop", "--json")
    tomorrow = {str(datetime.now(UTC).date() + timedelta(days=d)) for d in (0, 1)}
    assert js(db_url, "show", "1")["due"] in tomorrow, r.stdout


def test_an_impossible_date_says_why_and_changes_nothing(db_url: str) -> None:
    r = todo(db_url, "add", "x", "--due", "2026-02-30")
    assert (r.exit_code, r.stderr) == (
        2,
        "error: bad date '2026-02-30': February 2026 has 28 days\n",
    )
    assert js(db_url, "list")["total"] == 0


def test_edits_move_between_days_and_moments_and_undo_brings_the_day_back(db_url: str) -> None:
    add(db_url, "x", "--due", "2026-12-20")
    assert js(db_url, "edit", "1", "--due", "2026-12-20T09:00+00:00", "--json")["due"] == (
        "2026-12-20T09:00:00+00:00"
    )
    assert query(db_url, "SELECT due_all_day FROM tasks")[0][0] in (False, 0)
    ok(db_url, "undo", "--yes")
    assert js(db_url, "show", "1")["due"] == "2026-12-20"
    ok(db_url, "edit", "1", "--no-due")
    assert query(db_url, "SELECT due, due_all_day FROM tasks")[0] in ((None, False), (None, 0))
    ok(db_url, "undo", "--yes")
    assert js(db_url, "show", "1")["due"] == "2026-12-20"


def test_a_recurring_day_stays_a_day(db_url: str) -> None:
    ok(db_url, "add", "rent", "--due", "2026-01-31", "--recur", "monthly")
    ok(db_url, "complete", "2")
    [nxt] = js(db_url, "list")["items"]
    assert nxt["due"] == "2026-02-28"  # clamped to the month's end, still a calendar day
    ok(db_url, "complete", str(nxt["id"]))
    assert [t["due"] for t in js(db_url, "list")["items"]] == ["2026-03-31"]


def test_the_database_refuses_an_all_day_flag_without_a_date(db_url: str) -> None:
    add(db_url, "x")
    with pytest.raises(Exception, match=r"(?i)check|constraint"):
        execute(db_url, "UPDATE tasks SET due_all_day = true WHERE id = 1")


def _old_task(db_url: str, i: int, due: str | None) -> None:
    execute(
        db_url,
        "INSERT INTO tasks (id, user_id, title, completed, created_at, updated_at, tags)"
        f" VALUES ({i}, 'u', 'task {i}', false, '2026-01-01T00:00:00+00:00',"
        " '2026-01-01T00:00:00+00:00', '[]')",
    )
    if due is not None:
        set_time(db_url, "tasks", "due", i, due)


def test_the_upgrade_turns_old_bare_dates_into_days_and_back(empty_url: str) -> None:
    """Before 0007 a bare date was stored as 23:59:59 in the adder's zone; a time stayed."""
    url = empty_url
    migrate_db(url, "0006")
    execute(url, "INSERT INTO users (id, email, created_at) VALUES ('u', 'u@x', '2026-01-01')")
    old = {
        1: "2026-12-21T04:59:59+00:00",  # 2026-12-20 added in New York (-05:00)
        2: "2026-12-20T14:59:59+00:00",  # 2026-12-20 added in Tokyo (+09:00)
        3: "2026-12-20T18:29:59+00:00",  # 2026-12-20 added in India (+05:30)
        4: "2026-12-20T09:00:00+00:00",  # a time: stays a moment
        5: "2026-12-20T23:59:59.250000+00:00",  # a moment with a fraction: stays
        6: None,
    }
    for i, due in old.items():
        _old_task(url, i, due)
    with local_tz("America/New_York"):
        migrate_db(url)
        got = {t["id"]: t["due"] for t in js(url, "list", "--status", "all", user="u@x")["items"]}
        assert got == {
            1: "2026-12-20",
            2: "2026-12-20",
            3: "2026-12-20",
            4: "2026-12-20T09:00:00+00:00",
            5: "2026-12-20T23:59:59.250000+00:00",
            6: None,
        }
        ok(url, "db", "downgrade", "0006", "--yes")
        back = dict(query(url, "SELECT id, due FROM tasks WHERE id IN (1, 2, 3) ORDER BY id"))
        # each day comes back as this machine's last second of it (New York: 04:59:59 UTC)
        assert {i: str(v)[:19].replace("T", " ") for i, v in back.items()} == {
            i: "2026-12-21 04:59:59" for i in (1, 2, 3)
        }
