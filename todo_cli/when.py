"""Time: the current UTC time, and WHEN for `--due` and `--since` (ISO dates and times, and
the everyday words of the command reference).

A bare date (`2026-12-01`, `today`, `+3d`) means the end of that day in local time, so a task due
today is not overdue until the day is over. A time without an offset is local time. The result
is always timezone-aware UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from todo_cli.errors import BadInput

_RELATIVE = re.compile(r"^([+-])(\d{1,5})([dwh])$")
_END_OF_DAY = time(23, 59, 59)
HELP = (
    "an ISO date or time (2026-12-01, 2026-12-01T09:00), today, tomorrow, yesterday,"
    " +3d, +2w, +4h or -3d"
)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (never `datetime.utcnow()`, which is naive)."""
    return datetime.now(UTC)


def _local(naive: datetime) -> datetime:
    """A wall-clock time in the local zone, with the offset in force on that date (so a date
    in summer gets summer time, whatever the date today)."""
    return naive.astimezone()


def _end_of(day: date) -> datetime:
    return _local(datetime.combine(day, _END_OF_DAY)).astimezone(UTC)


def parse_when(text: str, *, now: datetime | None = None, start_of_day: bool = False) -> datetime:
    """Turn WHEN into an aware UTC datetime, or raise BadInput saying what is accepted.

    `start_of_day=True` reads a bare day as its first second instead of its last, which is
    what `--since` wants.
    """
    now_local = (now or datetime.now(UTC)).astimezone()

    def day(d: date) -> datetime:
        if start_of_day:
            return _local(datetime.combine(d, time(0, 0))).astimezone(UTC)
        return _end_of(d)

    word = text.strip().lower()
    named = {"today": 0, "tomorrow": 1, "yesterday": -1}
    if word in named:
        return day(now_local.date() + timedelta(days=named[word]))
    m = _RELATIVE.match(word)
    if m:
        n = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
        unit = m.group(3)
        if unit == "h":
            return (now_local + timedelta(hours=n)).astimezone(UTC)
        return day(now_local.date() + timedelta(days=n * 7 if unit == "w" else n))
    try:
        if re.fullmatch(r"\d{4}-?\d{2}-?\d{2}", word):  # a day: 2026-12-01 or 20261201
            return day(date.fromisoformat(word))
        parsed = datetime.fromisoformat(text.strip())
    except (ValueError, OverflowError):
        raise BadInput(f"bad date {text!r}: expected {HELP}") from None
    if parsed.tzinfo is None:
        parsed = _local(parsed)
    return parsed.astimezone(UTC)
