"""Parse WHEN for `--due`: ISO dates and times, and the everyday words of CLI.md.

A bare date (`2026-12-01`, `today`, `+3d`) means the end of that day in local time, so a task due
today is not overdue until the day is over. A time without an offset is local time. The result
is always timezone-aware UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from todo_cli.errors import BadInput

_RELATIVE = re.compile(r"^([+-])(\d{1,5})([dwh])$")
_END_OF_DAY = time(23, 59, 59)
HELP = (
    "an ISO date or time (2026-12-01, 2026-12-01T09:00), today, tomorrow, yesterday,"
    " +3d, +2w, +4h or -3d"
)


def _local_tz() -> tzinfo:
    tz = datetime.now().astimezone().tzinfo
    assert tz is not None
    return tz


def _end_of(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, _END_OF_DAY, tzinfo=tz).astimezone(UTC)


def parse_when(text: str, *, now: datetime | None = None, start_of_day: bool = False) -> datetime:
    """Turn WHEN into an aware UTC datetime, or raise BadInput saying what is accepted.

    `start_of_day=True` reads a bare day as its first second instead of its last, which is
    what `--since` wants.
    """
    tz = _local_tz()
    now_local = (now or datetime.now(UTC)).astimezone(tz)

    def day(d: date) -> datetime:
        if start_of_day:
            return datetime.combine(d, time(0, 0), tzinfo=tz).astimezone(UTC)
        return _end_of(d, tz)

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
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", word):
            return day(date.fromisoformat(word))
        parsed = datetime.fromisoformat(text.strip())
    except (ValueError, OverflowError):
        raise BadInput(f"bad date {text!r}: expected {HELP}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)
