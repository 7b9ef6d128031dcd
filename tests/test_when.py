"""`todo_cli.when`: WHEN as a calendar day or a moment, with a fixed `now` and a fixed local
zone; and the all-day rule (stored, shown, overdue) that makes a day the same day everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from tests.helpers import local_tz
from todo_cli.errors import BadInput
from todo_cli.when import (
    HELP,
    instant,
    is_overdue,
    parse_instant,
    parse_when,
    public_due,
    stored_due,
    wall_clock,
)

NOW = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # a Tuesday evening, UTC


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def in_utc() -> Iterator[None]:
    with local_tz("UTC"):
        yield


@pytest.fixture
def in_tokyo() -> Iterator[None]:
    with local_tz("Asia/Tokyo"):  # +09:00 all year, no daylight saving
        yield


@pytest.mark.usefixtures("in_utc")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", date(2026, 3, 10)),
        (" Today ", date(2026, 3, 10)),
        ("eod", date(2026, 3, 10)),
        ("TOMORROW", date(2026, 3, 11)),
        ("yesterday", date(2026, 3, 9)),
        ("+0d", date(2026, 3, 10)),
        ("+3d", date(2026, 3, 13)),
        ("3d", date(2026, 3, 13)),
        ("+3D", date(2026, 3, 13)),
        ("+30d", date(2026, 4, 9)),
        ("-3d", date(2026, 3, 7)),
        ("+2w", date(2026, 3, 24)),
        ("+1m", date(2026, 4, 10)),
        ("+12m", date(2027, 3, 10)),
        ("-1m", date(2026, 2, 10)),
        ("+1y", date(2027, 3, 10)),
        ("+99999d", date(2299, 12, 23)),
        # weekdays: the next one to come, never today (NOW is a Tuesday)
        ("wednesday", date(2026, 3, 11)),
        ("monday", date(2026, 3, 16)),
        ("tuesday", date(2026, 3, 17)),
        ("tue", date(2026, 3, 17)),
        ("next friday", date(2026, 3, 13)),
        ("Next  Friday", date(2026, 3, 13)),
        ("next-sunday", date(2026, 3, 15)),
        ("eow", date(2026, 3, 15)),  # this week's Sunday
        ("sow", date(2026, 3, 16)),  # next week's Monday
        ("eom", date(2026, 3, 31)),
        ("som", date(2026, 4, 1)),
        ("eoy", date(2026, 12, 31)),
        ("soy", date(2027, 1, 1)),
        ("2026-12-01", date(2026, 12, 1)),
        ("20261201", date(2026, 12, 1)),
        ("2024-02-29", date(2024, 2, 29)),
        # moments
        ("now", NOW),
        ("+4h", utc(2026, 3, 11, 0, 0)),
        ("-2h", utc(2026, 3, 10, 18, 0)),
        ("2026-12-01T09:00", utc(2026, 12, 1, 9, 0)),
        ("2026-12-01 09:00", utc(2026, 12, 1, 9, 0)),
        ("2026-12-01T09:00:30", utc(2026, 12, 1, 9, 0, 30)),
        ("2026-12-01T09:00+02:00", utc(2026, 12, 1, 7, 0)),
        ("2026-12-01T09:00-05:30", utc(2026, 12, 1, 14, 30)),
        ("2026-12-01T09:00Z", utc(2026, 12, 1, 9, 0)),
        ("20261201T090000Z", utc(2026, 12, 1, 9, 0)),  # Taskwarrior's own form
        ("2026-12-01T00:30+01:00", utc(2026, 11, 30, 23, 30)),
    ],
)
def test_accepted(text: str, expected: date) -> None:
    got = parse_when(text, now=NOW)
    assert got == expected and type(got) is type(expected)
    if isinstance(got, datetime):
        assert got.isoformat().endswith("+00:00")


def test_month_arithmetic_clamps_to_the_end_of_the_month() -> None:
    with local_tz("UTC"):
        jan31 = utc(2026, 1, 31, 12)
        assert parse_when("+1m", now=jan31) == date(2026, 2, 28)
        assert parse_when("+1y", now=utc(2028, 2, 29, 12)) == date(2029, 2, 28)
        assert parse_when("eom", now=utc(2028, 2, 10)) == date(2028, 2, 29)
        assert parse_when("som", now=utc(2026, 12, 10)) == date(2027, 1, 1)
        assert parse_when("sow", now=utc(2026, 3, 16, 9)) == date(2026, 3, 23)  # a Monday
        assert parse_when("eow", now=utc(2026, 3, 15, 9)) == date(2026, 3, 15)  # a Sunday


@pytest.mark.usefixtures("in_tokyo")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", date(2026, 3, 11)),  # 20:00 UTC is already the 11th in Tokyo
        ("tomorrow", date(2026, 3, 12)),
        ("wednesday", date(2026, 3, 18)),  # and a Wednesday there
        ("+3d", date(2026, 3, 14)),
        ("+4h", utc(2026, 3, 11, 0, 0)),
        ("now", NOW),
        ("2026-12-01", date(2026, 12, 1)),
        ("2026-12-01T09:00", utc(2026, 12, 1, 0, 0)),  # no offset: local time
        ("2026-12-01T09:00+00:00", utc(2026, 12, 1, 9, 0)),  # an offset wins over the zone
    ],
)
def test_local_time_zone(text: str, expected: date) -> None:
    assert parse_when(text, now=NOW) == expected


@pytest.mark.usefixtures("in_tokyo")
def test_a_day_as_a_moment_is_its_first_or_last_local_second() -> None:
    assert parse_instant("today", now=NOW, start_of_day=True) == utc(2026, 3, 10, 15)
    assert parse_instant("today", now=NOW) == utc(2026, 3, 11, 14, 59, 59)
    assert parse_instant("2026-12-01T09:00", now=NOW, start_of_day=True) == utc(2026, 12, 1)
    assert instant(NOW) == NOW


@pytest.mark.usefixtures("in_utc")
@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "someday",
        "next week",
        "next",
        "tomorrow!",
        "+3",
        "+d",
        "+3 d",
        "+ 3d",
        "+123456d",
        "2026/12/01",
        "01.12.2026",
        "2026-12-01T09:00+25:00",
    ],
)
def test_refused(text: str) -> None:
    with pytest.raises(BadInput) as e:
        parse_when(text, now=NOW)
    assert e.value.message == f"bad date {text!r}: expected {HELP}"
    assert e.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-02-30", "February 2026 has 28 days"),
        ("2028-02-30", "February 2028 has 29 days"),
        ("2026-04-31", "April 2026 has 30 days"),
        ("2026-12-00", "December 2026 has 31 days"),
        ("2026-13-01", "there is no month 13"),
        ("20260230", "February 2026 has 28 days"),
        ("2026-12-01T25:00", "hour must be in 0..23"),
    ],
)
def test_an_impossible_date_says_why(text: str, reason: str) -> None:
    with pytest.raises(BadInput) as e:
        parse_when(text, now=NOW)
    assert e.value.message == f"bad date {text!r}: {reason}"


@pytest.mark.usefixtures("in_utc")
def test_without_now_uses_the_clock() -> None:
    before = datetime.now(UTC)
    got = parse_when("+4h")
    assert isinstance(got, datetime)
    assert before + timedelta(hours=4) <= got <= datetime.now(UTC) + timedelta(hours=4)


def test_daylight_saving_time_is_respected() -> None:
    with local_tz("Europe/Berlin"):
        winter, summer = utc(2026, 1, 15, 12), utc(2026, 7, 1, 12)
        # Whatever the season the test runs in, one of these two pairs is off by an hour.
        assert parse_instant("2026-07-01", now=winter) == utc(2026, 7, 1, 21, 59, 59)
        assert parse_instant("2026-01-15", now=summer) == utc(2026, 1, 15, 22, 59, 59)
        assert parse_when("2026-07-01T09:00", now=winter) == utc(2026, 7, 1, 7, 0)
        assert parse_when("2026-01-15T09:00", now=summer) == utc(2026, 1, 15, 8, 0)


@pytest.mark.parametrize("zone", ["America/New_York", "UTC", "Asia/Tokyo", "Pacific/Kiritimati"])
def test_an_all_day_date_is_the_same_day_everywhere(zone: str) -> None:
    with local_tz("America/New_York"):
        due, all_day = stored_due(parse_when("2026-12-20", now=NOW))
    assert (due, all_day) == (utc(2026, 12, 20, 23, 59, 59), True)
    with local_tz(zone):
        assert public_due(due, all_day) == date(2026, 12, 20)
        for local_clock, overdue in (("2026-12-20T23:59", False), ("2026-12-21T00:00", True)):
            now = parse_when(local_clock)
            assert isinstance(now, datetime)
            assert is_overdue(public_due(due, all_day), now) is overdue, (zone, local_clock)
            # the database compares the stored value with the wall clock: the same answer
            assert due is not None and (due < wall_clock(now)) is overdue


def test_a_moment_stays_a_moment() -> None:
    moment = utc(2026, 12, 20, 9, 30)
    assert stored_due(moment) == (moment, False)
    assert public_due(moment, False) == moment
    assert stored_due(None) == (None, False)
    assert is_overdue(moment, moment + timedelta(seconds=1))
    assert not is_overdue(moment, moment)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 1, 9, 30, tzinfo=UTC),  # no microseconds: still six digits
        datetime(2026, 12, 1, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 29, 2, 30, 0, 5, tzinfo=timezone(timedelta(hours=-7, minutes=-30))),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    ],
)
def test_utc_text_is_what_the_column_stores(moment: datetime) -> None:
    """Rows sent to the driver directly carry the same text as UTCDateTime writes on SQLite
    (through SQLAlchemy's own SQLite DateTime), and PostgreSQL's form is that plus the offset."""
    from sqlalchemy.dialects import sqlite

    from todo_cli.columns import UTCDateTime, utc_text

    dialect = sqlite.dialect()
    stored = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)(moment)
    assert utc_text(moment) == stored
    assert utc_text(moment, offset=True) == stored + "+00:00"
    assert datetime.fromisoformat(utc_text(moment, offset=True)) == moment
