"""`todo_cli.when.parse_when`: the WHEN of `--due`, with a fixed `now` and a fixed local zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import local_tz
from todo_cli.errors import BadInput
from todo_cli.when import HELP, parse_when

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
        ("today", utc(2026, 3, 10, 23, 59, 59)),
        (" Today ", utc(2026, 3, 10, 23, 59, 59)),
        ("TOMORROW", utc(2026, 3, 11, 23, 59, 59)),
        ("yesterday", utc(2026, 3, 9, 23, 59, 59)),
        ("+0d", utc(2026, 3, 10, 23, 59, 59)),
        ("+3d", utc(2026, 3, 13, 23, 59, 59)),
        ("+3D", utc(2026, 3, 13, 23, 59, 59)),
        ("+30d", utc(2026, 4, 9, 23, 59, 59)),
        ("-3d", utc(2026, 3, 7, 23, 59, 59)),
        ("+2w", utc(2026, 3, 24, 23, 59, 59)),
        ("+4h", utc(2026, 3, 11, 0, 0)),  # hours are exact, not the end of a day
        ("+99999d", utc(2299, 12, 23, 23, 59, 59)),
        ("2026-12-01", utc(2026, 12, 1, 23, 59, 59)),  # a bare date is the end of that day
        ("2024-02-29", utc(2024, 2, 29, 23, 59, 59)),
        ("2026-12-01T09:00", utc(2026, 12, 1, 9, 0)),
        ("2026-12-01 09:00", utc(2026, 12, 1, 9, 0)),
        ("2026-12-01T09:00:30", utc(2026, 12, 1, 9, 0, 30)),
        ("2026-12-01T09:00+02:00", utc(2026, 12, 1, 7, 0)),
        ("2026-12-01T09:00-05:30", utc(2026, 12, 1, 14, 30)),
        ("2026-12-01T09:00Z", utc(2026, 12, 1, 9, 0)),
        ("2026-12-01T00:30+01:00", utc(2026, 11, 30, 23, 30)),
    ],
)
def test_accepted(text: str, expected: datetime) -> None:
    got = parse_when(text, now=NOW)
    assert got == expected
    assert got.utcoffset() == timedelta(0)
    assert got.isoformat().endswith("+00:00")


@pytest.mark.usefixtures("in_tokyo")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", utc(2026, 3, 11, 14, 59, 59)),  # 20:00 UTC is already the 11th in Tokyo
        ("tomorrow", utc(2026, 3, 12, 14, 59, 59)),
        ("+3d", utc(2026, 3, 14, 14, 59, 59)),
        ("+4h", utc(2026, 3, 11, 0, 0)),
        ("2026-12-01", utc(2026, 12, 1, 14, 59, 59)),
        ("2026-12-01T09:00", utc(2026, 12, 1, 0, 0)),  # no offset: local time
        ("2026-12-01T09:00+00:00", utc(2026, 12, 1, 9, 0)),  # an offset wins over the zone
    ],
)
def test_local_time_zone(text: str, expected: datetime) -> None:
    assert parse_when(text, now=NOW) == expected


@pytest.mark.usefixtures("in_utc")
def test_start_of_day() -> None:
    assert parse_when("today", now=NOW, start_of_day=True) == utc(2026, 3, 10)
    assert parse_when("2026-12-01", now=NOW, start_of_day=True) == utc(2026, 12, 1)
    assert parse_when("2026-12-01T09:00", now=NOW, start_of_day=True) == utc(2026, 12, 1, 9)


@pytest.mark.usefixtures("in_utc")
@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "someday",
        "next week",
        "tomorrow!",
        "3d",
        "+3",
        "+d",
        "+3y",
        "+3 d",
        "+ 3d",
        "+123456d",
        "2026-13-01",
        "2026-02-30",
        "2026/12/01",
        "01.12.2026",
        "2026-12-01T25:00",
        "2026-12-01T09:00+25:00",
    ],
)
def test_refused(text: str) -> None:
    with pytest.raises(BadInput) as e:
        parse_when(text, now=NOW)
    assert e.value.message == f"bad date {text!r}: expected {HELP}"
    assert e.value.exit_code == 2


@pytest.mark.usefixtures("in_utc")
def test_without_now_uses_the_clock() -> None:
    before = datetime.now(UTC)
    got = parse_when("+4h")
    assert before + timedelta(hours=4) <= got <= datetime.now(UTC) + timedelta(hours=4)


def test_daylight_saving_time_is_respected() -> None:
    with local_tz("Europe/Berlin"):
        winter, summer = utc(2026, 1, 15, 12), utc(2026, 7, 1, 12)
        # Whatever the season the test runs in, one of these two pairs is off by an hour.
        assert parse_when("2026-07-01", now=winter) == utc(2026, 7, 1, 21, 59, 59)
        assert parse_when("2026-01-15", now=summer) == utc(2026, 1, 15, 22, 59, 59)
        assert parse_when("2026-07-01T09:00", now=winter) == utc(2026, 7, 1, 7, 0)
        assert parse_when("2026-01-15T09:00", now=summer) == utc(2026, 1, 15, 8, 0)


def test_a_basic_format_date_is_the_same_day_or_refused() -> None:
    with local_tz("UTC"):
        try:
            got = parse_when("20261201", now=NOW)
        except BadInput:
            return
        assert got == parse_when("2026-12-01", now=NOW)
