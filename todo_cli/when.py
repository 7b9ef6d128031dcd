"""Time: the current UTC time, and WHEN for `--due`, `--wait`, `--since` and the like.

WHEN is either a moment (`now`, `+4h`, `2026-12-01T09:00`), always read as timezone-aware UTC
with a time without an offset taken as local time, or a calendar day (`2026-12-20`, `today`,
`monday`, `eom`, `+1m`): a date with no time, which means that day wherever it is looked at.

A due date that is a day is stored as that day's 23:59:59 in UTC with `due_all_day` set, and
shown as the day itself (in `--json` too: `"due": "2026-12-20"`), so a task due on the 20th is
due on the 20th in New York and in Tokyo, and overdue once the 20th has ended where it is
looked at. `stored_due`, `public_due`, `is_overdue` and `wall_clock` are that rule; the other
dates (`wait`, `scheduled`, `until`, `--since`) take a day as its first or last local second.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta

from todo_cli.errors import BadInput

When = datetime | date  # a moment (aware datetime) or a calendar day (a plain date)

HELP = (
    "a date or time (2026-12-01, 2026-12-01T09:00), now, today, tomorrow, yesterday, a weekday"
    " (monday, next friday), eod, eow, eom, eoy, sow, som, soy, or an offset (+3d, +2w, +1m, +1y,"
    " +4h, -3d)"
)
_OFFSET = re.compile(r"([+-]?)(\d{1,5})([hdwmy])")
_DAY = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")
_ALL_DAY_TIME = time(23, 59, 59)
_WEEKDAYS = {name: i for i, names in enumerate(
    ("mon monday", "tue tues tuesday", "wed wednesday", "thu thur thurs thursday", "fri friday",
     "sat saturday", "sun sunday")
) for name in names.split()}  # fmt: skip


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (never `datetime.utcnow()`, which is naive)."""
    return datetime.now(UTC)


def is_day(value: object) -> bool:
    """Whether `value` is a calendar day rather than a moment (a datetime is also a date)."""
    return isinstance(value, date) and not isinstance(value, datetime)


def _local(naive: datetime) -> datetime:
    """A wall-clock time in the local zone, with the offset in force on that date (so a date
    in summer gets summer time, whatever the date today)."""
    return naive.astimezone()


def _named_day(word: str, today: date) -> date | None:
    """The calendar day a word names, or None if it names none."""
    fixed = {"today": 0, "eod": 0, "tomorrow": 1, "yesterday": -1}
    if word in fixed:
        return today + timedelta(days=fixed[word])
    weekday = _WEEKDAYS.get(word.removeprefix("next").strip(" -"))
    if weekday is not None:  # the next one to come, as in Taskwarrior: never today
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    month_end = calendar.monthrange(today.year, today.month)[1]
    return {
        "eow": today + timedelta(days=6 - today.weekday()),  # this week's Sunday
        "sow": today + timedelta(days=7 - today.weekday()),  # next week's Monday
        "eom": today.replace(day=month_end),
        "som": today.replace(day=month_end) + timedelta(days=1),
        "eoy": date(today.year, 12, 31),
        "soy": date(today.year + 1, 1, 1),
    }.get(word)


def _offset(m: re.Match[str], now_local: datetime) -> When:
    n = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
    unit = m.group(3)
    if unit == "h":
        return (now_local + timedelta(hours=n)).astimezone(UTC)
    today = now_local.date()
    if unit in "dw":
        return today + timedelta(days=n * (7 if unit == "w" else 1))
    from dateutil.relativedelta import relativedelta  # month ends clamp: Jan 31 + 1m = Feb 28

    result: date = today + relativedelta(months=n * (12 if unit == "y" else 1))
    return result


def _day(text: str, m: re.Match[str]) -> date:
    year, month, day = (int(g) for g in m.groups())
    if not 1 <= month <= 12:
        raise BadInput(f"bad date {text!r}: there is no month {month}")
    days = calendar.monthrange(year, month)[1] if year >= 1 else 31
    if not 1 <= day <= days:
        name = calendar.month_name[month]
        raise BadInput(f"bad date {text!r}: {name} {year} has {days} days")
    return date(year, month, day)


def parse_when(text: str, *, now: datetime | None = None) -> When:
    """WHEN as a calendar day (a `date`) or an aware UTC moment, or BadInput saying what is
    accepted."""
    now_local = (now or utcnow()).astimezone()
    word = " ".join(text.strip().lower().split())
    if word == "now":
        return now_local.astimezone(UTC)
    named = _named_day(word, now_local.date())
    if named is not None:
        return named
    if m := _OFFSET.fullmatch(word):
        return _offset(m, now_local)
    if m := _DAY.fullmatch(word):
        return _day(text, m)
    try:
        parsed = datetime.fromisoformat(text.strip())
    except (ValueError, OverflowError) as e:
        reason = str(e) if "must be in" in str(e) else f"expected {HELP}"
        raise BadInput(f"bad date {text!r}: {reason}") from None
    if parsed.tzinfo is None:
        parsed = _local(parsed)
    return parsed.astimezone(UTC)


def instant(value: When, *, start_of_day: bool = False) -> datetime:
    """A moment for WHEN: a day becomes its last local second (a deadline, `until`) or, with
    `start_of_day`, its first (`wait`, `scheduled`, `--since`)."""
    if not is_day(value):
        assert isinstance(value, datetime)
        return value.astimezone(UTC)
    clock = time(0, 0) if start_of_day else _ALL_DAY_TIME
    return _local(datetime.combine(value, clock)).astimezone(UTC)


def parse_instant(
    text: str, *, start_of_day: bool = False, now: datetime | None = None
) -> datetime:
    """WHEN as an aware UTC moment (see `instant`)."""
    return instant(parse_when(text, now=now), start_of_day=start_of_day)


def stored_due(value: When | None) -> tuple[datetime | None, bool]:
    """The `due` and `due_all_day` columns for a due WHEN."""
    if value is None:
        return None, False
    if is_day(value):
        return datetime.combine(value, _ALL_DAY_TIME, UTC), True
    assert isinstance(value, datetime)
    return value.astimezone(UTC), False


def public_due(due: datetime | None, all_day: bool) -> When | None:
    """The due WHEN from its columns: the day itself for an all-day date."""
    if due is None or not all_day:
        return due
    return due.astimezone(UTC).date()


def wall_clock(now: datetime) -> datetime:
    """The local wall-clock time written as if it were UTC: what a stored all-day date is
    compared with, so that it is past once its day has ended here."""
    return now.astimezone().replace(tzinfo=UTC)


def is_overdue(due: When | None, now: datetime) -> bool:
    if due is None:
        return False
    if is_day(due):
        return due < now.astimezone().date()
    assert isinstance(due, datetime)
    return due < now
